"""Family H: access control, judged from the access driver's requests (``access.py``).

Each check names the exact answers the contract gives (gateway.md §1.1, §1.4–§1.6, §2) and passes only
on the exchanges it lists in its evidence; a group the driver could not run is a skip with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from .contract import INVALID_JSON, VALIDATION, envelope_problem, message_of
from .evidence import Evidence
from .model import Exchange, Finding, Observed, Outcome
from .registry import Skip, registry

NOT_FOUND = "Video not found"
BAD_TOKEN = "Unauthorized: Invalid or expired video access token."
UNKNOWN_KEY = "Unauthorized: Invalid LLMGateway API token"


def _expect(ex: Exchange, name: str, status: int, message: str, *, prefix: bool = False) -> Iterator[Outcome]:
    got = message_of(ex.json())
    ok_message = got.startswith(message) if prefix else got == message
    if ex.status != status or not ok_message:
        yield Finding.of(
            f"{name}: got {ex.status} {got[:120]!r}", f"{status} {message}{'…' if prefix else ''}", ex.summary(200), ex
        )
    elif problem := envelope_problem(status, ex.json()):
        yield Finding.of(f"{name}: {status} without the error envelope: {problem}", "error envelope", ex.summary(), ex)
    else:
        yield Observed(f"{name}: {ex.method} {ex.url.split('?')[0]} → {ex.status} {got[:60]!r}")


def _skip_if(ev: Evidence, group: str) -> None:
    if group in ev.access_skips:
        raise Skip(ev.access_skips[group])


@registry.check(family="H", name="h1_projects_isolated", rules=("H-PROJECT-GET", "H-PROJECT-CONTENT"))
def projects_isolated(ev: Evidence) -> Iterator[Outcome]:
    """Another project's key reads neither the job nor its content: 404 Video not found."""
    _skip_if(ev, "projects")
    probes = {k: v for k, v in ev.access.items() if k.startswith("project")}
    if not probes:
        raise Skip("the access driver did not run")
    for name, ex in probes.items():
        what = "another project reads the job" if name.endswith(":get") else "another project downloads the content"
        yield from _expect(ex, what, 404, NOT_FOUND)


@registry.check(family="H", name="h2_x_api_key", rules=("H-AUTH-XAPIKEY", "H-AUTH-UNKNOWN-XAPIKEY"))
def x_api_key(ev: Evidence) -> Iterator[Outcome]:
    """`x-api-key: <key>` authenticates like `Authorization: Bearer <key>`; an unknown one is a 401."""
    if "x-api-key:create" not in ev.access:
        raise Skip("the access driver did not run")
    create = ev.access["x-api-key:create"]
    # Any 2xx with an id: a 201 is b1_create_returns_job's departure, reported there once.
    if not 200 <= create.status < 300 or not isinstance(create.json(), dict) or "id" not in create.json():
        yield Finding.of(
            "create with only x-api-key was not accepted", "200 with a video object", create.summary(200), create
        )
    else:
        yield Observed(f"POST /v1/videos with x-api-key → {create.status} id={create.json()['id']}")
    got, bearer = ev.access.get("x-api-key:get"), ev.access.get("bearer:get")
    if got is not None and bearer is not None:
        a, b = got.json(), bearer.json()
        same = isinstance(a, dict) and isinstance(b, dict) and a.get("id") == b.get("id")
        if got.status != bearer.status or not same:
            yield Finding.of(
                "GET with x-api-key differs from GET with Bearer",
                f"{bearer.status} {bearer.summary(80)}",
                got.summary(200),
                got,
            )
        else:
            yield Observed(f"GET with x-api-key → {got.status}, same job as with Bearer")
    yield from _expect(ev.access["x-api-key:unknown"], "unknown x-api-key", 401, UNKNOWN_KEY, prefix=True)


@registry.check(family="H", name="h3_validation_before_auth", rules=("H-ORDER",))
def validation_before_auth(ev: Evidence) -> Iterator[Outcome]:
    """An invalid create body is a 400 even without a key or with a wrong one: validation runs first."""
    if "order:json-no-key" not in ev.access:
        raise Skip("the access driver did not run")
    yield from _expect(ev.access["order:json-no-key"], "malformed JSON without a key", 400, INVALID_JSON)
    for name, what in (("order:schema-no-key", "without a key"), ("order:schema-bad-key", "with an unknown key")):
        ex = ev.access[name]
        message = message_of(ex.json())
        if ex.status != 400 or not VALIDATION.match(message) or "seconds" not in message:
            why = "authenticated before validating" if ex.status != 400 else "not the validation message naming seconds"
            yield Finding.of(
                f"a body missing `seconds` {what} got {ex.status}: {why}",
                "400 Invalid request parameters: seconds: …",
                ex.summary(200),
                ex,
            )
        else:
            yield Observed(f"missing seconds {what} → 400 {message[:60]!r}")


@registry.check(
    family="H",
    name="h4_content_token",
    rules=(
        "H-TOKEN-MISSING",
        "H-TOKEN-FORGED",
        "H-TOKEN-TAMPERED",
        "H-TOKEN-OTHER-LOG",
        "H-TOKEN-EXPIRED",
        "N-TOKEN-TTL",
    ),
)
def content_token(ev: Evidence) -> Iterator[Outcome]:
    """The signed content URL refuses a missing, forged, tampered, expired or other log's token: 401."""
    _skip_if(ev, "tokens")
    names = {
        "token:missing": "no token",
        "token:forged": "a token signed with another key",
        "token:tampered": "a token whose payload was altered",
        "token:other-log": "another log's valid token",
        "token:expired": "a token past its 7-day expiry",
    }
    seen = 0
    for key, what in names.items():
        if key in ev.access:
            seen += 1
            yield from _expect(ev.access[key], f"content URL with {what}", 401, BAD_TOKEN)
        elif key in ev.access_skips:
            yield Observed(f"not probed: {what} ({ev.access_skips[key]})")
    if not seen:
        raise Skip("no token probe ran")
