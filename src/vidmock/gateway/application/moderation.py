"""The gateway's own content filter for video creates (changes-2026-12.md §5; N1, T, C, O, K, S, R).

When a project's settings select the chosen provider (and the request is sampled), the prompt and each
decoded image go to OpenAI's moderations endpoint, one call per input, all at once; the merged scores are
judged against the tier's threshold. Enforced, a violation is the 403 below and no job; log-only, the create
goes ahead and the record lands on the job. A moderation failure never blocks (fail open).

Settings live in each project's ``content_filter`` mapping (vidmock's stand-in for the ``content_filter``
system setting plus the organisation's columns, see README "Content filter"):

``enabled`` (true), ``providers`` ([]: nobody), ``sample_rate_percent`` (100), ``enforce`` (false),
``enforce_enterprise`` (false), ``enterprise`` (false: the org's plan), ``tier_override`` (none; 0-4,
clamped), ``trust_tier`` (0: the tier the org's age and spend give; vidmock keeps neither), ``log_only``
(false), ``classifier`` (``openai``; ``jev`` is treated as ``openai``), ``compliance_excludes_openai``
(false), ``strict_threshold`` (0.5) and ``lenient_threshold`` (0.9).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, fields
from typing import Any

import httpx

from ...config import ConfigError, Project
from ...jsonutil import loads
from ...providers.base import PreparedImage
from ..domain.request import CreateRequest

BLOCK_MESSAGE = (
    "This request was blocked by LLM Gateway's content filter. This is the gateway's own filter, not the model "
    "provider's. Please contact LLM Gateway support at contact@llmgateway.io to make sure your requests do not "
    "violate the Terms of Use; support can review your use case and help you get unblocked."
)
MODERATION_MODEL = "omni-moderation-latest"
MODERATION_PATH = "/v1/moderations"
CLASSIFIER_PROVIDER = "openai"  # the moderation credential is OpenAI's (K)
STRICT_DEFAULT, LENIENT_DEFAULT = 0.5, 0.9  # T: LLM_CONTENT_FILTER_TIER_*_SCORE_THRESHOLD defaults
MAX_TIER = 4


@dataclass(frozen=True)
class FilterSettings:
    enabled: bool = True
    providers: tuple[str, ...] = ()
    sample_rate_percent: float = 100.0
    enforce: bool = False
    enforce_enterprise: bool = False
    enterprise: bool = False
    tier_override: int | None = None
    trust_tier: int = 0
    log_only: bool = False
    classifier: str = "openai"
    compliance_excludes_openai: bool = False
    strict_threshold: float = STRICT_DEFAULT
    lenient_threshold: float = LENIENT_DEFAULT

    @classmethod
    def from_project(cls, project: Project) -> FilterSettings:
        """Validated settings; a ConfigError names the project and the key."""
        data = project.content_filter
        where = f"projects[{project.id}].content_filter"
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}; expected some of {', '.join(known)}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            values[name] = _check(where, name, value)
        settings = cls(**values)
        return settings.with_thresholds()

    def with_thresholds(self) -> FilterSettings:
        """T: a threshold outside [0, 1] falls back to its default; strict above lenient resets both."""
        strict = self.strict_threshold if 0 <= self.strict_threshold <= 1 else STRICT_DEFAULT
        lenient = self.lenient_threshold if 0 <= self.lenient_threshold <= 1 else LENIENT_DEFAULT
        if strict > lenient:
            strict, lenient = STRICT_DEFAULT, LENIENT_DEFAULT
        return FilterSettings(**{**self.__dict__, "strict_threshold": strict, "lenient_threshold": lenient})


def _check(where: str, name: str, value: Any) -> Any:
    if name in ("enabled", "enforce", "enforce_enterprise", "enterprise", "log_only", "compliance_excludes_openai"):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}.{name}: expected true or false, got {value!r}")
        return value
    if name == "providers":
        if not isinstance(value, (list, tuple)) or not all(isinstance(p, str) for p in value):
            raise ConfigError(f"{where}.providers: expected a list of provider ids, got {value!r}")
        return tuple(value)
    if name in ("sample_rate_percent", "strict_threshold", "lenient_threshold"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}.{name}: expected a number, got {value!r}")
        return float(value)
    if name in ("tier_override", "trust_tier"):
        if value is None and name == "tier_override":
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}.{name}: expected an integer 0-4, got {value!r}")
        return value
    if value not in ("openai", "jev"):
        raise ConfigError(f"{where}.classifier: expected openai or jev, got {value!r}")
    return value


@dataclass(frozen=True)
class Plan:
    """What one evaluation does (T ``planContentFilter``)."""

    provider: str
    tier: int
    overridden: bool
    level: str  # strict | lenient
    threshold: float
    enforced: bool
    exempt_reason: str | None
    classifier: str


def make_plan(settings: FilterSettings, provider: str, sample: float) -> Plan | None:
    """None when the filter does not run: disabled, provider not listed, not sampled (random×100 < rate
    runs it), or the project's compliance policy excludes OpenAI (C)."""
    if not settings.enabled or provider not in settings.providers or settings.compliance_excludes_openai:
        return None
    if not sample * 100 < settings.sample_rate_percent:
        return None
    if settings.tier_override is not None:
        tier, overridden = max(0, min(MAX_TIER, settings.tier_override)), True
    else:
        tier, overridden = max(0, min(MAX_TIER, settings.trust_tier)), False
    level = "strict" if tier <= 2 else "lenient"
    exempt: str | None = None
    if not settings.enforce:
        exempt = "global_log_only"
    elif settings.enterprise and not settings.enforce_enterprise:
        exempt = "enterprise"
    elif settings.log_only:
        exempt = "org_log_only"
    return Plan(
        provider=provider,
        tier=tier,
        overridden=overridden,
        level=level,
        threshold=settings.strict_threshold if level == "strict" else settings.lenient_threshold,
        enforced=exempt is None,
        exempt_reason=exempt,
        classifier=settings.classifier,
    )


def sample_value(seed: int, request_id: str) -> float:
    """The sampling draw, seeded by the server seed and the request id so a run is reproducible."""
    return random.Random(f"content-filter:{seed}:{request_id}").random()


def moderation_inputs(req: CreateRequest, images: list[PreparedImage]) -> list[Any]:
    """N1 ``buildVideoModerationMessages``: the prompt as ``user: <prompt>``, then each image as a data URL."""
    inputs: list[Any] = [f"user: {req.prompt}"]
    for image in images:
        url = f"data:{image.mime_type};base64,{image.base64}"
        inputs.append([{"type": "image_url", "image_url": {"url": url}}])
    return inputs


async def call_moderations(
    http: httpx.AsyncClient, credential: dict[str, str], request_id: str, inputs: list[Any]
) -> list[list[dict[str, Any]] | None]:
    """One POST per input, in parallel; each answer's ``results``, or None for a failed call (fail open)."""

    async def one(value: Any) -> list[dict[str, Any]] | None:
        headers = {**credential, "Content-Type": "application/json", "X-Client-Request-Id": request_id}
        try:
            response = await http.post(
                MODERATION_PATH, json={"model": MODERATION_MODEL, "input": value}, headers=headers
            )
        except Exception:  # fail open on anything but a cancellation (N1, O, T)
            return None
        if not response.is_success:
            return None
        try:
            body = loads(response.content)
        except (ValueError, RecursionError):
            return None
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            return None
        return [r for r in results if isinstance(r, dict)]

    return list(await asyncio.gather(*(one(v) for v in inputs)))


def score(plan: Plan, answers: list[list[dict[str, Any]] | None]) -> dict[str, Any]:
    """T: merge the successful calls' results and build the evaluation record."""
    results = [r for answer in answers if answer is not None for r in answer]
    failed = all(answer is None for answer in answers)
    scores: dict[str, float] = {}
    flagged = False
    for result in results:
        flagged = flagged or result.get("flagged") is True
        raw = result.get("category_scores")
        for category, value in raw.items() if isinstance(raw, dict) else ():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                scores[category] = max(scores.get(category, 0.0), float(value))
    matched = sorted(c for c, v in scores.items() if v > plan.threshold)
    violation = bool(matched) or (plan.level == "strict" and flagged)
    if failed:
        violation = False
    action = "passed" if not violation else ("blocked" if plan.enforced else "logged")
    record: dict[str, Any] = {
        "sampled": True,
        "classifier": plan.classifier,
        "provider": plan.provider,
        "tier": plan.tier,
        "overridden": plan.overridden,
        "level": plan.level,
        "violation": violation,
        "action": action,
        "enforced": plan.enforced,
        "flagged": flagged,
        "matchedCategories": matched,
        "categoryScores": scores,
        "moderationFailed": failed,
    }
    if plan.exempt_reason is not None:
        record["exemptReason"] = plan.exempt_reason
    return record


class ContentFilter:
    """The filter as the gateway runs it: settings per project, the moderation client, the scoring."""

    def __init__(self, projects: tuple[Project, ...], seed: int) -> None:
        self.settings = {p.id: FilterSettings.from_project(p) for p in projects}
        self.seed = seed

    def plan(self, project: Project, provider: str, request_id: str) -> Plan | None:
        settings = self.settings.get(project.id)
        if settings is None:
            return None
        return make_plan(settings, provider, sample_value(self.seed, request_id))

    async def evaluate(
        self,
        plan: Plan,
        http: httpx.AsyncClient,
        credential: dict[str, str],
        request_id: str,
        inputs: list[Any],
    ) -> dict[str, Any]:
        return score(plan, await call_moderations(http, credential, request_id, inputs))
