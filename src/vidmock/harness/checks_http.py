"""Family A: the HTTP surface, fuzzed by schemathesis against the target's published contract.

Every schemathesis check that can fail against this API runs (positive and negative data, the
stateful phase over the spec's links; ``NOT_RUN`` lists the others), plus three of ours registered on
it with ``@schemathesis.check``: the error envelope on every 4xx/5xx, the validation message format on
create 400s for schema-invalid bodies, and ``content`` absent from any video object that is not
completed. Each schemathesis check becomes one harness check in family A, so the summary and the
JUnit file list them one by one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events as st_events
from schemathesis.engine import from_schema

from .contract import INVALID_JSON, VALIDATION, envelope_problem, message_of
from .evidence import Evidence, HttpResults, Schemas
from .model import Finding, Observed, Outcome
from .registry import Skip, registry

GATEWAY_PATHS = ("/v1/videos",)
IMAGE_FIELDS = frozenset({"image", "last_frame", "input_reference", "reference_images"})
MAX_FINDINGS = 5  # per check: the first few distinct failures say enough
# Schemathesis checks not run, each because it cannot fail against this contract (an always-green check
# proves nothing; docs/conformance-in-ci.md says why for each). use_after_free needs a DELETE, which the
# API does not have (gateway.md §1); missing_required_header needs a required request header, which the
# contract does not declare (keys are a_ignored_auth's and the F/H probes'); object_level_authorization
# needs a second identity configured in schemathesis (projects are h1_projects_isolated's);
# allow_header_conformance judges only answers to OPTIONS, which the contract does not document.
NOT_RUN = ("use_after_free", "missing_required_header", "object_level_authorization", "allow_header_conformance")
_SCHEMAS: dict[int, Schemas] = {}


def _json(response: Any) -> Any:
    try:
        return response.json()
    except Exception:  # schemathesis raises its own decode errors; any of them means "not JSON"
        return None


@schemathesis.check
def vidmock_error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx from the gateway routes is `{"error":{"message","type","param","code"}}`."""
    if response.status_code < 400 or not case.path.startswith(GATEWAY_PATHS):
        return None
    problem = envelope_problem(response.status_code, _json(response), strict_meta=False)
    if problem:
        raise AssertionError(f"{response.status_code} without the error envelope: {problem}")
    return None


@schemathesis.check
def vidmock_validation_message(ctx: Any, response: Any, case: Any) -> bool | None:
    """A create 400 for a schema-invalid body says "Invalid request parameters: <path>: <message>, …"."""
    if case.method.upper() != "POST" or case.path != "/v1/videos" or response.status_code != 400:
        return None
    if not str(case.media_type or "application/json").startswith("application/json"):
        return None
    schemas = _SCHEMAS.setdefault(id(case.operation.schema.raw_schema), Schemas(case.operation.schema.raw_schema))
    body = case.body if hasattr(case, "body") else None
    message = message_of(_json(response))
    if not isinstance(body, (dict, list, str, int, float, bool)) and body is not None:
        return None  # no body sent (NOT_SET): "Invalid JSON in request body" or a validation message
    if body is None and message == INVALID_JSON:
        return None
    # Image inputs are loaded after the business rules (gateway.md §2 "Image processing"), so an
    # empty image URL can surface as a later 400 (constraints, "Invalid image input"): only
    # violations elsewhere must be reported in the validation format.
    located = schemas.located("CreateVideoRequest", body)
    if any(not path or path[0] not in IMAGE_FIELDS for path, _ in located) and not VALIDATION.match(message):
        raise AssertionError(
            f"a schema-invalid body got 400 {message!r}; expected 'Invalid request parameters: <path>: <message>'"
        )
    return None


@schemathesis.check
def vidmock_content_absent_unless_completed(ctx: Any, response: Any, case: Any) -> bool | None:
    """A video object carries `content` only when its status is `completed`."""
    body = _json(response) if response.status_code == 200 else None
    if (
        isinstance(body, dict)
        and body.get("object") == "video"
        and "content" in body
        and body.get("status") != "completed"
    ):
        raise AssertionError(f"video {body.get('id')} has `content` while {body.get('status')}")
    return None


def config(ev: Evidence, max_examples: int) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "base-url": ev.target.base_url,
            "seed": ev.seed,
            # Auth through the config, not headers: a valid Bearer always wins over a generated
            # x-api-key (§1.1), which schemathesis would otherwise report as ignored auth.
            "auth": {"openapi": {"bearerAuth": {"bearer": ev.target.api_key}}},
            # No example database: the run is the seed's alone (a stored example would replay cases from an
            # earlier run), and hypothesis keeps no Pareto front to re-shrink, which cost ~1 s of CPU per run.
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "with-security-parameters": False,
                "database": "none",
            },
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
                },
                # Not run: they cannot fail against this API (docs/conformance-in-ci.md, "Not run").
                **{name: {"enabled": False} for name in NOT_RUN},
            },
            # A schema-valid create can still fail model-specific constraints (§5.2) and a schema-valid
            # Range can be unsatisfiable (416): the contract documents both.
            "operations": [
                {
                    "include-operation-id": "v1_videos_create",
                    "checks": {"positive_data_acceptance": {"expected-statuses": ["200", "400", "402", "410"]}},
                },
                {
                    "include-operation-id": "v1_videos_content",
                    "checks": {"positive_data_acceptance": {"expected-statuses": ["200", "206", "404", "409", "416"]}},
                },
                {
                    "include-operation-id": "v1_videos_log_content",
                    "checks": {"positive_data_acceptance": {"expected-statuses": ["200", "206", "401", "404", "416"]}},
                },
            ],
        }
    )


def drive(ev: Evidence, spec: dict[str, Any], max_examples: int) -> HttpResults:
    """Run every schemathesis phase; fold its per-check verdicts into ``HttpResults``."""
    results = HttpResults()
    started = time.monotonic()
    schema = schemathesis.openapi.from_dict(spec, config=config(ev, max_examples))
    seen: set[tuple[str, str]] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, st_events.ScenarioFinished):
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    results.runs[node.name] = results.runs.get(node.name, 0) + 1
                    info = node.failure_info
                    if info is None:
                        continue
                    title = info.failure.title or type(info.failure).__name__
                    key = (node.name, f"{event.recorder.label}|{title}")
                    bucket = results.failures.setdefault(node.name, [])
                    if key in seen or len(bucket) >= MAX_FINDINGS:
                        continue
                    seen.add(key)
                    bucket.append(
                        Finding(
                            f"{event.recorder.label}: {title}: {info.failure.message.strip()[:400]}",
                            f"{node.name} holds",
                            title,
                            event.recorder.label,
                            info.code_sample,
                        )
                    )
        elif isinstance(event, st_events.NonFatalError):
            # E.g. a connection dropped mid-answer: no response to judge, so no other check can see it.
            message = str(event.info.message if hasattr(event.info, "message") else event.value).strip()
            if not any(e.request == event.label and e.actual == message for e in results.errors):
                sample = event.info.code_sample or ""
                results.errors.append(
                    Finding(
                        f"{event.label}: {message}", "an answer schemathesis can read", message, event.label, sample
                    )
                )
        elif isinstance(event, st_events.FatalError):
            error = str(event.exception)
            results.errors.append(Finding(f"schemathesis: {error}", "no errors", error, "schemathesis"))
    results.elapsed = time.monotonic() - started
    return results


RULES: dict[str, tuple[str, ...]] = {
    "not_a_server_error": ("S-NO-5XX",),
    "status_code_conformance": ("S-DOCUMENTED",),
    "content_type_conformance": ("S-DOCUMENTED",),
    "response_headers_conformance": ("S-DOCUMENTED",),
    "response_schema_conformance": ("V-SCHEMA",),
    "negative_data_rejection": ("R-SCHEMA",),
    "positive_data_acceptance": ("R-SCHEMA",),
    "unsupported_method": ("S-METHODS",),
    "ignored_auth": ("H-AUTH-NONE",),
    "ensure_resource_availability": ("V-ID",),
    "vidmock_error_envelope": ("S-ENVELOPE",),
    "vidmock_validation_message": ("R-FORMAT",),
    "vidmock_content_absent_unless_completed": ("V-CONTENT-ABSENT",),
}


def _register(name: str, title: str) -> None:
    def check(ev: Evidence) -> Iterator[Outcome]:
        if ev.http is None:
            raise Skip("schemathesis did not run")
        if not ev.http.runs.get(name):
            raise Skip("not exercised by any generated case")
        yield Observed(f"{ev.http.runs[name]} generated responses judged by {name}")
        yield from ev.http.failures.get(name, [])

    registry.check(family="A", name=f"a_{name}", title=title, needs="http", rules=RULES.get(name, ()))(check)


for _name, _title in [
    ("not_a_server_error", "A1 no 5xx for any generated request"),
    ("status_code_conformance", "A2 status codes are documented"),
    ("content_type_conformance", "A3 content types are documented"),
    ("response_headers_conformance", "A4 response headers conform"),
    ("response_schema_conformance", "A5 responses match their schemas"),
    ("negative_data_rejection", "A6 schema-invalid requests are rejected"),
    ("positive_data_acceptance", "A7 schema-valid requests are accepted"),
    ("unsupported_method", "A9 undocumented methods answer 405"),
    ("ignored_auth", "A10 authentication is enforced"),
    ("ensure_resource_availability", "A12 a created job is immediately readable"),
    ("vidmock_error_envelope", "error envelope on every 4xx/5xx"),
    ("vidmock_validation_message", "'Invalid request parameters: <path>: <message>' on schema failures"),
    ("vidmock_content_absent_unless_completed", "`content` absent unless completed"),
]:
    _register(_name, _title)


@registry.check(family="A", name="a_engine_errors", needs="http")
def engine_errors(ev: Evidence) -> Iterator[Outcome]:
    """Schemathesis itself ran without errors (network errors, unusable schema)."""
    if ev.http is None:
        raise Skip("schemathesis did not run")
    yield Observed(f"schemathesis ran {sum(ev.http.runs.values())} checks in {ev.http.elapsed:.1f} s")
    yield from ev.http.errors[:MAX_FINDINGS]
