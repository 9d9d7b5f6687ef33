"""Each webhook attempt on its own: rebuilt and re-signed with a fresh timestamp (C7), and the first one
sent promptly after the job ends (G2). gateway.md §4.3, webhooks.md §1.3, §7 C7 and G2.

Two clocks (issue 16 item 1): the signed webhook-timestamp is the wall time of the real send, the payload's
times (created_at, completed_at) the target's clock, virtual or not. The schedule and the rebuilt body are
judged on the target's clock at receipt (exact on a virtual clock), the signature's timestamp against the
receiver's wall. A retry replayed from the first attempt (the same signed timestamp, the same bytes, while
the target's clock moved on by a retry step) is visible although it sits well inside the ±5 min window
that d3 allows: an hour-long retry chain takes seconds of wall time on a virtual clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from vidmock.webhooks import diagnose_attempts

from .checks_webhooks import GRANULARITY, LOOP, SCHEME, TOLERANCE, _finding, _hooked
from .evidence import Evidence
from .model import Observed, Outcome
from .receiver import Delivery
from .registry import Skip, registry

SKEW = 2  # seconds: a timestamp taken just before sending, the receipt clock just after
REPLAY_GAP = 30  # the first retry step (gateway.md §4.3): a replay is older than this


def _created_at(d: Delivery) -> Any:
    try:
        body = json.loads(d.body)
    except ValueError:
        return None
    return body.get("created_at") if isinstance(body, dict) else None


def _completed_at(d: Delivery) -> Any:
    try:
        body = json.loads(d.body)
    except ValueError:
        return None
    data = body.get("data") if isinstance(body, dict) else None
    return data.get("completed_at") if isinstance(data, dict) else None


def _ts(d: Delivery) -> int | None:
    raw = d.headers.get("webhook-timestamp", "")
    return int(raw) if raw.isascii() and raw.isdigit() else None


@registry.check(family="C", name="c7_fresh_attempts", rules=("W-TIMESTAMP-FRESH", "W-BODY-REBUILT"))
def fresh_attempts(ev: Evidence) -> Iterator[Outcome]:
    """Every retry is rebuilt and re-signed at its own send: a fresh webhook-timestamp and a new body."""
    # Two clocks (issue 16 item 1): the signed webhook-timestamp is the WALL time at the real send, in
    # every clock mode, while the payload's created_at is the emulated time of the attempt. So the
    # signature is judged against the receiver's wall at receipt (never older than the previous
    # attempt's), and the rebuilt body against the target's clock at receipt (webhooks.md §1.3).
    retried = [j for j in _hooked(ev) if len(ev.job_deliveries(j)) > 1]
    if not retried:
        raise Skip("no webhook was retried (needs scripted receiver failures: a virtual clock)")
    # created_at is read at send, the receipt clock just after (exact on a virtual clock).
    slack = SKEW if ev.target.has_clock else GRANULARITY + 30
    for job in retried:
        got = ev.job_deliveries(job)
        for a, b in zip(got, got[1:], strict=False):
            ta, tb = _ts(a), _ts(b)
            gap = b.clock - a.clock
            if ta is None or tb is None:
                continue  # d3 reports an unparsable timestamp
            created = _created_at(b)
            # A replay: the retry carries the previous attempt's signed timestamp and its exact bytes while
            # the target's time moved on by at least a retry step (30 s, gateway.md §4.3); a rebuilt body
            # differs, for its created_at is the attempt's own.
            replay = tb == ta and b.body == a.body and gap >= REPLAY_GAP
            stale = tb < ta or abs(tb - b.wall) > TOLERANCE  # the receiver's window (webhooks.md §1.3)
            rebuilt = isinstance(created, int) and abs(created - b.clock) <= slack and b.body != a.body
            if replay or stale or not rebuilt:
                at = [(x.body, x.headers, x.clock if replay else x.wall) for x in (a, b)]
                why = diagnose_attempts(SCHEME, at, job.secret or "")
                yield _finding(
                    f"attempt {b.attempt} was not rebuilt: timestamp {tb} (attempt {a.attempt}: {ta}), "
                    f"body created_at {created!r}, {gap:.0f} s later"
                    + (", byte-identical body" if b.body == a.body else "")
                    + (f" ({why.likely_mistake})" if why.likely_mistake else ""),
                    f"webhook-timestamp ≥ {ta} and within {TOLERANCE} s of the receiver's wall ({b.wall:.0f}); "
                    f"body created_at ≈ the target's time at receipt ({b.clock:.0f}), body rebuilt",
                    f"webhook-timestamp {tb}, created_at {created!r}",
                    b,
                    job,
                    ev,
                )
                break
        else:
            stamps = ", ".join(f"{_ts(d)}/{_created_at(d)}" for d in got)
            yield Observed(f"{job.job_id}: {len(got)} attempts stamped (signed/created_at) {stamps}")


@registry.check(family="G", name="g2_first_attempt_latency", rules=("N-FIRST-ATTEMPT",))
def first_attempt_latency(ev: Evidence) -> Iterator[Outcome]:
    """The first webhook attempt comes within one delivery loop (5 s) plus a poll of the job's completed_at."""
    # completed_at is the upstream's own when it reports one, so up to a worker poll (5 s) before the gateway
    # saw it, then one delivery loop (5 s): exact on a virtual clock. A real target's clock may be skewed.
    slack = 2 * LOOP if ev.target.has_clock else GRANULARITY + 30
    seen = 0
    for job in _hooked(ev):
        got = ev.job_deliveries(job)
        if not got:
            continue
        first = got[0]
        done = _completed_at(first)
        if not isinstance(done, int):
            continue  # c9 reports a payload without completed_at
        seen += 1
        delay = first.clock - done
        if not -SKEW <= delay <= slack:
            yield _finding(
                f"first webhook attempt {delay:.0f} s after the job's completed_at",
                f"0–{slack} s (a worker poll and a webhook loop, 5 s each: gateway.md §4.1, §4.3)",
                f"{delay:.0f} s",
                first,
                job,
                ev,
            )
        else:
            yield Observed(f"{job.job_id}: first attempt {delay:.0f} s after completed_at")
    if not seen:
        raise Skip("no webhook arrived")
