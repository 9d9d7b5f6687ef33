"""The access driver: after the lifecycle run, probe who may see what and with which credential.

It reuses the lifecycle's completed jobs and records every exchange in ``Evidence.access`` by name,
for the H checks (and ``b11_gateway_timeout``) to judge:

* other projects (each extra ``--api-key``) reading a job and its content: 404 (gateway.md §1.4, §1.5);
* the ``x-api-key`` form, alone and with an unknown key (§1.1);
* the body validated before authentication: a bad body without a key, or with a wrong key, is 400 (§2);
* the signed content URL (§1.6): no token, a forged one, a tampered one, another log's, an expired one
  (the clock moved past the 7-day TTL: virtual clock only);
* a job held past the gateway timeout (§4.1): a vidmock stuck-job scenario for a served model, on the
  virtual clock or, opted in with ``--long-checks``, in real time.

Time moves forward here (an hour, then a week): the driver runs after everything that watches jobs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit, urlunsplit

from .evidence import Evidence, JobRun, JobSpec
from .model import TimelineEntry

Emit = Callable[[TimelineEntry], None]
GOOD = {"prompt": "a red fox in snow", "seconds": 4}
UNKNOWN_KEY = "vm-not-a-real-key-000"
JOB_TIMEOUT = 3600  # VIDEO_JOB_TIMEOUT_SECONDS (gateway.md §4.1)
TOKEN_TTL = 7 * 86400  # signed content URL lifetime (gateway.md §1.6)
HEADER = b'{"alg":"HS256"}'
# vidmock scenarios that hold a job past the gateway timeout, one per provider, in order of preference: a
# scenario is only accepted for a job of its own provider (a 400 otherwise), so the one used is the first
# whose model the served release lists (GET /v1/models); Sora is deactivated from 2026-12
# (changes-2026-12.md §1.1). (model, scenario, what the job reads at +60 s)
STUCK = (
    ("sora-2", "sora-stuck-in-progress", "in_progress forever"),
    ("seedance-2-0", "seedance-queue-past-timeout", "queued for two hours"),
)
POLL_ERRORS = "five-poll-errors"  # vidmock scenario: every status poll fails


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(log_id: str, exp: int) -> str:
    """A well-formed token for ``log_id`` signed with a key the gateway cannot have."""
    head = f"{_b64(HEADER)}.{_b64(json.dumps({'l': log_id, 'exp': exp}).encode())}"
    sig = hmac.new(b"vidmock-check-forged-key", head.encode(), hashlib.sha256).digest()
    return f"{head}.{_b64(sig)}"


def tamper(token: str) -> str:
    """The same signature over a payload whose expiry was pushed a year out."""
    head, payload, sig = (token.split(".") + ["", ""])[:3]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["exp"] = int(claims.get("exp", 0)) + 365 * 86400
        return f"{head}.{_b64(json.dumps(claims).encode())}.{sig}"
    except (ValueError, TypeError, AttributeError):
        return f"{head}.{payload}x.{sig}"


def with_token(url: str, token: str | None, log_id: str | None = None) -> str:
    """``url`` (…/logs/<log id>/content?token=…) with another token (None: none) and, optionally, log id."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    if log_id is not None and len(segments) >= 2:
        segments[-2] = log_id
    query = "" if token is None else f"token={token}"
    return urlunsplit((parts.scheme, parts.netloc, "/".join(segments), query, ""))


def signed_url(job: JobRun) -> str | None:
    for _, video in reversed(job.videos()):
        content = video.get("content")
        if isinstance(content, list) and content and isinstance(content[0], dict):
            url = content[0].get("url")
            if isinstance(url, str) and "token=" in url:
                return url
    return None


def _log_id(url: str) -> str:
    parts = urlsplit(url).path.split("/")
    return parts[-2] if len(parts) >= 2 else ""


def drive(ev: Evidence, emit: Emit) -> None:
    t = ev.target
    done = [j for j in ev.jobs if j.job_id and j.terminal_seen_at is not None]
    completed = [j for j in done if j.downloads and j.downloads[0].status == 200]
    job = (completed or done)[0] if (completed or done) else None
    # Projects (gateway.md §1.4, §1.5): a job is selected by id and the caller's project.
    if job is None or job.job_id is None:
        ev.access_skips["projects"] = "no job was created to read from another project"
    elif not ev.other_keys:
        ev.access_skips["projects"] = "only one --api-key was given (repeat --api-key with a key of another project)"
    else:
        for n, key in enumerate(ev.other_keys):
            headers = t.auth(key)
            ev.access[f"project{n}:get"] = t.get(f"/v1/videos/{job.job_id}", auth=False, headers=headers)
            if completed:
                ev.access[f"project{n}:content"] = t.get(
                    f"/v1/videos/{job.job_id}/content", auth=False, headers=headers
                )
    # The x-api-key form (gateway.md §1.1): the same job, the same answer as with Bearer.
    if job is not None and job.job_id:
        ev.access["x-api-key:get"] = t.get(f"/v1/videos/{job.job_id}", auth=False, headers={"x-api-key": t.api_key})
        ev.access["bearer:get"] = t.get(f"/v1/videos/{job.job_id}")
    ev.access["x-api-key:create"] = t.post("/v1/videos", json_body=GOOD, auth=False, headers={"x-api-key": t.api_key})
    ev.access["x-api-key:unknown"] = t.get(
        "/v1/videos/vid_vidmock_check_0", auth=False, headers={"x-api-key": UNKNOWN_KEY}
    )
    # Validation before authentication (gateway.md §2): parseJsonBody runs before requireRequestContext.
    bad_json = b'{"prompt": "fox",'
    json_type = {"Content-Type": "application/json"}
    ev.access["order:json-no-key"] = t.post("/v1/videos", content=bad_json, auth=False, headers=json_type)
    ev.access["order:schema-no-key"] = t.post("/v1/videos", json_body={"prompt": "fox"}, auth=False)
    ev.access["order:schema-bad-key"] = t.post(
        "/v1/videos", json_body={"prompt": "fox"}, auth=False, headers={"Authorization": f"Bearer {UNKNOWN_KEY}"}
    )
    _tokens(ev, completed)
    _timeout(ev, emit)
    _expiry(ev, completed)
    emit(TimelineEntry("access", t.now(), "note", f"access probes: {len(ev.access)} requests"))


def _tokens(ev: Evidence, completed: list[JobRun]) -> None:
    urls = [u for u in (signed_url(j) for j in completed) if u]
    if not urls:
        ev.access_skips["tokens"] = "no completed job carried a signed content[0].url"
        return
    t, url = ev.target, urls[0]
    log_id = _log_id(url)
    token = parse_qs(urlsplit(url).query).get("token", [""])[0]
    ev.access["token:missing"] = t.get(with_token(url, None), auth=False)
    ev.access["token:forged"] = t.get(with_token(url, forge(log_id, int(t.now()) + 3600)), auth=False)
    ev.access["token:tampered"] = t.get(with_token(url, tamper(token)), auth=False)
    others = [u for u in urls[1:] if _log_id(u) != log_id]
    if others:  # this log's valid token on another log's path
        ev.access["token:other-log"] = t.get(with_token(url, token, _log_id(others[0])), auth=False)
    else:
        ev.access_skips["token:other-log"] = "only one completed job had a signed URL"


def _timeout(ev: Evidence, emit: Emit) -> None:
    t = ev.target
    if not ev.is_vidmock:
        ev.access_skips["timeout"] = (
            "only vidmock can be told to hold a job past the gateway timeout (X-Vidmock-Scenario); "
            "against this target, run its own stuck-job test"
        )
        return
    if not ev.virtual and not ev.long_checks:
        ev.access_skips["timeout"] = "the gateway timeout is 3600 s of real time: opt in with --long-checks"
        return
    listed = [(m, s) for m, s, _ in STUCK if ev.models is None or m in ev.models]
    if not listed:
        ev.access_skips["timeout"] = (
            f"the target lists none of the models a stuck-job scenario applies to ({', '.join(m for m, _, _ in STUCK)})"
        )
        return
    model, stuck = listed[0]
    body = {"model": model, "prompt": "a fox that never finishes", "seconds": 4}
    specs = [
        (JobSpec(f"{model}-stuck", body, callback=False, expect_code="timeout"), stuck),
        # Five failed polls in a row fail the job with code poll_error (gateway.md §4.1).
        (JobSpec("poll-errors", {**body, "prompt": "a fox"}, callback=False, expect_code="poll_error"), POLL_ERRORS),
    ]
    runs = []
    for spec, scenario in specs:
        ex = t.post("/v1/videos", json_body=spec.body, headers={"X-Vidmock-Scenario": scenario})
        run, created = JobRun(spec, ex), ex.json()
        if 200 <= ex.status < 300 and isinstance(created, dict) and isinstance(created.get("id"), str):
            run.job_id = created["id"]
        runs.append(run)
    for wait in (60, JOB_TIMEOUT + 10):
        t.wait(wait)
        for run in runs:
            if run.job_id:
                run.polls.append(t.get(f"/v1/videos/{run.job_id}"))
    for run in runs:
        run.terminal_seen_at = t.now()
        emit(TimelineEntry(run.job_id or run.spec.label, t.now(), "note", f"{run.spec.label} → {_status(run)}"))
    ev.timeout_job, ev.scenario_jobs = runs[0], runs[1:]


def _status(run: JobRun) -> str:
    videos = run.videos()
    return str(videos[-1][1].get("status")) if videos else "no video"


def _expiry(ev: Evidence, completed: list[JobRun]) -> None:
    urls = [u for u in (signed_url(j) for j in completed) if u]
    if not urls:
        return
    if not ev.virtual:
        ev.access_skips["token:expired"] = "a token lives 7 days: only checked when the clock can be moved"
        return
    ev.target.wait(TOKEN_TTL + 60)
    ev.access["token:expired"] = ev.target.get(urls[0], auth=False)
