"""The lifecycle driver: create a seeded mix of jobs, poll them to the end, download, and collect
everything the B, C, D and G checks judge (webhooks arrive at the receiver meanwhile).

This is the webhook scenario (callbacks, scripted receiver failures, retries waited out) and a
fixed baseline for family B. The exploration of the lifecycle across models, inputs, timings and
ranges is ``machine.py``'s hypothesis state machine, which runs after this and reports through the
same checks.

Seeded rather than free-running: the same ``--seed`` picks the same models, sizes, prompts and
scripted receiver failures, so a failure reproduces. Against a virtual clock each step advances the
target's time by one worker poll interval (5 s); against anything else it sleeps ``poll_every``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

from .evidence import TERMINAL, Evidence, JobRun, JobSpec
from .model import Exchange, TimelineEntry
from .receiver import Receiver

MAX_ATTEMPTS = 8  # MAX_WEBHOOK_ATTEMPTS (gateway.md §4.3)
STEP = 5.0  # the gateway's worker poll interval (gateway.md §4.1)
SETTLE = 120.0  # target seconds to keep watching after the last job ends: absorption, retries, strays
PROMPTS = (
    "a red fox running through fresh snow at dawn",
    "un renard roux dans la neige ❄",
    "timelapse of clouds over a city, 東京",
    'a paper boat on a "rainy" street',
)
Emit = Callable[[TimelineEntry], None]
# A provoked failure on another provider, for a target that does not list the spec's model: Seedance's
# asynchronous output moderation fails the task with OutputVideoSensitiveContentDetected, a code the
# gateway passes through (providers.md §4.4, gateway.md §6 "Poll-time"). label -> (label, body, code)
STAND_INS: dict[str, tuple[str, dict[str, object], str]] = {
    "sora-moderated": (
        "seedance-moderated",
        {"model": "seedance-2-0", "prompt": "a fox [vidmock:output_moderation]", "seconds": 4, "size": "1280x720"},
        "OutputVideoSensitiveContentDetected",
    ),
}


def job_specs(rng: random.Random, *, vidmock: bool, retries: bool, models: list[str] | None = None) -> list[JobSpec]:
    """A few models and inputs; receiver failures only when time can be moved (retries take minutes).

    ``models``: the target's catalogue (``GET /v1/models``), when it serves one: a job whose model it
    does not list moves to the default model (no ``model`` key), so releases with different
    catalogues can all be checked. None keeps today's choices."""
    specs = [
        JobSpec(
            "veo",
            {
                "prompt": rng.choice(PROMPTS),
                "seconds": rng.choice([4, 6, 8]),
                "size": rng.choice(["1280x720", "720x1280"]),
            },
        ),
        JobSpec(
            "sora",
            {
                "model": "sora-2",
                "prompt": rng.choice(PROMPTS),
                "seconds": rng.choice([4, 8]),
                "size": rng.choice(["1280x720", "720x1280"]),
            },
            script=[500, 302] if retries else [],
        ),
        JobSpec(
            "seedance-no-callback",
            {"model": "seedance-2-0", "prompt": rng.choice(PROMPTS), "seconds": rng.choice([4, 5]), "size": "1280x720"},
            callback=False,
        ),
        JobSpec(
            "veo-fast-silent",
            {"model": "veo-3.1-fast-generate-preview", "prompt": rng.choice(PROMPTS), "seconds": 4, "audio": False},
        ),
    ]
    if retries:  # every attempt refused: the gateway must stop after its 8th (gateway.md §4.3)
        specs.append(
            JobSpec(
                "veo-exhausted",
                {"model": "veo-3.1-fast-generate-preview", "prompt": rng.choice(PROMPTS), "seconds": 4},
                script=[500] * MAX_ATTEMPTS,
            )
        )
    if vidmock:  # a prompt marker only vidmock understands: a job that ends `failed` upstream
        specs.append(
            JobSpec(
                "sora-moderated",
                {"model": "sora-2", "prompt": "a fox [vidmock:moderation_blocked]", "seconds": 4, "size": "1280x720"},
                expect_code="moderation_blocked",  # the provider's code passes through (gateway.md §6)
            )
        )
    rng.shuffle(specs)
    if models is not None:
        for spec in specs:
            stand_in = STAND_INS.get(spec.label)
            if (
                "model" in spec.body
                and spec.body["model"] not in models
                and stand_in
                and stand_in[1]["model"] in models
            ):
                # the same failure kind on a model the target lists (Sora is deactivated from 2026-12)
                spec.label, spec.body, spec.expect_code = stand_in[0], dict(stand_in[1]), stand_in[2]
            elif "model" in spec.body and spec.body["model"] not in models:
                spec.body = {k: v for k, v in spec.body.items() if k not in ("model", "size")}
                spec.expect_code = None  # the provoked failure was that model's
    return specs


def _note(ex: Exchange) -> str:
    body = ex.json()
    if ex.status == 200 and isinstance(body, dict) and "status" in body:
        return f"GET {ex.status} status={body.get('status')} progress={body.get('progress')}"
    return f"{ex.method} {ex.status}"


def drive(ev: Evidence, receiver: Receiver | None, emit: Emit, *, poll_every: float = 2.0) -> None:
    rng = random.Random(ev.seed)
    target = ev.target
    ev.started_at = target.now()
    for i, spec in enumerate(job_specs(rng, vidmock=ev.is_vidmock, retries=ev.virtual, models=ev.models)):
        body = dict(spec.body)
        token = secret = None
        if spec.callback and receiver is not None:
            token, secret = f"job{i}-{rng.randrange(16**6):06x}", f"whsec_{rng.randrange(16**12):012x}_é"
            body |= {"callback_url": receiver.hook(token, secret, spec.script), "callback_secret": secret}
        ex = target.post("/v1/videos", json_body=body)
        run = JobRun(spec, ex, token=token, secret=secret)
        created = ex.json()
        # Any 2xx with an id is followed, so a departure (a 201) is reported once by b1 and every later
        # check still runs on the job.
        if 200 <= ex.status < 300 and isinstance(created, dict) and isinstance(created.get("id"), str):
            run.job_id = created["id"]
            if token is not None and receiver is not None:
                receiver.hooks[token].job_id = run.job_id
        ev.jobs.append(run)
        emit(
            TimelineEntry(
                run.job_id or spec.label,
                ex.clock,
                "create",
                f"{spec.label}: POST /v1/videos → {ex.status}",
                ex.status == 200,
            )
        )
    live = [j for j in ev.jobs if j.job_id]
    step = STEP if ev.virtual else poll_every
    deadline = ev.started_at + ev.budget
    settle_until: float | None = None
    while target.now() < deadline:
        target.wait(step)
        now = target.now()
        for job in live:
            _observe(ev, job, emit)
        if settle_until is None and all(j.terminal_seen_at is not None for j in live):
            settle_until = now + (SETTLE if ev.virtual else min(SETTLE, 3 * poll_every))
        if settle_until is not None and now >= settle_until and _deliveries_settled(ev, receiver):
            break
    if receiver is not None:
        ev.deliveries = list(receiver.deliveries)
        for d in ev.deliveries:
            owner = next((j for j in ev.jobs if j.token == d.token), None)
            scripted = owner is not None and d.attempt <= len(owner.spec.script)
            emit(
                TimelineEntry(
                    (owner.job_id if owner else None) or d.path,
                    d.clock,
                    "webhook",
                    f"webhook attempt {d.attempt} id={d.headers.get('webhook-id')} type="
                    f"{_event_type(d.body)} → answered {d.answered}{' (scripted failure)' if scripted else ''}",
                    scripted or 200 <= d.answered < 300,
                )
            )


def _event_type(body: bytes) -> str:
    try:
        return str(json.loads(body).get("type"))
    except (ValueError, AttributeError):
        return "?"


def _deliveries_settled(ev: Evidence, receiver: Receiver | None) -> bool:
    """Every job with a callback got a delivery we answered 2xx (or the run is out of budget)."""
    if receiver is None:
        return True
    for job in ev.jobs:
        got = receiver.for_token(job.token) if job.token else []
        if len(job.spec.script) >= MAX_ATTEMPTS and got:
            continue  # its retries take an hour: they are collected after the access driver moved time on
        if job.token and job.job_id and not any(200 <= d.answered < 300 for d in got):
            return False
    return True


def _observe(ev: Evidence, job: JobRun, emit: Emit) -> None:
    assert job.job_id is not None
    ex = ev.target.get(f"/v1/videos/{job.job_id}")
    job.polls.append(ex)
    body = ex.json()
    status = body.get("status") if isinstance(body, dict) else None
    previous = job.polls[-2].json() if len(job.polls) > 1 else None
    if not isinstance(previous, dict) or previous.get("status") != status or ex.status != 200:
        emit(TimelineEntry(job.job_id, ex.clock, "poll", _note(ex), ex.status == 200))
    if status in TERMINAL and job.terminal_seen_at is None:
        job.terminal_seen_at = ex.clock
    if status != "completed" and not job.downloads:
        if not job.early_content or status != _status_of(job.early_content[-1]):
            early = ev.target.get(f"/v1/videos/{job.job_id}/content")
            job.early_content.append(early)
            emit(
                TimelineEntry(
                    job.job_id,
                    early.clock,
                    "content",
                    f"content before completion → {early.status}",
                    early.status == 409,
                )
            )
    elif status == "completed" and not job.downloads:
        _download(ev, job, body if isinstance(body, dict) else {}, emit)


def _status_of(ex: Exchange) -> str:
    """The status named in a 409 message, to probe content again only when the status changed."""
    body = ex.json()
    message = (
        body.get("error", {}).get("message", "")
        if isinstance(body, dict) and isinstance(body.get("error"), dict)
        else ""
    )
    return str(message).rsplit(": ", 1)[-1]


def _download(ev: Evidence, job: JobRun, video: dict[str, object], emit: Emit) -> None:
    path = f"/v1/videos/{job.job_id}/content"
    first = ev.target.get(path)
    job.downloads += [first, ev.target.get(path)]  # twice: the bytes must be stable
    size = len(first.response_body)
    for rng in ("bytes=0-99", "bytes=-10", f"bytes={size}-", "bytes=5-2"):
        job.ranges[rng] = ev.target.get(path, headers={"Range": rng})
    content = video.get("content")
    if (
        isinstance(content, list)
        and content
        and isinstance(content[0], dict)
        and isinstance(content[0].get("url"), str)
    ):
        job.signed = ev.target.get(content[0]["url"], auth=False)
    emit(
        TimelineEntry(
            job.job_id or "",
            first.clock,
            "content",
            f"download → {first.status}, {size} bytes; ranges "
            + ", ".join(f"{k}→{v.status}" for k, v in job.ranges.items()),
            first.status == 200,
        )
    )
