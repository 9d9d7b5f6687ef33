"""``GET /v1/models`` for the video models of the served release (the list the 400 for an unsupported
model points to, gateway.md §2 row 4).

The shape is the real route's (``apps/gateway/src/models/models.ts``, ``v1_models``): ``{"data": [model]}``
with the model fields, per-provider entries and string prices it builds from the catalogue. The real
route lists every model (chat included) and needs no API key; vidmock serves only video models. A model
whose every mapping is past its ``deactivatedAt`` is left out unless ``include_deactivated=true``; a model
whose every mapping is deprecated is left out with ``exclude_deprecated=true``. Mappings of a listed model
are all shown, as the real route does (it filters models, not mappings).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..domain.catalogue import Catalogue, Mapping, VideoModel

# The real route's fallback for models without explicit parameters (non-Anthropic family).
DEFAULT_PARAMETERS = (
    "temperature",
    "max_tokens",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "response_format",
    "tools",
    "tool_choice",
)


def js_number(value: float) -> str:
    """A price as JavaScript's ``toString`` prints it (``0.4``, ``1``, ``0.0378``)."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def iso(seconds: float) -> str:
    """``Date.toISOString()``: UTC with milliseconds."""
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _model_level_date(dates: list[float | None]) -> str | None:
    """The date the last mapping flips, only when every mapping has one (``getModelLevelDate``)."""
    if not dates or any(d is None for d in dates):
        return None
    return iso(max(d for d in dates if d is not None))


def _pricing(mapping: Mapping) -> dict[str, Any]:
    return {
        "prompt": "0",
        "completion": "0",
        "image": js_number(mapping.image_input_price),
        "per_second": {k: js_number(v) for k, v in mapping.per_second_price.items()},
    }


def _provider(model: VideoModel, mapping: Mapping) -> dict[str, Any]:
    out: dict[str, Any] = {
        "providerId": mapping.provider,
        "externalId": mapping.external_id,
        "supportedVideoSizes": list(mapping.sizes),
        "supportsVideoAudio": mapping.supports_audio,
        "supportsVideoWithoutAudio": mapping.supports_silent,
        "pricing": _pricing(mapping),
        "streaming": False,
        "vision": False,
        "cancellation": False,
        "tools": False,
        "parallelToolCalls": False,
        "reasoning": False,
    }
    if model.stability is not None:
        out["stability"] = model.stability
    return out


def model_entry(model: VideoModel) -> dict[str, Any]:
    first = model.mappings[0]
    entry: dict[str, Any] = {
        "id": model.id,
        "name": model.name or model.id,
    }
    if model.released_at is not None:
        entry["created"] = int(model.released_at)
    entry |= {
        "description": f"{model.id} provided by {', '.join(m.provider for m in model.mappings)}",
        "family": model.family,
        "architecture": {"input_modalities": ["text"], "output_modalities": ["video"], "tokenizer": "GPT"},
        "top_provider": {"is_moderated": True},
        "providers": [_provider(model, m) for m in model.mappings],
        "pricing": {
            **_pricing(first),
            "request": "0",
            "input_cache_read": "0",
            "input_cache_write": "0",
            "input_cache_write_1h": "0",
            "web_search": "0",
            "internal_reasoning": "0",
        },
        "context_length": max((m.context_size or 0) for m in model.mappings),
        "supported_parameters": list(DEFAULT_PARAMETERS),
        "json_output": False,
        "structured_outputs": False,
        "free": False,
    }
    if model.max_duration_seconds is not None:
        entry["per_request_limits"] = {"max_video_duration_seconds": str(model.max_duration_seconds)}
    deprecated = _model_level_date([m.deprecated_at for m in model.mappings])
    deactivated = _model_level_date([m.deactivated_at for m in model.mappings])
    if deprecated is not None:
        entry["deprecated_at"] = deprecated
    if deactivated is not None:
        entry["deactivated_at"] = deactivated
    if model.stability is not None:
        entry["stability"] = model.stability
    return entry


def list_models(
    catalogue: Catalogue, now: float, *, include_deactivated: bool = False, exclude_deprecated: bool = False
) -> dict[str, Any]:
    """The response body; dates are judged at the catalogue's effective time (the release's date at the
    earliest), as resolution does."""
    at = catalogue.effective_time(now)
    assert at is not None
    data = []
    for model in catalogue.models():
        if not include_deactivated and not model.usable_mappings(at):
            continue
        if exclude_deprecated and all(m.deprecated_by(at) for m in model.mappings):
            continue
        data.append(model_entry(model))
    return {"data": data}
