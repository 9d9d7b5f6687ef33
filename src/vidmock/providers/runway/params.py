"""Validating a create body the way Runway's validator does (providers.md §9.2, §9.4).

Runway validates with zod: the ``model`` discriminator first (an unknown model, or one the endpoint
does not offer, is a bare ``invalid_union``), then every field of that model's schema, reporting all
issues at once, in schema order, then keys the schema does not know (the schema is strict:
``additionalProperties: false``). Assets (``promptImage``, ``videoUri``, references) must be an
HTTPS URL on a domain, a ``runway://`` upload URI, or a base64 data URI of a supported type under
5 MB (16 MB for ``video_upscale``); the reasons are the troubleshooting guide's ("Only HTTPS URLs are
allowed.", "URLs must be hosted on a domain.", "Invalid data URI.", "Unsupported asset type."),
reported (chosen) as ``custom`` issues on the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import (
    Issue,
    custom,
    invalid_type,
    invalid_value,
    no_discriminator,
    too_big,
    too_small,
    unrecognized,
    validation_error,
)
from .fields import CHECKS, MAX_SEED, MB, MODEL_CHECKS, asset, integer
from .spec_types import ModelSpec, Variant
from .specs import MODELS, TIERS, VIDEO_INPUT_SECONDS
from .specs_2026 import (
    DRAFT_SIZE,
    NAMED_RATIOS,
)

FREE_RATIO = re.compile(r"^(\d{2,4}):(\d{2,4})$")


@dataclass(frozen=True)
class CreateFields:
    endpoint: str
    model: str
    prompt: str
    width: int
    height: int
    duration: int
    audio: bool
    seed: int | None
    estimate: int  # estimatedCost.credits: the most this task may charge
    cost: int  # cost.credits once it succeeds (lower than the estimate for Seedance "auto")


def parse_create(endpoint: str, body: Any, strict: bool = True) -> CreateFields:
    """``CreateFields`` for a valid body; RunwayError 400 "Validation of body failed" otherwise."""
    if not isinstance(body, dict):
        raise validation_error([invalid_type([], "object", body)])
    model = body.get("model")
    if "model" not in body or not isinstance(model, str):
        raise validation_error(
            [invalid_type(["model"], "string", model, missing="model" not in body), no_discriminator(["model"])]
        )
    spec = MODELS.get(model)
    if spec is None or endpoint not in spec.variants:
        raise validation_error([no_discriminator(["model"])])
    variant = spec.variants[endpoint]
    issues: list[Issue] = []
    limit = 16 * MB if endpoint == "video_upscale" else 5 * MB
    if variant.media == "promptImage":
        _prompt_image(body, spec, issues)
    elif variant.media is not None:
        if variant.media not in body:
            issues.append(invalid_type([variant.media], "string", None, missing=True))
        else:
            asset(body[variant.media], [variant.media], "video", issues, limit)
    prompt = _prompt(body, spec, variant, issues)
    ratio = _ratio(body, variant, issues)
    seconds, auto = _duration(body, spec, issues)
    if "seed" in body:
        integer(body["seed"], ["seed"], 0, MAX_SEED, issues)
    if spec.audio_field and "audio" in body and not isinstance(body["audio"], bool):
        issues.append(invalid_type(["audio"], "boolean", body["audio"]))
    for key in sorted(variant.extra):
        if key in body:
            MODEL_CHECKS.get((spec.name, key), CHECKS[key])(body[key], [key], spec, issues)
    if body.get("draft") is True and body.get("outputFormat", "mp4") != "mp4":
        issues.append(custom(["outputFormat"], "Draft mode only supports mp4."))
    if strict:
        unknown = [k for k in body if k not in _allowed(spec, variant)]
        if unknown:
            issues.append(unrecognized(unknown))
    if issues:
        raise validation_error(issues)
    width, height = _dimensions(body, spec, ratio)
    audio = bool(body.get("audio", spec.audio)) if spec.audio_field else spec.audio
    rate = spec.tier_credits.get(_tier(body, spec) or "", spec.credits)
    if not audio and spec.credits_silent is not None:
        rate = spec.credits_silent
    most = max(spec.durations.allowed) if auto and spec.durations else seconds  # "auto" is billed at the maximum
    seed = int(body["seed"]) if "seed" in body else None  # 7.0 is a valid integer to zod
    return CreateFields(
        endpoint, spec.name, prompt, width, height, seconds, audio, seed, round(rate * most), round(rate * seconds)
    )


def _allowed(spec: ModelSpec, variant: Variant) -> set[str]:
    keys = {"model", *variant.extra}
    if variant.media:
        keys.add(variant.media)
    if variant.prompt != "absent":
        keys.add("promptText")
    if variant.ratios or variant.ratio_free:
        keys.add("ratio")
    if spec.durations is not None:
        keys.add("duration")
    if spec.durations is not None or variant.ratio_free or variant.ratios:
        keys.add("seed")
    if spec.audio_field:
        keys.add("audio")
    return keys


def _prompt(body: dict[str, Any], spec: ModelSpec, variant: Variant, issues: list[Issue]) -> str:
    if variant.prompt == "absent" or ("promptText" not in body and variant.prompt == "optional"):
        return ""
    value = body.get("promptText")
    if not isinstance(value, str):
        issues.append(invalid_type(["promptText"], "string", value, missing="promptText" not in body))
        return ""
    units = len(value.encode("utf-16-le", "surrogatepass")) // 2  # Runway counts UTF-16 code units
    if units < 1:
        issues.append(too_small(["promptText"], "string", 1))
    elif units > spec.prompt_max:
        issues.append(too_big(["promptText"], "string", spec.prompt_max))
    return value


def _ratio(body: dict[str, Any], variant: Variant, issues: list[Issue]) -> str | None:
    value = body.get("ratio")
    if variant.ratio_free:
        if value is None:
            return "1280:720"
        match = FREE_RATIO.match(value) if isinstance(value, str) else None
        if match is None or not all(2 <= int(g) <= 4096 for g in match.groups()):
            issues.append(custom(["ratio"], "Invalid ratio: expected WIDTH:HEIGHT in pixels, each at most 4096."))
            return None
        return str(value)
    if not variant.ratios:
        return None
    if "ratio" not in body and variant.ratio_default is not None:
        return variant.ratio_default
    if value not in variant.ratios:
        issues.append(invalid_value(["ratio"], variant.ratios))
        return None
    return str(value)


def _duration(body: dict[str, Any], spec: ModelSpec, issues: list[Issue]) -> tuple[int, bool]:
    rule = spec.durations
    if rule is None:
        return VIDEO_INPUT_SECONDS, False
    if "duration" not in body:
        if rule.default is None:
            issues.append(invalid_type(["duration"], "number", None, missing=True))
        return rule.default or rule.allowed[0], bool(rule.auto)
    value = body["duration"]
    if rule.auto and value == "auto":
        return 5, True
    if rule.literal:
        if isinstance(value, bool) or value not in rule.allowed:
            issues.append(invalid_value(["duration"], rule.allowed))
            return rule.allowed[0], False
        return int(value), False
    if integer(value, ["duration"], rule.allowed[0], rule.allowed[-1], issues):
        return int(value), False
    return rule.allowed[0], False


def _prompt_image(body: dict[str, Any], spec: ModelSpec, issues: list[Issue]) -> None:
    path: list[Any] = ["promptImage"]
    value = body.get("promptImage")
    if not isinstance(value, list):
        if "promptImage" not in body:
            issues.append(invalid_type(path, "string", None, missing=True))
        else:
            asset(value, path, "image", issues)
        return
    # Seedance 2 also takes reference images (no position), up to 9; others a first and a last frame.
    references = spec.name.startswith("seedance") and all(isinstance(i, dict) and "position" not in i for i in value)
    most = 9 if references else (2 if spec.last_frame else 1)
    if not value:
        issues.append(too_small(path, "array", 1))
    elif len(value) > most:
        issues.append(too_big(path, "array", most))
    positions: list[str] = []
    for i, item in enumerate(value[:most]):
        if not isinstance(item, dict):
            issues.append(invalid_type([*path, i], "object", item))
            continue
        asset(item.get("uri"), [*path, i, "uri"], "image", issues)
        if references:
            continue
        allowed = ("first", "last") if spec.last_frame else ("first",)
        if item.get("position") not in allowed:
            issues.append(invalid_value([*path, i, "position"], allowed))
        else:
            positions.append(item["position"])
    if len(positions) != len(set(positions)):
        issues.append(custom(path, "Only one image may be given for each position."))
    elif positions == ["last"]:
        issues.append(custom(path, "This model does not support generating with only a last frame."))


def _tier(body: dict[str, Any], spec: ModelSpec) -> str | None:
    value = body.get("resolution", spec.resolution_default)
    return value.lower() if isinstance(value, str) else None


def _dimensions(body: dict[str, Any], spec: ModelSpec, ratio: str | None) -> tuple[int, int]:
    if body.get("draft") is True:
        return DRAFT_SIZE  # Seedance 2.5's 480p preview (changes-2026-12.md §4.4)
    if "draftTaskId" in body:
        return TIERS["1080p"]  # a draft enhanced "to 1080p"; its ratio is the draft's (chosen: 16:9)
    if ratio in NAMED_RATIOS:
        return NAMED_RATIOS[ratio]
    if ratio is not None:
        w, h = (int(x) for x in ratio.split(":"))
    else:
        w, h = TIERS.get(_tier(body, spec) or "", (1280, 720))
    return w - w % 2, h - h % 2  # H.264 4:2:0 needs even sides


# -- the optional fields some models take ------------------------------------------------------------
