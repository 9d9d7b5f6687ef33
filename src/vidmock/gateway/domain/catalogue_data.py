"""Loading a release's catalogue file (``vidmock/catalogue_data/<release>.yaml``) into catalogue records.

The file is validated as it is read: every error names the file and the key path
(``2026-12.yaml: models[3].mappings[0].per_second_price.4k: expected a number >= 0, got 'x'``), so a
hand edit that breaks the catalogue fails at start-up with a message that says where, never later in
a request. The format is described at the top of ``2026-12.yaml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .catalogue import Catalogue, Mapping, VideoModel
from .request import RESOLUTION

DATA_DIR = "catalogue_data"  # inside the vidmock package (package-data in pyproject.toml)
_MODEL_KEYS = {
    "id",
    "name",
    "family",
    "released_at",
    "stability",
    "description",
    "max_duration_seconds",
    "image_input_required",
    "mappings",
    "notes",
}
_MAPPING_KEYS = {
    "provider",
    "external_id",
    "sizes",
    "durations",
    "image_to_video_durations",
    "audio",
    "silent",
    "per_second_price",
    "image_input_price",
    "stealth",
    "deprecated_at",
    "deactivated_at",
    "context_size",
    "notes",
}
_STABILITY = ("stable", "beta", "unstable", "experimental")
# Price keys W1 getVideoOutputCost can match: a resolution tag or "default", optionally _audio / _video.
_PRICE_BASES = frozenset({*RESOLUTION.values(), "default"})


class CatalogueDataError(ValueError):
    """A catalogue file that cannot be used; the message names the file and the key."""


class _Reader:
    """Typed reads of one YAML document, each failure naming ``file: key``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, expected: str, got: Any) -> CatalogueDataError:
        return CatalogueDataError(f"{self.source}: {key}: expected {expected}, got {got!r}")

    def mapping(self, value: Any, key: str, allowed: set[str] | None = None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "a mapping", value)
        if allowed is not None:
            unknown = sorted(str(k) for k in value if k not in allowed)
            if unknown:
                raise self.fail(f"{key}.{unknown[0]}", f"one of the keys {', '.join(sorted(allowed))}", unknown[0])
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "a non-empty string", value)
        return value

    def flag(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def integer(self, value: Any, key: str, minimum: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"an integer >= {minimum}", value)
        return value

    def price(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value:
            raise self.fail(key, "a number >= 0", value)
        return float(value)

    def date(self, value: Any, key: str) -> float | None:
        """A YAML date (``2026-03-24``) or an ISO timestamp string, as unix seconds (UTC midnight for a date,
        as JavaScript's ``new Date("2026-03-24")`` reads it)."""
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            return moment.timestamp()
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()
        if isinstance(value, str):
            try:
                return self.date(dt.datetime.fromisoformat(value.replace("Z", "+00:00")), key)
            except ValueError:
                pass
        raise self.fail(key, "a date such as 2026-03-24", value)

    def items(self, value: Any, key: str, read: Callable[[Any, str], Any], *, empty: bool = False) -> tuple[Any, ...]:
        if not isinstance(value, list) or (not value and not empty):
            raise self.fail(key, "a list" if empty else "a non-empty list", value)
        return tuple(read(item, f"{key}[{i}]") for i, item in enumerate(value))

    def durations(self, value: Any, key: str) -> tuple[int, ...]:
        if isinstance(value, dict):
            span = self.mapping(value, key, {"min", "max"})
            low = self.integer(span.get("min"), f"{key}.min")
            high = self.integer(span.get("max"), f"{key}.max")
            if high < low:
                raise self.fail(f"{key}.max", f"an integer >= min ({low})", high)
            return tuple(range(low, high + 1))
        return self.items(value, key, lambda v, k: self.integer(v, k))

    def size(self, value: Any, key: str) -> str:
        if value not in RESOLUTION:
            raise self.fail(key, "one of the gateway's sizes (gateway.md §2)", value)
        return str(value)

    def prices(self, value: Any, key: str) -> dict[str, float]:
        table = self.mapping(value, key)
        if not table:
            raise self.fail(key, "at least one price", value)
        out: dict[str, float] = {}
        for name, amount in table.items():
            base = str(name).removesuffix("_audio").removesuffix("_video")
            if base not in _PRICE_BASES:
                raise self.fail(f"{key}.{name}", "a key <resolution>[_audio|_video] or default[_audio|_video]", name)
            out[str(name)] = self.price(amount, f"{key}.{name}")
        return out


def parse_catalogue(document: Any, source: str) -> tuple[str, list[VideoModel]]:
    """The release name and the models of one catalogue document (already YAML-parsed)."""
    r = _Reader(source)
    top = r.mapping(document, "(top level)", {"release", "models"})
    release = r.text(top.get("release"), "release")
    models = list(r.items(top.get("models"), "models", lambda v, k: _model(r, v, k)))
    seen: dict[str, int] = {}
    for index, model in enumerate(models):
        if model.id in seen:
            raise r.fail(f"models[{index}].id", f"an id not already used by models[{seen[model.id]}]", model.id)
        seen[model.id] = index
    return release, models


def _model(r: _Reader, value: Any, key: str) -> VideoModel:
    data = r.mapping(value, key, _MODEL_KEYS)
    model_id = r.text(data.get("id"), f"{key}.id")
    limit = data.get("max_duration_seconds")
    stability = data.get("stability")
    if stability is not None and stability not in _STABILITY:
        raise r.fail(f"{key}.stability", f"one of {', '.join(_STABILITY)}", stability)
    mappings = r.items(data.get("mappings"), f"{key}.mappings", lambda v, k: _mapping(r, v, k))
    model = VideoModel(
        id=model_id,
        mappings=mappings,
        max_duration_seconds=None if limit is None else r.integer(limit, f"{key}.max_duration_seconds"),
        image_input_required=r.flag(data.get("image_input_required", False), f"{key}.image_input_required"),
        name=None if data.get("name") is None else r.text(data["name"], f"{key}.name"),
        family=r.text(data.get("family", model_id), f"{key}.family"),
        released_at=r.date(data.get("released_at"), f"{key}.released_at"),
        stability=stability,
        description=None if data.get("description") is None else r.text(data["description"], f"{key}.description"),
    )
    if model.max_duration_seconds is not None:
        for index, mapping in enumerate(mappings):
            too_long = [d for d in mapping.durations if d > model.max_duration_seconds]
            if too_long:
                raise r.fail(
                    f"{key}.mappings[{index}].durations",
                    f"durations up to max_duration_seconds ({model.max_duration_seconds})",
                    too_long[0],
                )
    return model


def _mapping(r: _Reader, value: Any, key: str) -> Mapping:
    data = r.mapping(value, key, _MAPPING_KEYS)
    for required in ("provider", "external_id", "sizes", "durations", "audio", "silent", "per_second_price"):
        if required not in data:
            raise r.fail(f"{key}.{required}", "a value (required)", None)
    audio = r.flag(data["audio"], f"{key}.audio")
    silent = r.flag(data["silent"], f"{key}.silent")
    if not audio and not silent:
        raise r.fail(f"{key}.silent", "true when audio is false (a mapping must offer one audio mode)", silent)
    deprecated = r.date(data.get("deprecated_at"), f"{key}.deprecated_at")
    deactivated = r.date(data.get("deactivated_at"), f"{key}.deactivated_at")
    if deprecated is not None and deactivated is not None and deactivated < deprecated:
        raise r.fail(f"{key}.deactivated_at", "a date on or after deprecated_at", data.get("deactivated_at"))
    context = data.get("context_size")
    return Mapping(
        provider=r.text(data["provider"], f"{key}.provider"),
        external_id=r.text(data["external_id"], f"{key}.external_id"),
        sizes=r.items(data["sizes"], f"{key}.sizes", r.size),
        durations=r.durations(data["durations"], f"{key}.durations"),
        supports_audio=audio,
        supports_silent=silent,
        per_second_price=r.prices(data["per_second_price"], f"{key}.per_second_price"),
        image_input_price=r.price(data.get("image_input_price", 0.0), f"{key}.image_input_price"),
        stealth=r.flag(data.get("stealth", False), f"{key}.stealth"),
        deprecated_at=deprecated,
        deactivated_at=deactivated,
        image_to_video_durations=(
            r.durations(data["image_to_video_durations"], f"{key}.image_to_video_durations")
            if "image_to_video_durations" in data
            else ()
        ),
        context_size=None if context is None else r.integer(context, f"{key}.context_size"),
    )


def load_catalogue_text(text: str, source: str, *, release: str | None = None, as_of: float | None = None) -> Catalogue:
    """A catalogue from YAML text; ``release``, when given, must match the file's ``release`` key."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueDataError(f"{source}: not valid YAML: {exc}") from None
    name, models = parse_catalogue(document, source)
    if release is not None and name != release:
        raise CatalogueDataError(
            f"{source}: release: expected {release!r} (the release this file is for), got {name!r}"
        )
    return Catalogue(models, as_of=as_of)


def load_catalogue_file(path: str | Path, *, release: str | None = None, as_of: float | None = None) -> Catalogue:
    """A catalogue from a file on disk (a user's own catalogue, or a test's broken one)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueDataError(f"{file.name}: cannot be read: {exc}") from None
    return load_catalogue_text(text, file.name, release=release, as_of=as_of)


def load_packaged_catalogue(file_name: str, *, release: str, as_of: float | None) -> Catalogue:
    """A catalogue file shipped in ``vidmock/catalogue_data/``."""
    text = resources.files("vidmock").joinpath(DATA_DIR, file_name).read_text(encoding="utf-8")
    return load_catalogue_text(text, file_name, release=release, as_of=as_of)
