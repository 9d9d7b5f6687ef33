"""The video model catalogue, as data (gateway.md §5.4), and model resolution (§5.1).

The real gateway keeps its catalogue in ``packages/models`` and decides routing from those records
alone, so the emulator does the same: every rule in ``constraints.py`` reads these frozen records
and nothing else. Keeping the catalogue as plain data makes it easy to see what the emulator
claims about each model, and lets tests build variants (a deactivated mapping, a model that
requires an image) with :meth:`Catalogue.with_overrides` instead of patching code.

Values the reference does not give are marked "(not in the reference: chosen)".
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
    active: bool = True
    stealth: bool = False

    def __post_init__(self) -> None:
        # A read-only view, so a shared catalogue cannot be re-priced by one caller.
        object.__setattr__(self, "per_second_price", MappingProxyType(dict(self.per_second_price)))


@dataclass(frozen=True)
class VideoModel:
    """A canonical video model: its id, its provider mappings, and model-level limits (§2 rows 5, 6)."""

    id: str
    mappings: tuple[Mapping, ...]
    max_duration_seconds: int | None
    image_input_required: bool = False

    @property
    def active_mappings(self) -> tuple[Mapping, ...]:
        return tuple(m for m in self.mappings if m.active)


@dataclass(frozen=True)
class Resolved:
    """The outcome of §5.1: the model, the mappings to check, and the pinned provider if any."""

    model: VideoModel
    mappings: tuple[Mapping, ...]
    pinned_provider: str | None


class Catalogue:
    """An immutable set of video models, answering the gateway's model lookups."""

    def __init__(self, models: Iterable[VideoModel]) -> None:
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

    def resolve(self, model: str) -> Resolved:
        """Match ``model`` in the gateway's order (§5.1, G1 ``getVideoModel``).

        1. canonical id with an active mapping; 2. canonical id, all deactivated → 410;
        3. ``provider/model`` on an active mapping → pinned; 4. the same on a deactivated
        mapping → 410; 5. anything else → 400.
        """
        exact = self._by_id.get(model)
        if exact is not None:
            active = exact.active_mappings
            if active:
                return Resolved(model=exact, mappings=active, pinned_provider=None)
            raise GatewayError(410, deactivated_message(model))

        provider, slash, model_id = model.partition("/")
        prefixed = self._by_id.get(model_id) if slash else None
        if prefixed is not None:
            offered = tuple(m for m in prefixed.mappings if m.provider == provider)
            active = tuple(m for m in offered if m.active)
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
        return Catalogue(by_id[model_id] for model_id in order)


# ---------------------------------------------------------------------------------------------
# The default catalogue (gateway.md §5.4). Prices are USD per second.
# ---------------------------------------------------------------------------------------------

_VEO_SIZES = ("1280x720", "720x1280", "1920x1080", "1080x1920", "3840x2160", "2160x3840")
_HD_720_1080 = ("1280x720", "720x1280", "1920x1080", "1080x1920")
_AVALANCHE_SIZES = ("1920x1080", "3840x2160")  # landscape only, per S1


def _veo_models(include_avalanche: bool) -> list[VideoModel]:
    veo = [
        Mapping(
            provider="google-vertex",
            external_id="veo-3.1-generate-001",  # S1
            sizes=_VEO_SIZES,
            durations=(4, 6, 8, 10),
            supports_audio=True,
            supports_silent=True,
            # $0.40 (720p/1080p) and $0.60 (4k) with audio. The silent rates (0.20 / 0.40) are
            # (not in the reference: chosen), after Vertex's published half-price silent tier.
            per_second_price={"default_audio": 0.40, "default_video": 0.20, "4k_audio": 0.60, "4k_video": 0.40},
        ),
    ]
    fast = [
        Mapping(
            provider="google-vertex",
            # (not in the reference: chosen) — Vertex's GA name for Veo 3.1 Fast.
            external_id="veo-3.1-fast-generate-001",
            sizes=_VEO_SIZES,
            durations=(4, 6, 8, 10),
            supports_audio=True,
            supports_silent=True,
            # $0.15 audio / $0.10 silent (S1), $0.35 at 4k (DOC). 4k must be keyed with the
            # audio suffixes, or default_audio would shadow it; the 4k silent rate equal to the
            # audio one is (not in the reference: chosen).
            per_second_price={"default_audio": 0.15, "default_video": 0.10, "4k_audio": 0.35, "4k_video": 0.35},
        ),
    ]
    if include_avalanche:
        # Avalanche is a stealth reseller (G3, W1): fixed 8 s clips, aspect-ratio sizes,
        # audio always on. Its prices mirror Vertex's (not in the reference: chosen), except
        # that S1 bills fast at 4k 8 s = $2.80, i.e. $0.35/s, which the Vertex fast table gives.
        veo.append(
            Mapping(
                provider="avalanche",
                external_id="veo3",
                sizes=_AVALANCHE_SIZES,
                durations=(8,),
                supports_audio=True,
                supports_silent=False,
                per_second_price={"default": 0.40, "4k": 0.60},
                stealth=True,
            )
        )
        fast.append(
            Mapping(
                provider="avalanche",
                external_id="veo3_fast",
                sizes=_AVALANCHE_SIZES,
                durations=(8,),
                supports_audio=True,
                supports_silent=False,
                per_second_price={"default": 0.15, "4k": 0.35},
                stealth=True,
            )
        )
    return [
        VideoModel("veo-3.1-generate-preview", tuple(veo), max_duration_seconds=10),
        VideoModel("veo-3.1-fast-generate-preview", tuple(fast), max_duration_seconds=10),
    ]


def _seedance(model_id: str, external_id: str, sizes: tuple[str, ...], max_s: int, prices: PriceTable) -> VideoModel:
    return VideoModel(
        model_id,
        (
            Mapping(
                provider="bytedance",
                external_id=external_id,
                sizes=sizes,
                durations=tuple(range(4, max_s + 1)),
                supports_audio=True,
                supports_silent=True,
                per_second_price=prices,
            ),
        ),
        max_duration_seconds=max_s,
    )


def _bytedance_models() -> list[VideoModel]:
    return [
        _seedance(
            "seedance-2-5",
            "dreamina-seedance-2-5-260628",
            ("848x480", "854x480", "480x854", "1280x720", "720x1280", "1920x1080", "1080x1920"),
            30,
            {"480p": 0.1028, "720p": 0.2311, "1080p": 0.52, "default": 0.2311},
        ),  # default: (not in the reference: chosen)
        _seedance(
            "seedance-2-0",
            "dreamina-seedance-2-0-260128",
            _HD_720_1080,
            15,
            {"720p": 0.1512, "1080p": 0.3402, "default": 0.1512},
        ),
        _seedance(
            "seedance-2-0-fast", "dreamina-seedance-2-0-fast-260128", ("1280x720", "720x1280"), 15, {"default": 0.121}
        ),
        _seedance(
            "seedance-2-0-mini",
            "dreamina-seedance-2-0-mini-260615",
            ("1280x720", "720x1280", "848x480", "854x480", "480x854"),
            15,
            {"480p": 0.0378, "720p": 0.0756, "default": 0.0756},
        ),
        VideoModel(
            "seedance-1-5-pro",
            (
                Mapping(
                    provider="bytedance",
                    external_id="seedance-1-5-pro-251215",  # "not confirmed" in the reference: chosen
                    sizes=_HD_720_1080,
                    durations=(5, 10),
                    supports_audio=True,
                    supports_silent=True,
                    per_second_price={
                        "720p_audio": 0.05184,
                        "720p_video": 0.02592,
                        "1080p_audio": 0.1166,
                        "1080p_video": 0.05832,
                        "default": 0.05184,
                    },
                ),
            ),
            max_duration_seconds=10,
        ),
    ]


def _atlascloud_models() -> list[VideoModel]:
    return [
        VideoModel(
            "kling-v3-0",
            (
                Mapping(
                    provider="atlascloud",
                    external_id="kwaivgi/kling-v3.0",  # ATL
                    sizes=_VEO_SIZES,
                    durations=(5, 10),
                    supports_audio=True,
                    supports_silent=True,
                    # S1 bills 4k at $0.42 with and without audio, so 4k is a plain key and the table
                    # has no default_audio / default_video (either would shadow it).
                    per_second_price={
                        "720p_audio": 0.126,
                        "720p_video": 0.084,
                        "1080p_audio": 0.168,
                        "1080p_video": 0.112,
                        "4k": 0.42,
                        "default": 0.126,
                    },
                ),
            ),
            max_duration_seconds=10,
        ),
        VideoModel(
            "kling-v3-0-turbo",
            (
                Mapping(
                    provider="atlascloud",
                    external_id="kwaivgi/kling-v3.0-turbo",  # ATL
                    sizes=_HD_720_1080,
                    durations=(5, 10),
                    supports_audio=True,
                    supports_silent=False,
                    per_second_price={"720p": 0.168, "1080p": 0.21, "default": 0.168},
                ),
            ),
            max_duration_seconds=10,
        ),
    ]


def _minimax_models() -> list[VideoModel]:
    return [
        VideoModel(
            "minimax-h3-max",
            (
                Mapping(
                    provider="minimax",
                    external_id="MiniMax-H3-Max",
                    sizes=("848x480", "854x480", "480x854", "1366x768", "768x1366"),
                    durations=tuple(range(5, 16)),
                    supports_audio=True,
                    supports_silent=False,
                    # (not in the reference: chosen) — MiniMax's list price for H3 Max.
                    per_second_price={"480p": 0.05, "768p": 0.08, "default": 0.08},
                ),
            ),
            max_duration_seconds=15,
        ),
        VideoModel(
            "minimax-hailuo-2-3",
            (
                Mapping(
                    provider="minimax",
                    external_id="MiniMax-Hailuo-2.3",  # (not in the reference: chosen)
                    sizes=_HD_720_1080,  # (not in the reference: chosen)
                    durations=(6, 10),  # (not in the reference: chosen) — MiniMax v1 durations
                    # Audio flags (not in the reference: chosen): audio-and-silent, because the
                    # gateway's default is audio=true and a silent-only model would reject every
                    # default request. The v1 request carries no audio flag either way (§5.3).
                    supports_audio=True,
                    supports_silent=True,
                    # (not in the reference: chosen) — MiniMax list price, 768P $0.28 / 1080P $0.49 per 6 s.
                    per_second_price={"720p": 0.0467, "1080p": 0.0817, "default": 0.0467},
                ),
            ),
            max_duration_seconds=10,
        ),  # (not in the reference: chosen); 1080P caps at 6 s upstream
    ]


def _other_models() -> list[VideoModel]:
    return [
        VideoModel(
            "grok-imagine-video-1-5-preview",
            (
                Mapping(
                    provider="xai",
                    external_id="grok-imagine-video",  # (not in the reference: chosen) — xAI's public id
                    # (not in the reference: chosen) beyond S1's 848x480 and 1280x720.
                    sizes=("848x480", "854x480", "480x854", "1280x720", "720x1280"),
                    durations=tuple(range(1, 16)),  # (not in the reference: chosen)
                    supports_audio=True,
                    supports_silent=True,  # (not in the reference: chosen)
                    per_second_price={"480p": 0.08, "720p": 0.14, "default": 0.14},  # S1
                    image_input_price=0.01,  # S1
                ),
            ),
            max_duration_seconds=15,
        ),  # (not in the reference: chosen)
        # Sora: sizes, durations and audio flags (not in the reference: chosen) from OpenAI's
        # Videos API. Sora always renders audio, so audio=false is rejected.
        VideoModel(
            "sora-2",
            (
                Mapping(
                    provider="openai",
                    external_id="sora-2",
                    sizes=("1280x720", "720x1280"),
                    durations=(4, 8, 12),
                    supports_audio=True,
                    supports_silent=False,
                    per_second_price={"default": 0.10},  # S3: 4 s = $0.40
                ),
            ),
            max_duration_seconds=12,
        ),
        VideoModel(
            "sora-2-pro",
            (
                Mapping(
                    provider="openai",
                    external_id="sora-2-pro",
                    sizes=("1280x720", "720x1280", "1792x1024", "1024x1792", "1920x1080", "1080x1920"),
                    durations=(4, 8, 12),
                    supports_audio=True,
                    supports_silent=False,
                    # S3: 1920x1080 4 s = $2.80 → 1080p $0.70. 720p $0.30 and hd (1792x1024) $0.50 are
                    # (not in the reference: chosen) from OpenAI's price list.
                    per_second_price={"720p": 0.30, "hd": 0.50, "1080p": 0.70, "default": 0.30},
                ),
            ),
            max_duration_seconds=12,
        ),
        # Alibaba: the model id is unknown ("Wan?"); everything here is (not in the reference: chosen).
        VideoModel(
            "wan-2-5",
            (
                Mapping(
                    provider="alibaba",
                    external_id="wan2.5-t2v-preview",
                    sizes=("1280x720", "720x1280", "1920x1080", "1080x1920", "848x480", "480x854"),
                    durations=(5, 10),
                    supports_audio=True,
                    supports_silent=True,
                    per_second_price={"480p": 0.05, "720p": 0.10, "1080p": 0.15, "default": 0.10},
                ),
            ),
            max_duration_seconds=10,
        ),
    ]


def default_models(*, include_avalanche: bool = True) -> tuple[VideoModel, ...]:
    """Every row of the §5.4 table. No model requires an image (``image_input_required`` stays False)."""
    return (
        *_veo_models(include_avalanche),
        *_bytedance_models(),
        *_atlascloud_models(),
        *_minimax_models(),
        *_other_models(),
    )


def default_catalogue(*, include_avalanche: bool = True) -> Catalogue:
    """The catalogue vidmock serves. Avalanche is present by default ("What to emulate");
    ``include_avalanche=False`` gives the G1 catalogue, where it has been removed."""
    return Catalogue(default_models(include_avalanche=include_avalanche))
