"""What a job should cost, from the prices the target itself publishes (``GET /v1/models``).

The gateway bills a completed job as ``rate × seconds`` plus ``image price × images`` (gateway.md §2.1,
§5 "Price keys"), each rounded to six places, where the rate is looked up in the mapping's
``per_second`` table the way W1's ``getVideoOutputCost`` does: with the audio flag known,
``<res>_audio`` / ``<res>_video`` then ``default_audio`` / ``default_video``, then the plain ``<res>``
and ``default``. A black box does not say which provider served a job, so a job priced by any of its
model's providers passes; a pinned ``provider/model`` is held to that provider's table.

Written from the spec, not imported from the gateway: the harness judges implementations, vidmock's
included, and must not share their arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Size (short side) -> the resolution name the price keys use (gateway.md §5 size table).
RESOLUTIONS = {480: "480p", 720: "720p", 768: "768p", 960: "960p", 1080: "1080p", 2160: "4k"}
DEFAULT_SIZE = "1280x720"  # what the gateway routes a create without `size` as (gateway.md §2)
IMAGE_FIELDS = ("image", "last_frame")
PLACES = 6


@dataclass(frozen=True)
class Prices:
    provider: str
    per_second: dict[str, float]
    image: float


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def published_prices(models: list[dict[str, Any]]) -> dict[str, list[Prices]]:
    """Model id (and ``provider/model`` pin) -> the price tables of its providers."""
    out: dict[str, list[Prices]] = {}
    for model in models:
        providers = model.get("providers")
        for entry in providers if isinstance(providers, list) else []:
            pricing = entry.get("pricing") if isinstance(entry, dict) else None
            if not isinstance(pricing, dict) or not isinstance(pricing.get("per_second"), dict):
                continue
            rates = {k: r for k, v in pricing["per_second"].items() if (r := _number(v)) is not None}
            prices = Prices(str(entry.get("providerId")), rates, _number(pricing.get("image")) or 0.0)
            out.setdefault(str(model.get("id")), []).append(prices)
            out.setdefault(f"{prices.provider}/{model.get('id')}", []).append(prices)
    return out


def resolution(size: str) -> str | None:
    width, _, height = size.partition("x")
    if not (width.isdigit() and height.isdigit()):
        return None
    return RESOLUTIONS.get(min(int(width), int(height)))


def rate(per_second: dict[str, float], res: str, audio: bool) -> float:
    bases = [res, "default"]
    for key in [f"{b}_{'audio' if audio else 'video'}" for b in bases] + bases:
        if key in per_second:
            return per_second[key]
    return max(per_second.values(), default=0.0)  # no key matches: the gateway bills its highest rate


def image_count(body: dict[str, Any]) -> int:
    """Frames (`image`, `last_frame`) count one each; otherwise the reference images."""
    frames = sum(1 for f in IMAGE_FIELDS if body.get(f) is not None)
    if frames:
        return frames
    refs = body.get("reference_images") or body.get("input_reference") or []
    return len(refs) if isinstance(refs, list) else 1


def expected_costs(prices: Prices, body: dict[str, Any], seconds: int) -> tuple[float, float, float]:
    """(video_output_cost, image_input_cost, cost) for this job on this provider's table."""
    res = resolution(str(body.get("size") or DEFAULT_SIZE)) or "default"
    audio = body.get("audio", True) is not False
    video = round(rate(prices.per_second, res, audio) * seconds, PLACES)
    images = round(prices.image * image_count(body), PLACES)
    return video, images, round(video + images, PLACES)
