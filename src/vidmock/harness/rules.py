"""The contract's client-observable rules, by id: what ``docs/spec/contract.md`` tabulates.

Every check declares the rule ids it proves (``registry.check(rules=...)``); a rule no check proves
carries the reason it cannot be checked against a black box. ``tests/test_harness_contract.py`` keeps
the markdown table, this registry and the checks' declarations in step, and the report prints the
coverage (rules with a check / rules listed).
"""

from __future__ import annotations

from dataclasses import dataclass

from .registry import Registry


@dataclass(frozen=True)
class Rule:
    id: str
    text: str
    source: str
    unchecked: str | None = None  # why no black-box check can prove it


_UPSTREAM = "the upstream provider is hidden behind the gateway: a black box cannot see when or how it was called"
_ORG = "needs organisation settings the harness cannot set on a black box"

RULES: tuple[Rule, ...] = (
    # -- the video object (gateway.md §3) ------------------------------------------------------------
    Rule("V-ID", "`id` is a non-empty string", "gateway.md §3"),
    Rule("V-OBJECT", '`object` is "video"', "gateway.md §3"),
    Rule("V-MODEL", "`model` names the requested model (`provider/model` or the bare id)", "gateway.md §3"),
    Rule("V-STATUS", "`status` is one of queued, in_progress, completed, failed, canceled, expired", "gateway.md §3"),
    Rule("V-SCHEMA", "every video object read validates against the published Video schema", "openapi.yaml"),
    Rule("V-MONOTONIC", "status never moves back (queued < in_progress < terminal)", "webhooks.md §7 B3"),
    Rule("V-TERMINAL", "a terminal status, its error code and completed_at never change", "gateway.md §3"),
    Rule("V-PROGRESS", "`progress` is an integer 0–100, non-decreasing, 100 when completed", "gateway.md §3"),
    Rule("V-CREATED-AT", "`created_at` is integer unix seconds", "gateway.md §3"),
    Rule("V-COMPLETED-AT", "`completed_at` is null until terminal, then the time it ended", "gateway.md §3, §4.1"),
    Rule("V-EXPIRES-AT", "`expires_at` is a number or null", "gateway.md §3"),
    Rule("V-ERROR-EXCLUSIVE", "`error` is null when completed and set (with a message) when failed", "gateway.md §3"),
    Rule("V-ERROR-SHAPE", "`error` is {code?, message, details?}", "gateway.md §3, §6"),
    Rule("V-ERROR-CODE", "a failed job's code names its kind: moderation, timeout, poll_error", "gateway.md §4.1, §6"),
    Rule("V-CONTENT-ABSENT", "`content` is absent unless completed", "gateway.md §3"),
    Rule("V-CONTENT-URL", "a completed job carries content[0].url where its provider has a source", "gateway.md §3"),
    Rule("V-CONTENT-SHAPE", "content[0] is {type: video, url, mime_type}", "gateway.md §3"),
    Rule("V-USAGE-LATE", "the create response has no `content` and no `usage`", "gateway.md §1.4, §3"),
    Rule("V-USAGE", "`usage` is {cost, cost_details{video_output_cost, image_input_cost}}", "gateway.md §3"),
    Rule("V-USAGE-FAILED", "a failed job's usage.cost is 0", "gateway.md §3 (DOC)"),
    Rule("V-PRICES", "usage.cost = per-second price × seconds + image price", "gateway.md §2.1"),
    Rule(
        "V-TIMEOUT",
        "a job not terminal after 3600 s fails: code timeout, documented message, progress 100",
        "gateway.md §3, §4.1",
    ),
    # -- numbers ---------------------------------------------------------------------------------------
    Rule("N-JOB-TIMEOUT", "VIDEO_JOB_TIMEOUT_SECONDS is 3600", "gateway.md §4.1"),
    Rule("N-JOB-END", "every job ends within the documented maximum", "webhooks.md §7 G3"),
    Rule("N-CREATE-LATENCY", "create returns quickly: the render is asynchronous", "webhooks.md §7 G1"),
    Rule(
        "N-FIRST-ATTEMPT",
        "the first webhook attempt follows completion within a worker poll and the 5 s webhook loop",
        "gateway.md §4.3",
    ),
    Rule("N-RETRY-SCHEDULE", "retries wait 30 s doubling (30, 60, 120 … 1920 s)", "gateway.md §4.3"),
    Rule("N-ATTEMPTS-MAX", "at most 8 attempts", "gateway.md §4.3"),
    Rule("N-TOKEN-TTL", "a signed content URL expires after 7 days", "gateway.md §1.6"),
    Rule("N-POLL-INTERVAL", "the worker polls every 5 s", "gateway.md §4.1", _UPSTREAM),
    Rule("N-POLL-BACKOFF", "poll errors back off 10, 20, 40, 80 s", "gateway.md §4.1", _UPSTREAM),
    Rule("N-POLL-ERRORS", "the 5th consecutive poll error fails the job with code poll_error", "gateway.md §4.1"),
    Rule(
        "N-GET-CACHE",
        "reads may be cached for 2 s",
        "gateway.md §1.4",
        "a cache may serve a stale read for 2 s: the harness tolerates it in its timing slack rather than tests it",
    ),
    Rule(
        "N-WEBHOOK-TIMEOUT",
        "a webhook attempt times out after 30 s",
        "gateway.md §4.3",
        "needs a receiver that hangs 30 s of wall time per attempt; a virtual clock cannot make it hang",
    ),
    # -- status codes and messages ---------------------------------------------------------------------
    Rule("S-CREATE-200", "create answers 200, not 201", "gateway.md §1"),
    Rule("S-404-VIDEO", 'an unknown id is 404 "Video not found"', "gateway.md §1.4"),
    Rule("S-404-CONTENT", 'content of an unknown id is 404 "Video not found"', "gateway.md §1.5"),
    Rule(
        "S-409-NOT-READY",
        'content before completion is 409 "Video is not ready yet. Current status: <s>"',
        "gateway.md §1.5",
    ),
    Rule("S-206-RANGE", "a satisfiable Range is 206 with the exact slice and Content-Range", "gateway.md §1.5"),
    Rule("S-416-RANGE", "an unsatisfiable Range is 416 with Content-Range: bytes */TOTAL", "gateway.md §1.5"),
    Rule("S-ENVELOPE", "every error is {error:{message,type,param,code}}", "gateway.md §1.3"),
    Rule("S-ENVELOPE-META", "type and code are the defaults for the status", "gateway.md §1.3"),
    Rule("S-NO-5XX", "no request the contract allows produces a 5xx", "webhooks.md §7 A1"),
    Rule("S-DOCUMENTED", "statuses, content types and headers are the documented ones", "openapi.yaml"),
    Rule("S-METHODS", "undocumented methods are refused", "gateway.md §1"),
    Rule("S-402-CREDITS", "a credits shortfall is 402 with the estimate", "gateway.md §2.1", _ORG),
    Rule("S-410-ARCHIVED", "an archived project is 410", "gateway.md §1.1", _ORG),
    Rule(
        "S-401-INACTIVE",
        "an inactive key is 401 'not active'",
        "gateway.md §1.1",
        "needs a disabled key of the target, which a black box does not hand out",
    ),
    Rule("S-403-DEVPASS", "a coding-plan org is 403 on create", "gateway.md §2", _ORG),
    # -- authentication and access ---------------------------------------------------------------------
    Rule("H-AUTH-NONE", "no key is 401 'No API key provided…'", "gateway.md §1.1"),
    Rule("H-AUTH-UNKNOWN", "an unknown Bearer key is 401 'Invalid LLMGateway API token…'", "gateway.md §1.1"),
    Rule("H-AUTH-XAPIKEY", "`x-api-key: <key>` authenticates like Bearer", "gateway.md §1.1"),
    Rule("H-AUTH-UNKNOWN-XAPIKEY", "an unknown x-api-key is 401", "gateway.md §1.1"),
    Rule("H-ORDER", "the body is validated before authentication", "gateway.md §2"),
    Rule("H-PROJECT-GET", "another project's job is 404 'Video not found'", "gateway.md §1.4"),
    Rule("H-PROJECT-CONTENT", "another project's content is 404 'Video not found'", "gateway.md §1.5"),
    Rule("H-SIGNED-URL", "content[0].url serves the bytes without a key", "gateway.md §1.6"),
    Rule("H-TOKEN-MISSING", "the content URL without a token is 401", "gateway.md §1.6"),
    Rule("H-TOKEN-FORGED", "a token signed with another key is 401", "gateway.md §1.6"),
    Rule("H-TOKEN-TAMPERED", "a token with an altered payload is 401", "gateway.md §1.6"),
    Rule("H-TOKEN-OTHER-LOG", "a token issued for another log id is 401", "gateway.md §1.6"),
    Rule("H-TOKEN-EXPIRED", "an expired token is 401", "gateway.md §1.6"),
    # -- the create request (gateway.md §2) ------------------------------------------------------------
    Rule("R-INVALID-JSON", 'malformed JSON is 400 "Invalid JSON in request body"', "gateway.md §2"),
    Rule("R-FORMAT", 'validation errors read "Invalid request parameters: <path>: <message>"', "gateway.md §2"),
    Rule("R-SCHEMA", "schema-invalid bodies are rejected, schema-valid ones accepted", "openapi.yaml"),
    Rule("R-PROMPT", "an empty prompt is refused at path prompt", "gateway.md §2"),
    Rule("R-SECONDS", "a missing or non-integer seconds is refused at path seconds", "gateway.md §2"),
    Rule("R-CALLBACK-URL-ALONE", "callback_url without callback_secret: path callback_secret", "gateway.md §2 rule 1"),
    Rule("R-CALLBACK-SECRET-ALONE", "callback_secret without callback_url: path callback_url", "gateway.md §2 rule 1"),
    Rule("R-N", "n other than 1 is refused at path n", "gateway.md §2 rule 2"),
    Rule("R-SIZE", "a size outside the 14 keys is refused at path size", "gateway.md §2 rule 3"),
    Rule("R-LAST-FRAME", "last_frame without image: path last_frame", "gateway.md §2 rule 4"),
    Rule("R-REFERENCE-ONE", "reference_images with input_reference: path reference_images", "gateway.md §2 rule 5"),
    Rule("R-FRAMES-REFS", "image with reference inputs: path image", "gateway.md §2 rule 6"),
    Rule("R-UNKNOWN-MODEL", 'an unknown model is 400 "Unsupported video model…"', "gateway.md §2 row 4"),
    # -- content ---------------------------------------------------------------------------------------
    Rule("C-BYTES-STABLE", "completed content is 200 with the same bytes on every read", "gateway.md §1.5"),
    Rule("C-CONTENT-TYPE", "video bytes are served with the job's mime_type (video/mp4)", "gateway.md §1.5"),
    Rule("C-CONTENT-LENGTH", "Content-Length is the body's length", "gateway.md §1.5"),
    Rule("C-ACCEPT-RANGES", "Accept-Ranges: bytes", "gateway.md §1.5"),
    # -- headers the gateway forwards ------------------------------------------------------------------
    Rule("HD-REQUEST-ID", "x-request-id is forwarded upstream", "gateway.md §1.2", _UPSTREAM),
    Rule("HD-NO-FALLBACK", "x-no-fallback turns off provider fallback", "gateway.md §1.2", _UPSTREAM),
    # -- webhooks (gateway.md §4.3, webhooks.md §1) ----------------------------------------------------
    Rule(
        "W-SUBSCRIBED",
        "only jobs with callback_url get a webhook, as a JSON POST to exactly that URL",
        "webhooks.md §1.1, §1.3",
    ),
    Rule("W-EVENT-ID", "webhook-id is evt_<video id>, equal to the body id", "webhooks.md §1.2"),
    Rule("W-ONE-EVENT", "one terminal event per job", "webhooks.md §1.2"),
    Rule("W-TYPE", "video.completed iff completed, else video.failed; terminal only", "webhooks.md §1.2"),
    Rule("W-CONSISTENT", "at delivery, GET shows the same terminal state as `data`", "webhooks.md §7 C3"),
    Rule("W-PAYLOAD", "the payload validates against the event schema", "webhooks.md §1.3"),
    Rule("W-SIGNATURE", "v1,<base64 HMAC-SHA256(id.timestamp.raw body)> keyed by the raw secret", "webhooks.md §1.4"),
    Rule("W-TIMESTAMP-WINDOW", "webhook-timestamp is unix seconds near the clock", "webhooks.md §1.3"),
    Rule("W-TIMESTAMP-FRESH", "each attempt has its own timestamp", "webhooks.md §1.3"),
    Rule("W-BODY-REBUILT", "each attempt's body is rebuilt (created_at = the attempt time)", "webhooks.md §1.3"),
    Rule("W-ID-STABLE", "the event id is the same on every retry and unique per job", "webhooks.md §1.3"),
    Rule("W-SECRET", "callback_secret never appears in a response or a webhook", "webhooks.md §7 D6"),
    Rule("W-RETRY-NON2XX", "every non-2xx answer, 3xx included, is retried; nothing after a 2xx", "webhooks.md §1.5"),
    Rule("W-NO-REDIRECT", "a redirect is never followed", "webhooks.md §1.3"),
)
BY_ID = {r.id: r for r in RULES}


def coverage(checks: Registry) -> dict[str, int]:
    """Rules with at least one check proving them, out of all rules listed."""
    proved = {rule for spec in checks for rule in spec.rules if rule in BY_ID}
    return {"checked": len(proved), "listed": len(RULES)}


def proving(checks: Registry) -> dict[str, list[str]]:
    """Rule id → the checks that prove it."""
    out: dict[str, list[str]] = {r.id: [] for r in RULES}
    for spec in checks:
        for rule in spec.rules:
            out.setdefault(rule, []).append(spec.name)
    return out
