"""The shape of a Runway model's description: which endpoints take it and what each accepts
(providers.md §9.2). The data is in ``specs`` (the models of the reference) and ``specs_2026`` (those of
changes-2026-12.md §4.4)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Durations:
    allowed: tuple[int, ...]
    default: int | None  # None: the field is required
    literal: bool = False  # an enum (Literal[4, 6, 8]) rather than an integer range
    auto: bool = False  # "auto" accepted (Seedance 2)


@dataclass(frozen=True)
class Variant:
    """One model on one endpoint."""

    prompt: str = "optional"  # "required" | "optional" | "absent"
    ratios: tuple[str, ...] | None = None  # None: no ratio field
    ratio_default: str | None = None  # None with ratios: required
    ratio_free: bool = False  # any "W:H" string (aleph2)
    media: str | None = None  # promptImage | videoUri | promptVideo: the required input
    extra: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ModelSpec:
    name: str
    variants: dict[str, Variant]
    durations: Durations | None  # None: no duration field; the output follows the input video
    prompt_max: int = 1000
    last_frame: bool = False  # promptImage may carry a {position: "last"} frame
    audio_field: bool = False
    audio: bool = False  # the default (or fixed) audio track of the output
    credits: float = 10.0  # per second of output
    credits_silent: float | None = None  # per second when audio is false
    latency: float = 60.0  # seconds from submit to SUCCEEDED
    resolutions: tuple[str, ...] = ()
    resolution_default: str | None = None
    tier_credits: dict[str, float] = field(default_factory=dict)


__all__ = ["Durations", "ModelSpec", "Variant"]
