"""The video model catalogue (gateway.md §5.4) with mapping lifecycles (changes-2026-12.md §1.7), and
model resolution (§5.1).

The real gateway keeps its catalogue in ``packages/models`` and decides routing from those records
alone, so the emulator does the same: every rule in ``constraints.py`` reads these frozen records
and nothing else. The records themselves are data, one YAML file per gateway release in
``vidmock/catalogue_data/`` (loaded by ``catalogue_data``), so a change in the real catalogue is a
change to one file. Tests build variants (a deactivated mapping, a model that requires an image)
with :meth:`Catalogue.with_overrides` instead of patching code.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from vidmock.errors import GatewayError

PriceTable = AbcMapping[str, float]

# §2 business-rule table, rows 3 and 4 (G1 getVideoModel).
UNSUPPORTED_MODEL_MESSAGE = (
    "Unsupported video model. Use a video-capable model from /v1/models, optionally prefixed with "
    "a configured provider like openai/ or google-vertex/."
)


def deactivated_message(model: str) -> str:
    """410 text; ``model`` is the string as requested, bare or ``provider/model`` (G1)."""
    return f"Model {model} has been deactivated and is no longer available"


@dataclass(frozen=True)
class Mapping:
    """One provider's offer of a canonical model (a ``ProviderModelMapping`` with ``videoGenerations``).

    ``per_second_price`` keys follow W1 ``getVideoOutputCost``: ``<res>_audio`` / ``<res>_video``
    (with / without audio), then plain ``<res>``; ``default`` stands for any resolution, so
    ``default_audio`` and ``default_video`` are valid too. See ``constraints.per_second_rate``
    for the lookup order, which decides how a table must be written.
    """

    provider: str
    external_id: str
    sizes: tuple[str, ...]
    durations: tuple[int, ...]
    supports_audio: bool
    supports_silent: bool
    # Excluded from the hash so mappings stay usable as dict keys / set members.
    per_second_price: PriceTable = field(hash=False)
    image_input_price: float = 0.0
    active: bool = True  # False: deactivated whatever the date (tests, ``with_overrides``)
    stealth: bool = False
    # Lifecycle (changes-2026-12.md §1.7), unix seconds: usable until the clock is past ``deactivated_at``.
    deprecated_at: float | None = None
    deactivated_at: float | None = None
    # Declared by the real catalogue, not read by the constraint check (changes-2026-12.md §1.8).
    image_to_video_durations: tuple[int, ...] = ()
    context_size: int | None = None  # reported by GET /v1/models

    def __post_init__(self) -> None:
        # A read-only view, so a shared catalogue cannot be re-priced by one caller.
        object.__setattr__(self, "per_second_price", MappingProxyType(dict(self.per_second_price)))

    def usable_at(self, now: float | None) -> bool:
        """Active and, when a time is given, not past its ``deactivatedAt`` (``now > deactivatedAt``,
        as the real gateway compares)."""
        if not self.active:
            return False
        return now is None or self.deactivated_at is None or now <= self.deactivated_at

    def deprecated_by(self, now: float) -> bool:
        return self.deprecated_at is not None and now > self.deprecated_at


@dataclass(frozen=True)
class VideoModel:
    """A canonical video model: its id, its provider mappings, and model-level limits (§2 rows 5, 6)."""

    id: str
    mappings: tuple[Mapping, ...]
    max_duration_seconds: int | None
    image_input_required: bool = False
    # What GET /v1/models reports (N3 model fields); none of it changes routing.
    name: str | None = None
    family: str = ""
    released_at: float | None = None
    stability: str | None = None
    description: str | None = None

    @property
    def active_mappings(self) -> tuple[Mapping, ...]:
        """Mappings not switched off, whatever the date."""
        return tuple(m for m in self.mappings if m.active)

    def usable_mappings(self, now: float | None) -> tuple[Mapping, ...]:
        return tuple(m for m in self.mappings if m.usable_at(now))


@dataclass(frozen=True)
class Resolved:
    """The outcome of §5.1: the model, the mappings to check, and the pinned provider if any."""

    model: VideoModel
    mappings: tuple[Mapping, ...]
    pinned_provider: str | None


class Catalogue:
    """An immutable set of video models, answering the gateway's model lookups.

    ``as_of`` is the date of the release the catalogue belongs to: lifecycle dates are judged at
    ``max(now, as_of)``, because a deployed gateway never runs before its release. So the newest
    release has Sora deactivated on every clock (a virtual clock starting in March 2026 included),
    while a mapping whose ``deactivatedAt`` is still ahead goes away when the server's clock passes it.
    """

    def __init__(self, models: Iterable[VideoModel], *, as_of: float | None = None) -> None:
        self.as_of = as_of
        self._models: tuple[VideoModel, ...] = tuple(models)
        self._by_id: dict[str, VideoModel] = {}
        for model in self._models:
            if model.id in self._by_id:
                raise ValueError(f"duplicate model id {model.id!r}")
            self._by_id[model.id] = model

    def models(self) -> tuple[VideoModel, ...]:
        return self._models

    def get(self, model_id: str) -> VideoModel | None:
        return self._by_id.get(model_id)

    def effective_time(self, now: float | None) -> float | None:
        """The time lifecycle dates are judged at: ``max(now, as_of)``; without ``now``, the release's own
        date (and no date at all for a catalogue without one)."""
        if now is None or self.as_of is None:
            return now if now is not None else self.as_of
        return max(now, self.as_of)

    def resolve(self, model: str, now: float | None = None) -> Resolved:
        """Match ``model`` in the gateway's order (§5.1, G1 ``getVideoModel``).

        1. canonical id with a usable mapping; 2. canonical id, none usable → 410;
        3. ``provider/model`` on a usable mapping → pinned; 4. the same on an unusable
        mapping → 410; 5. anything else → 400. A mapping is usable while active and, given
        ``now``, not past its ``deactivatedAt`` (changes-2026-12.md §1.7).
        """
        at = self.effective_time(now)
        exact = self._by_id.get(model)
        if exact is not None:
            active = exact.usable_mappings(at)
            if active:
                return Resolved(model=exact, mappings=active, pinned_provider=None)
            raise GatewayError(410, deactivated_message(model))

        provider, slash, model_id = model.partition("/")
        prefixed = self._by_id.get(model_id) if slash else None
        if prefixed is not None:
            offered = tuple(m for m in prefixed.mappings if m.provider == provider)
            active = tuple(m for m in offered if m.usable_at(at))
            if active:
                return Resolved(model=prefixed, mappings=active, pinned_provider=provider)
            if offered:
                raise GatewayError(410, deactivated_message(model))

        raise GatewayError(400, UNSUPPORTED_MODEL_MESSAGE)

    def with_overrides(self, *, deactivate: Iterable[str] = (), models: Iterable[VideoModel] = ()) -> Catalogue:
        """A new catalogue with some changes, for tests and configuration.

        ``models`` replaces models of the same id (or adds new ones), applied first.
        ``deactivate`` takes ``"<model>"`` (every mapping) or ``"<provider>/<model>"`` (that
        provider's mappings); a name that matches nothing is an error, so typos do not pass silently.
        """
        by_id = dict(self._by_id)
        order = [m.id for m in self._models]
        for model in models:
            if model.id not in by_id:
                order.append(model.id)
            by_id[model.id] = model

        for name in deactivate:
            provider, slash, model_id = name.partition("/")
            if not slash:
                provider, model_id = "", name
            target = by_id.get(model_id)
            if target is None or (provider and all(m.provider != provider for m in target.mappings)):
                raise ValueError(f"nothing to deactivate for {name!r}")
            by_id[model_id] = replace(
                target,
                mappings=tuple(
                    replace(m, active=False) if not provider or m.provider == provider else m for m in target.mappings
                ),
            )
        return Catalogue((by_id[model_id] for model_id in order), as_of=self.as_of)


def default_catalogue(release: str | None = None, *, include_avalanche: bool = True) -> Catalogue:
    """The catalogue of a gateway release (``releases.DEFAULT_RELEASE``, the newest, when None).

    ``include_avalanche=False`` drops the Avalanche mappings (only the older release has them).
    """
    from .releases import get_release  # releases loads catalogues built from this module's records

    catalogue = get_release(release).catalogue()
    if include_avalanche:
        return catalogue
    models = [
        replace(m, mappings=tuple(p for p in m.mappings if p.provider != "avalanche")) for m in catalogue.models()
    ]
    return Catalogue(models, as_of=catalogue.as_of)


def default_models(release: str | None = None, *, include_avalanche: bool = True) -> tuple[VideoModel, ...]:
    """Every model of a release's catalogue (see :func:`default_catalogue`)."""
    return default_catalogue(release, include_avalanche=include_avalanche).models()
