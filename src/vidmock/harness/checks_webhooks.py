"""Families C (webhook delivery) and D (signatures), judged from what the receiver recorded.

Verification is ``vidmock.webhooks.verify`` over the raw received bytes; on a mismatch
``diagnose`` names the likely mistake (re-serialised body, decoded secret, hex digest...), which
is what makes a failure message actionable. The LLMGateway profile (webhooks.md §7.8) applies:
one event per job, `evt_<id>`, body rebuilt per attempt, raw-UTF-8 key, retries 30 s doubling.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from typing import Any

from vidmock.webhooks import VerificationError, diagnose, diagnose_attempts, verify

from .evidence import TERMINAL, Evidence, JobRun
from .model import Finding, Observed, Outcome
from .receiver import REDIRECTED, Delivery
from .registry import Skip, registry

SCHEME = "llmgateway"
TOLERANCE = 300  # seconds either way (D3); LLMGateway documents none, Standard Webhooks uses ±5 min
RETRY_DELAYS = (30, 60, 120, 240, 480, 960, 1920)  # after failed attempts 1..7 (gateway.md §4.3)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
GRANULARITY = 10  # the 5 s delivery loop, plus a poll step of slack (real clocks)
LOOP = 5  # VIDEO_WEBHOOK_POLL_INTERVAL_SECONDS: on a virtual clock the only slack there is (gateway.md §4.3)


def _hooked(ev: Evidence) -> list[JobRun]:
    jobs = [j for j in ev.jobs if j.job_id and j.token]
    if not jobs:
        raise Skip("no job was created with a callback")
    return jobs


def _describe(d: Delivery) -> str:
    return (
        f"webhook attempt {d.attempt} to {d.path}: webhook-id={d.headers.get('webhook-id')!r} "
        f"webhook-timestamp={d.headers.get('webhook-timestamp')!r}"
    )


def _finding(
    message: str, expected: str, actual: str, d: Delivery, job: JobRun | None, ev: Evidence, *, signature: bool = False
) -> Finding:
    """A webhook finding with a repro that reproduces *this* failure: a diagnose call for a signature
    defect, the received request replayed (same headers, same bytes) for a payload or delivery defect."""
    body = d.body.decode("utf-8", "replace")
    sent = {k: v for k, v in d.headers.items() if k.startswith("webhook-") or k == "content-type"}
    if signature:
        call = (
            f"from vidmock.webhooks import diagnose; print(diagnose({SCHEME!r}, {d.body!r}, "
            f"{json.dumps(sent)}, {(job.secret if job else '')!r}, now={d.clock!r}).message)"
        )
        repro = f"python -c {shlex.quote(call)}"
    else:
        headers = " ".join(f"-H {shlex.quote(f'{k}: {v}')}" for k, v in sent.items())
        repro = f'curl -i -X POST "$RECEIVER_URL" {headers} --data-binary {shlex.quote(body)}'
    return Finding(message, expected, actual, f"{_describe(d)} body={body[:300]}", repro, job.job_id if job else None)


def _seen(ev: Evidence, job: JobRun, what: str) -> Iterator[Outcome]:
    got = ev.job_deliveries(job)
    if got:
        yield Observed(f"{job.job_id}: {len(got)} attempt(s), {what}")


def _payload(d: Delivery) -> Any:
    try:
        return json.loads(d.body)
    except ValueError:
        return None


@registry.check(family="C", name="c1_only_when_subscribed", rules=("W-SUBSCRIBED",))
def only_when_subscribed(ev: Evidence) -> Iterator[Outcome]:
    """Deliveries go only to jobs that asked for one, as POST application/json, to exactly their URL."""
    tokens = {j.token: j for j in ev.jobs if j.token}
    for d in ev.deliveries:
        if d.path.startswith(REDIRECTED):
            continue  # a followed redirect: c5's finding
        job = tokens.get(d.token)
        data = (_payload(d) or {}).get("data") if isinstance(_payload(d), dict) else None
        if job is None:
            yield _finding("webhook sent to a URL no job subscribed", "no delivery", d.path, d, None, ev)
        elif d.method != "POST" or not d.headers.get("content-type", "").startswith("application/json"):
            yield _finding(
                "webhook is not a JSON POST",
                "POST, Content-Type: application/json",
                f"{d.method} {d.headers.get('content-type')}",
                d,
                job,
                ev,
            )
        elif isinstance(data, dict) and data.get("id") != job.job_id:
            yield _finding(
                "webhook for another job delivered to this job's URL (cross-wired)",
                str(job.job_id),
                str(data.get("id")),
                d,
                job,
                ev,
            )
    for job in _hooked(ev):
        if job.terminal_seen_at is not None and not ev.job_deliveries(job):
            yield Finding.of(
                f"no webhook for terminal job {job.job_id}", "one terminal event", "none", job.create, job.job_id
            )
    silent = [j for j in ev.jobs if j.job_id and not j.token]
    yield Observed(
        f"{len(ev.deliveries)} deliveries, each a JSON POST to its job's URL; {len(silent)} jobs without one"
    )


@registry.check(family="C", name="c2_one_terminal_event", rules=("W-EVENT-ID", "W-ONE-EVENT"))
def one_terminal_event(ev: Evidence) -> Iterator[Outcome]:
    """One terminal event per job: `evt_<id>`, equal in header and body, and no other event once one was
    acknowledged (the id across retries is d4's)."""
    for job in _hooked(ev):
        got = ev.job_deliveries(job)
        acked: str | None = None
        for k, d in enumerate(got):
            header, body = d.headers.get("webhook-id"), _payload(d)
            body_id = body.get("id") if isinstance(body, dict) else None
            if header != body_id:
                yield _finding("webhook-id header and body id differ", str(header), str(body_id), d, job, ev)
                break
            if k == 0 and header != f"evt_{job.job_id}":
                yield _finding("event id is not evt_<video id>", f"evt_{job.job_id}", str(header), d, job, ev)
                break
            if acked is not None and header != acked:
                yield _finding(
                    f"job {job.job_id} got a second terminal event {header} after {acked} was acknowledged",
                    f"one event id evt_{job.job_id}",
                    f"{acked}, then {header}",
                    d,
                    job,
                    ev,
                )
                break
            if 200 <= d.answered < 300:
                acked = acked or str(header)
        else:
            if got:
                yield Observed(f"{job.job_id}: {len(got)} attempt(s) of {got[0].headers.get('webhook-id')}")


@registry.check(family="C", name="c3_consistent_with_get", rules=("W-CONSISTENT",))
def consistent_with_get(ev: Evidence) -> Iterator[Outcome]:
    """The payload's `data`, and GET during delivery, agree: same terminal status, error code, completed_at."""
    for job in _hooked(ev):
        for d in ev.job_deliveries(job):
            body = _payload(d)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, dict) or not isinstance(d.job, dict):
                continue
            fields = ("id", "status", "completed_at", "progress")
            a = {k: data.get(k) for k in fields} | {
                "error": (data.get("error") or {}).get("code"),
                "content": "content" in data,
            }
            b = {k: d.job.get(k) for k in fields} | {
                "error": (d.job.get("error") or {}).get("code"),
                "content": "content" in d.job,
            }
            if a != b:
                yield _finding(
                    "webhook data disagrees with GET at delivery time", f"GET: {b}", f"webhook: {a}", d, job, ev
                )
                break
        yield from _seen(ev, job, "payload agreed with GET")


@registry.check(family="C", name="c4_terminal_only_type_matches", rules=("W-TYPE",))
def terminal_only_type_matches(ev: Evidence) -> Iterator[Outcome]:
    """Only terminal events; `video.completed` iff data.status is completed, else `video.failed`."""
    for job in _hooked(ev):
        for d in ev.job_deliveries(job):
            body = _payload(d)
            if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
                continue
            status, kind = body["data"].get("status"), body.get("type")
            want = "video.completed" if status == "completed" else "video.failed"
            if status not in TERMINAL or kind != want:
                yield _finding(
                    f"event type {kind!r} for status {status!r}",
                    f"{want} for a terminal status",
                    f"{kind} / {status}",
                    d,
                    job,
                    ev,
                )
                break
        yield from _seen(ev, job, "event type matched status")


@registry.check(family="C", name="c5_retry_triggers", rules=("W-RETRY-NON2XX", "W-NO-REDIRECT"))
def retry_triggers(ev: Evidence) -> Iterator[Outcome]:
    """Every non-2xx answer, a 3xx included, is a failed attempt that is retried; a redirect is never
    followed; nothing is sent after a 2xx."""
    for d in ev.deliveries:
        if d.path.startswith(REDIRECTED):
            owner = next((j for j in ev.jobs if j.token == d.path.removeprefix(REDIRECTED)), None)
            yield _finding(
                "followed the receiver's 3xx redirect",
                "a 3xx is a failed attempt, not followed",
                f"{d.method} {d.path}",
                d,
                owner,
                ev,
            )
    scripted = [j for j in _hooked(ev) if j.spec.script]
    if not scripted:
        raise Skip("no scripted receiver failure (needs a virtual clock to wait out retries)")
    for job in scripted:
        got = ev.job_deliveries(job)
        for k, d in enumerate(got):
            last = k == len(got) - 1
            if not 200 <= d.answered < 300 and last and d.attempt < MAX_ATTEMPTS:
                yield _finding(
                    f"no retry after the receiver answered {d.answered}",
                    "another attempt: any non-2xx answer is a failure",
                    f"attempt {d.attempt} was the last",
                    d,
                    job,
                    ev,
                )
            if 200 <= d.answered < 300 and not last:
                yield _finding(
                    f"attempt {got[k + 1].attempt} sent after a {d.answered}",
                    "no attempt after a 2xx",
                    f"{len(got) - k - 1} more",
                    got[k + 1],
                    job,
                    ev,
                )
        yield from _seen(ev, job, "answers honoured (" + "/".join(str(d.answered) for d in got) + ")")


@registry.check(family="C", name="c6_retry_schedule", rules=("N-RETRY-SCHEDULE", "N-ATTEMPTS-MAX"))
def retry_schedule(ev: Evidence) -> Iterator[Outcome]:
    """Scripted receiver failures are retried with the documented doubling delays, 8 attempts at most."""
    scripted = [j for j in _hooked(ev) if j.spec.script]
    if not scripted:
        raise Skip("no scripted receiver failure (needs a virtual clock to wait out retries)")
    for job in scripted:
        got = ev.job_deliveries(job)
        fails = len(job.spec.script)
        want = min(fails + 1, MAX_ATTEMPTS)
        if len(got) != want:
            yield Finding.of(
                f"{len(got)} attempts for {fails} scripted failures",
                f"{want} attempts" + (f" (at most {MAX_ATTEMPTS})" if fails >= MAX_ATTEMPTS else ""),
                str(len(got)),
                job.create,
                job.job_id,
            )
            continue
        for k, (a, b) in enumerate(zip(got, got[1:], strict=False), start=1):
            gap, want = b.clock - a.clock, RETRY_DELAYS[k - 1]
            slack = LOOP if ev.virtual else GRANULARITY
            if not want <= gap <= want + slack:
                yield _finding(
                    f"retry {k + 1} came {gap:.0f} s after attempt {k}",
                    f"{want}–{want + slack} s",
                    f"{gap:.0f} s",
                    b,
                    job,
                    ev,
                )
        gaps = ", ".join(f"{b.clock - a.clock:.0f}" for a, b in zip(got, got[1:], strict=False))
        yield Observed(f"{job.job_id}: retry gaps {gaps} s")


@registry.check(family="C", name="c9_payload_schema", rules=("W-PAYLOAD",))
def payload_schema(ev: Evidence) -> Iterator[Outcome]:
    """The payload validates against the contract's webhook event schema."""
    for job in _hooked(ev):
        for d in ev.job_deliveries(job):
            body = _payload(d)
            name = (
                "VideoCompletedEvent"
                if isinstance(body, dict) and body.get("type") == "video.completed"
                else "VideoFailedEvent"
            )
            errors = ev.schemas.errors(name, body)
            if errors:
                yield _finding(f"payload violates {name}", name, "; ".join(errors[:3]), d, job, ev)
                break
        yield from _seen(ev, job, "payloads validated")


@registry.check(family="D", name="d1_d2_signature", rules=("W-SIGNATURE",))
def signature(ev: Evidence) -> Iterator[Outcome]:
    """Every attempt carries `v1,<base64>` that verifies over the raw bytes with this job's secret."""
    for job in _hooked(ev):
        for d in ev.job_deliveries(job):
            assert job.secret is not None
            try:
                verify(SCHEME, d.body, d.headers, job.secret, now=d.clock, tolerance=None)
            except VerificationError as exc:
                why = diagnose(SCHEME, d.body, d.headers, job.secret, now=d.clock, tolerance=10**9)
                yield _finding(
                    f"signature does not verify ({exc.reason}): {why.message}",
                    "v1,<base64 HMAC-SHA256 of id.timestamp.raw body> under the job's secret",
                    f"{why.got or d.headers.get('webhook-signature')} (likely: {why.likely_mistake or 'wrong secret'}"
                    + (f"; a correct sender sends {why.expected}" if why.expected else "")
                    + ")",
                    d,
                    job,
                    ev,
                    signature=True,
                )
                break
        yield from _seen(ev, job, "signatures verified")


@registry.check(family="D", name="d3_timestamp_window", rules=("W-TIMESTAMP-WINDOW",))
def timestamp_window(ev: Evidence) -> Iterator[Outcome]:
    """`webhook-timestamp` is unix seconds within ±300 s of the receiver's wall time at receipt: what a
    real receiver judges freshness against, whatever clock the target emulates (webhooks.md §3)."""
    for job in _hooked(ev):
        for d in ev.job_deliveries(job):
            raw = d.headers.get("webhook-timestamp", "")
            if not raw.isascii() or not raw.isdigit() or abs(int(raw) - d.wall) > TOLERANCE:
                why = diagnose(SCHEME, d.body, d.headers, job.secret or "", now=d.wall, tolerance=TOLERANCE)
                yield _finding(
                    f"webhook-timestamp outside the window: {why.message}",
                    f"unix seconds within ±{TOLERANCE} s of {d.wall:.0f}",
                    raw,
                    d,
                    job,
                    ev,
                    signature=True,
                )
                break
        yield from _seen(ev, job, "timestamps in the window")


@registry.check(family="D", name="d4_id_stable_unique", rules=("W-ID-STABLE",))
def id_stable_unique(ev: Evidence) -> Iterator[Outcome]:
    """The event id is the same on every retry of a job's event, and never reused by another job."""
    owner: dict[str, str] = {}
    for job in _hooked(ev):
        got = ev.job_deliveries(job)
        for before, d in zip(got, got[1:], strict=False):
            if not 200 <= before.answered < 300 and d.headers.get("webhook-id") != before.headers.get("webhook-id"):
                why = diagnose_attempts(SCHEME, [(x.body, x.headers, x.clock) for x in got], job.secret or "")
                yield _finding(
                    f"retry {d.attempt} changed the event id: {why.message}",
                    f"the id of attempt {before.attempt}: {before.headers.get('webhook-id')}",
                    str(d.headers.get("webhook-id")),
                    d,
                    job,
                    ev,
                    signature=True,
                )
                break
        for d in got:
            wid = d.headers.get("webhook-id", "")
            if owner.setdefault(wid, str(job.job_id)) != job.job_id:
                yield _finding(
                    f"event id {wid} reused across jobs",
                    "unique per job",
                    f"{owner[wid]} and {job.job_id}",
                    d,
                    job,
                    ev,
                    signature=True,
                )
                break
        retries = sum(1 for d in got if d.attempt > 1)
        if got:
            yield Observed(
                f"{job.job_id}: id {got[0].headers.get('webhook-id')} on {len(got)} attempts ({retries} retries)"
            )


@registry.check(family="D", name="d6_secret_hygiene", rules=("W-SECRET",))
def secret_hygiene(ev: Evidence) -> Iterator[Outcome]:
    """`callback_secret` never appears in a response or a webhook body."""
    secrets = {j.secret: j for j in _hooked(ev) if j.secret}
    for ex in ev.target.exchanges:
        text = ex.response_body.decode("utf-8", "replace")
        for secret, job in secrets.items():
            if secret in text or json.dumps(secret)[1:-1] in text:
                yield Finding.of(
                    "the callback secret is echoed in a response", "never returned", ex.summary(120), ex, job.job_id
                )
                return
    for d in ev.deliveries:
        text = d.body.decode("utf-8", "replace")
        for secret, job in secrets.items():
            if secret in text or json.dumps(secret)[1:-1] in text:
                yield _finding("the callback secret is inside a webhook body", "never sent", text[:200], d, job, ev)
                return
    yield Observed(
        f"{len(ev.target.exchanges)} responses and {len(ev.deliveries)} webhook bodies searched for {len(secrets)} secrets"
    )
