"""Family B as a hypothesis state machine: create jobs across models and inputs, poll them, move
time, download with random ranges, and check the lifecycle invariants after every step.

The machine is a ``hypothesis.stateful.RuleBasedStateMachine`` run programmatically (not through
pytest), seeded with the harness ``--seed`` (``hypothesis.seed``; no example database). Rules:
``create`` (up to three jobs per example, the first one always), ``poll``, ``advance`` (let time
pass), ``wait_for`` (poll until a job is terminal) and ``download`` (poll, then one to three reads
of the content: full, a valid or invalid ``Range``, or a ``Range`` overridden by ``If-Range``).

Its oracle is the harness's own checks: after each step that talked to the target it runs the B
checks (and ``f_bad_range``, ``g1``) over the jobs of the current example; at the end of an example
it lets every job finish within the budget, downloads what completed, and runs ``g3``. A violation
is raised as an exception type of its own per check, so hypothesis shrinks each broken check
separately; the shortest failing sequence seen for a check becomes that check's finding (in
``Evidence.extra_findings``, merged by the engine), its steps rendered as a shell script of curl
commands that replays them (job ids become ``${V1}``... variables, filled from the create calls).

Time: against a vidmock on a virtual clock ``advance`` moves the target's clock
(``/_vidmock/clock/advance``); against anything else it waits ``--poll-every`` seconds of real
time, and the whole phase is capped by the budget. Shrinking is capped in wall time
(``shrink_seconds``): a reproduction is the smallest found within it.

Against targets other than vidmock only the default model and text prompts are used, with sizes
and durations that model documents; against vidmock the menu below spans several providers and
input modes, all of them combinations the default catalogue accepts (``gateway/domain/catalogue.py``;
``tests/test_harness_machine.py`` keeps the two in step).
"""

from __future__ import annotations

import dataclasses
import shlex
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, Verbosity, reject, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, Unsatisfiable
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from .evidence import TERMINAL, Evidence, JobRun, JobSpec
from .model import Exchange, Finding, Outcome, TimelineEntry
from .registry import Skip, registry
from .target import CLOCK_PATH

Emit = Callable[[TimelineEntry], None]

# Checks run after every step, and at the end of every example (once its jobs had time to end).
STEP_CHECKS = (
    "b1_create_returns_job",
    "b2_schema_every_step",
    "b3_monotonic_status",
    "b4_terminal_absorbing",
    "b5_result_error_exclusive",
    "b6_progress",
    "b7_timestamps",
    "b10_content_not_before_completion",
    "b10_content_bytes_and_ranges",
    "f_bad_range",
    "g1_create_latency",
)
END_CHECKS = ("g3_jobs_end_within_budget",)
CHECKS = frozenset(STEP_CHECKS + END_CHECKS)

MAX_JOBS = 3  # per example
# Virtual seconds, multiples of the worker's 5 s poll interval. Largest first: hypothesis shrinks a
# sampled value towards the first, so a minimal sequence moves time in one big step rather than
# keeping several small ones it cannot merge (shrinking never makes a value "bigger").
ADVANCES = (120, 60, 30, 10, 5)
SETTLE_STEP = 30.0  # virtual seconds per step while an example's jobs are left to finish
WALL_LIMIT = 45.0  # wall seconds for the whole machine phase on a virtual clock
SHRINK_SECONDS = 10.0  # default wall seconds of shrinking after the first violation
EXAMPLES = {"virtual": 40, "real": 2}
IF_RANGE = '"vidmock-check-no-such-etag"'  # never matches: the full body (RFC 9110 and the contract)
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBP01NawAAAABJRU5ErkJggg=="
)
PROMPTS = (
    "a red fox running through fresh snow at dawn",
    "un renard roux dans la neige ❄",
    "timelapse of clouds over a city, 東京",
    'a paper boat on a "rainy" street',
)


# -- what to create ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Profile:
    """A model and the request shapes the catalogue accepts for it."""

    model: str | None  # None: the field is omitted (the gateway's default model)
    sizes: tuple[str, ...]
    seconds: tuple[int, ...]
    audio: tuple[bool | None, ...]  # None: the field is omitted (audio on)
    inputs: tuple[str, ...] = ("text",)  # text | image | frames | reference
    reference: tuple[str, int, tuple[int, ...]] | None = None  # field, image count, allowed seconds
    failing_prompt: str | None = None  # a vidmock prompt marker that ends the job `failed` upstream


VIDMOCK_PROFILES = (
    Profile(
        None,
        ("1280x720", "720x1280"),
        (4, 6, 8),
        (None, True, False),
        ("text", "image", "frames", "reference"),
        reference=("reference_images", 1, (8,)),
    ),
    Profile("veo-3.1-fast-generate-preview", ("1280x720", "720x1280"), (4, 6, 8), (None, False), ("text", "image")),
    Profile(
        "sora-2",
        ("1280x720", "720x1280"),
        (4, 8),
        (None, True),
        ("text", "reference"),
        reference=("input_reference", 1, (4, 8)),
        failing_prompt="a fox [vidmock:moderation_blocked]",
    ),
    Profile(
        "seedance-2-0",
        ("1280x720", "720x1280"),
        (4, 5),
        (None, False),
        ("text", "image", "frames", "reference"),
        reference=("reference_images", 2, (4, 5)),
        # Seedance's asynchronous output moderation (providers.md §4.4): the failed path on releases
        # that no longer serve Sora (changes-2026-12.md §1.1).
        failing_prompt="a fox [vidmock:output_moderation]",
    ),
    Profile("kling-v3-0", ("1280x720",), (5,), (None, False), ("text", "image")),
    Profile("minimax-hailuo-2-3", ("1280x720",), (6,), (None, False), ("text", "image")),
    Profile("grok-imagine-video-1-5-preview", ("1280x720", "848x480"), (4,), (None, False), ("text", "image")),
    Profile("wan-2-5", ("1280x720",), (5,), (None, False)),
)
# Any target: the default model, text only, sizes and durations the default (Veo 3.1) documents.
GENERIC_PROFILES = (Profile(None, ("1280x720", "720x1280"), (4, 6, 8), (None, False)),)


@dataclass(frozen=True)
class Create:
    label: str
    body: dict[str, Any] = field(hash=False, compare=False)

    def __repr__(self) -> str:
        return f"Create({self.label!r})"


def _input_fields(profile: Profile, mode: str) -> dict[str, Any]:
    if mode == "image":
        return {"image": PNG}
    if mode == "frames":
        return {"image": PNG, "last_frame": PNG}
    if mode == "reference" and profile.reference is not None:
        name, count, _ = profile.reference
        return {name: PNG if name == "input_reference" else [PNG] * count}
    return {}


def combinations(profile: Profile) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (label, body) the profile allows, with the first prompt (for tests)."""
    for mode in profile.inputs:
        for seconds in profile.reference[2] if mode == "reference" and profile.reference else profile.seconds:
            for size in profile.sizes:
                for audio in profile.audio:
                    yield _body(profile, mode, seconds, size, audio, PROMPTS[0])


def _body(
    profile: Profile, mode: str, seconds: int, size: str, audio: bool | None, prompt: str
) -> tuple[str, dict[str, Any]]:
    body: dict[str, Any] = {"prompt": prompt, "seconds": seconds, "size": size}
    if profile.model is not None:
        body["model"] = profile.model
    if audio is not None:
        body["audio"] = audio
    body |= _input_fields(profile, mode)
    label = (
        f"{profile.model or 'default model'} {size} {seconds}s{' silent' if audio is False else ''} {mode}"
        f"{' (moderated)' if prompt == profile.failing_prompt else ''}"
    )
    return label, body


def creates(profiles: tuple[Profile, ...]) -> st.SearchStrategy[Create]:
    @st.composite
    def draw_create(draw: Any) -> Create:
        p = draw(st.sampled_from(profiles))
        mode = draw(st.sampled_from(p.inputs))
        seconds = draw(st.sampled_from(p.reference[2] if mode == "reference" and p.reference else p.seconds))
        size = draw(st.sampled_from(p.sizes))
        audio = draw(st.sampled_from(p.audio))
        prompt = draw(st.sampled_from(PROMPTS + ((p.failing_prompt,) if p.failing_prompt else ())))
        return Create(*_body(p, mode, seconds, size, audio, prompt))

    return draw_create()


# -- how to download -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Probe:
    """A content read: full, one Range (valid or not), or a Range overridden by If-Range.

    Positions are absolute or ``("end", k)``: ``total - 1 + k``, so a range lands on both sides of
    the last byte whatever the size turns out to be.
    """

    kind: str  # full | span | from | suffix | if_range | raw
    a: Any = 0
    b: Any = 0

    def range(self, total: int) -> str | None:
        def at(p: int | tuple[str, int]) -> int:
            return max(0, total - 1 + p[1]) if isinstance(p, tuple) else p

        if self.kind == "full":
            return None
        if self.kind in ("span", "if_range"):
            return f"bytes={at(self.a)}-{at(self.b)}"
        if self.kind == "from":
            return f"bytes={at(self.a)}-"
        if self.kind == "suffix":
            return f"bytes=-{at(self.a) + 1 if isinstance(self.a, tuple) else self.a}"
        return str(self.a)

    def headers(self, total: int) -> dict[str, str]:
        rng = self.range(total)
        out = {} if rng is None else {"Range": rng}
        if self.kind == "if_range":
            out["If-Range"] = IF_RANGE
        return out


def probes(vidmock: bool) -> st.SearchStrategy[Probe]:
    pos = st.one_of(st.integers(0, 2000), st.tuples(st.just("end"), st.integers(-3, 3)))
    options = [
        st.just(Probe("full")),
        st.builds(Probe, st.just("span"), pos, pos),
        st.builds(Probe, st.just("from"), pos),
        st.builds(Probe, st.just("suffix"), pos),
        st.builds(Probe, st.just("if_range"), pos, pos),
    ]
    if vidmock:  # the contract says 416; a proxy in front of another upstream may pass a 200 through
        options.append(
            st.builds(
                Probe, st.just("raw"), st.sampled_from(["bytes=0-1,3-4", "items=0-5", "bytes=-", "bytes=x-5", "0-5"])
            )
        )
    return st.one_of(options)


# -- one run of the machine ----------------------------------------------------------------------
@dataclass
class Step:
    what: str
    exchanges: list[Exchange] = field(default_factory=list)
    shell: str | None = None  # a command that is not one of the exchanges (moving time)


@dataclass
class Recorded:
    finding: Finding
    steps: list[Step]
    names: dict[str, str]  # job id -> shell variable
    signed: dict[str, str] = field(default_factory=dict)  # content[0].url -> job id
    in_teardown: bool = False
    auth: str = (
        ""  # the Authorization header, to read a job in the replay  # seen while the example's jobs were left to finish
    )


class Violation(AssertionError):
    check = ""


_VIOLATIONS: dict[str, type[Violation]] = {}


def violation(check: str) -> type[Violation]:
    """One exception type per check: hypothesis shrinks distinct failures separately."""
    if check not in _VIOLATIONS:
        _VIOLATIONS[check] = type(f"Violation_{check}", (Violation,), {"check": check})
    return _VIOLATIONS[check]


class Abort(Exception):
    """The target could not be reached: stop exploring, report a harness error."""


@dataclass
class Run:
    ev: Evidence
    emit: Emit
    checks: list[tuple[str, Callable[[Evidence], Iterable[Outcome]]]]
    end_checks: list[tuple[str, Callable[[Evidence], Iterable[Outcome]]]]
    poll_every: float
    wall_limit: float
    shrink_limit: float
    started: float = field(default_factory=time.monotonic)
    examples: int = 0
    steps: int = 0
    jobs: int = 0
    failures: dict[str, Recorded] = field(default_factory=dict)
    first_failure: float | None = None
    error: str | None = None

    @property
    def virtual(self) -> bool:
        return self.ev.virtual

    def out_of_time(self) -> bool:
        now = time.monotonic()
        return (
            self.error is not None
            or now - self.started > self.wall_limit
            or (self.first_failure is not None and now - self.first_failure > self.shrink_limit)
        )

    def record(
        self,
        check: str,
        finding: Finding,
        steps: list[Step],
        names: dict[str, str],
        signed: dict[str, str],
        in_teardown: bool,
    ) -> None:
        if self.first_failure is None:
            self.first_failure = time.monotonic()
        old = self.failures.get(check)
        size = (len(steps), sum(len(s.exchanges) for s in steps))
        # `<=`: hypothesis only ever moves to smaller examples, so the latest of equal length is the most shrunk.
        if old is None or size <= (len(old.steps), sum(len(s.exchanges) for s in old.steps)):
            self.failures[check] = Recorded(
                finding,
                list(steps),
                dict(names),
                dict(signed),
                in_teardown,
                "Authorization: " + self.ev.target.auth()["Authorization"],
            )


def machine_class(run: Run) -> type[RuleBasedStateMachine]:
    """A machine bound to one run (its target, strategies and recorded failures)."""
    ev = run.ev
    profiles: tuple[Profile, ...] = VIDMOCK_PROFILES if ev.is_vidmock else GENERIC_PROFILES
    if ev.models is not None:  # the target's catalogue (GET /v1/models): only models it lists, else the default
        profiles = tuple(p for p in profiles if p.model is None or p.model in ev.models) or GENERIC_PROFILES
    waits = st.sampled_from(ADVANCES) if run.virtual else st.just(run.poll_every)

    class LifecycleMachine(RuleBasedStateMachine):
        jobs = Bundle("jobs")

        def __init__(self) -> None:
            if run.out_of_time():
                reject()  # past the budget (or the target is gone): examples end at once
            super().__init__()
            run.examples += 1
            self.runs: list[JobRun] = []
            self.steps: list[Step] = []
            self.names: dict[str, str] = {}  # job id -> shell variable
            self.signed: dict[str, str] = {}  # content[0].url -> job id
            self.dirty = False
            self.failed = False
            self.settling = False

        # -- plumbing --------------------------------------------------------------------------
        def _request(self, method: str, path: str, **kw: Any) -> Exchange:
            try:
                return ev.target.request(method, path, record=False, **kw)
            except httpx.HTTPError as exc:
                run.error = f"lifecycle state machine: {method} {path}: {type(exc).__name__}: {exc}"
                raise Abort(run.error) from exc

        def _step(self, what: str, exchanges: list[Exchange], shell: str | None = None) -> None:
            self.steps.append(Step(what, exchanges, shell))
            run.steps += 1
            self.dirty = self.dirty or bool(exchanges)

        def _judge(self, checks: list[tuple[str, Callable[[Evidence], Iterable[Outcome]]]]) -> None:
            """Run the checks over this example's jobs; record every violated one, raise for the first."""
            view = dataclasses.replace(ev, jobs=self.runs, deliveries=[], probes={}, extra_findings={})
            violated: list[tuple[str, Finding]] = []
            for name, fn in checks:
                try:
                    found = next((f for f in fn(view) if isinstance(f, Finding)), None)
                except Skip:
                    continue
                if found is not None:
                    violated.append((name, found))
                    run.record(name, found, self.steps, self.names, self.signed, self.settling)
            if violated:
                self.failed = True
                name, found = violated[0]
                raise violation(name)(f"{name}: {found.message}")

        def _observe(self, job: JobRun) -> Exchange:
            ex = self._request("GET", f"/v1/videos/{job.job_id}")
            job.polls.append(ex)
            if _status(ex) in TERMINAL and job.terminal_seen_at is None:
                job.terminal_seen_at = ex.clock
            return ex

        def _wait(self, seconds: float) -> str:
            if run.virtual:
                try:
                    ev.target.wait(seconds)
                except httpx.HTTPError as exc:
                    run.error = f"lifecycle state machine: advancing the clock: {type(exc).__name__}: {exc}"
                    raise Abort(run.error) from exc
                return (
                    f"curl -s -X POST {shlex.quote(ev.target.base_url + CLOCK_PATH + '/advance')} "
                    f"-H 'Content-Type: application/json' --data-binary '{{\"seconds\": {seconds:g}}}'"
                )
            time.sleep(seconds)
            return f"sleep {seconds:g}"

        def _full_download(self, job: JobRun, video: Any) -> list[Exchange]:
            first = self._request("GET", f"/v1/videos/{job.job_id}/content")
            job.downloads.append(first)
            out = [first]
            content = video.get("content") if isinstance(video, dict) else None
            if (
                job.signed is None
                and isinstance(content, list)
                and content
                and isinstance(content[0], dict)
                and isinstance(content[0].get("url"), str)
            ):
                job.signed = self._request("GET", content[0]["url"], auth=False)
                self.signed[content[0]["url"]] = job.job_id or ""
                out.append(job.signed)
            return out

        # -- rules -----------------------------------------------------------------------------
        @initialize(target=jobs, create=creates(profiles))
        def first_job(self, create: Create) -> int:
            return self._create(create)

        @precondition(lambda self: len(self.runs) < MAX_JOBS)
        @rule(target=jobs, create=creates(profiles))
        def create(self, create: Create) -> int:
            return self._create(create)

        def _create(self, create: Create) -> int:
            # A request id per (seed, Nth job of the example): vidmock seeds a job from it, so a shrunk
            # sequence, and its replay script, get the very job (and video bytes) the failure had.
            request_id = f"vidmock-check-{ev.seed}-job-{len(self.runs) + 1}"
            ex = self._request("POST", "/v1/videos", json_body=create.body, headers={"x-request-id": request_id})
            job = JobRun(JobSpec(create.label, create.body, callback=False), ex)
            body = ex.json()
            var = f"V{len(self.runs) + 1}"
            if ex.status == 200 and isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"]:
                job.job_id = body["id"]
                self.names[job.job_id] = var
            self.runs.append(job)
            run.jobs += 1
            self._step(f"create {var}: {create.label} (→ {ex.status} {_status(ex) or ''})".rstrip(), [ex])
            return len(self.runs) - 1

        @rule(job=jobs)
        def poll(self, job: int) -> None:
            run_ = self.runs[job]
            if run_.job_id is None:
                return
            ex = self._observe(run_)
            self._step(f"poll {self.names[run_.job_id]} (→ {ex.status} {_status(ex) or ''})".rstrip(), [ex])

        @rule(seconds=waits)
        def advance(self, seconds: float) -> None:
            shell = self._wait(seconds)
            self._step(f"let {seconds:g} s pass" + (" (virtual clock)" if run.virtual else ""), [], shell)

        @rule(job=jobs)
        def wait_for(self, job: int) -> None:
            """Let time pass, polling, until the job is terminal (or out of budget)."""
            run_ = self.runs[job]
            if run_.job_id is not None:
                self._finish([run_])

        @rule(job=jobs, reads=st.lists(probes(ev.is_vidmock), min_size=1, max_size=3))
        def download(self, job: int, reads: list[Probe]) -> None:
            """Poll, then read the content: 409 before completion; after it, each read in turn."""
            run_ = self.runs[job]
            if run_.job_id is None:
                return
            var = self.names[run_.job_id]
            poll = self._observe(run_)
            exchanges = [poll]
            if _status(poll) != "completed":
                # Any read before completion must be 409, whatever Range says.
                ex = self._request("GET", f"/v1/videos/{run_.job_id}/content", headers=reads[0].headers(1000))
                exchanges.append(ex)
                late = False
                if ex.status != 409 and not run.virtual:  # a real clock may complete it in between
                    again = self._observe(run_)
                    exchanges.append(again)
                    late = _status(again) == "completed"
                if not late:
                    run_.early_content.append(ex)
                self._step(f"download {var} while {_status(poll)} (→ {ex.status})", exchanges)
                return
            if not run_.downloads:
                exchanges += self._full_download(run_, poll.json())
            first = run_.downloads[0]
            if first.status != 200:
                self._step(f"download {var} (→ {first.status})", exchanges)
                return
            shown = []
            for probe in reads:
                headers = probe.headers(len(first.response_body))
                ex = self._request("GET", f"/v1/videos/{run_.job_id}/content", headers=headers)
                exchanges.append(ex)
                if "Range" in headers and "If-Range" not in headers:
                    run_.ranges[headers["Range"]] = ex
                else:
                    run_.downloads.append(ex)
                shown.append(f"{', '.join(f'{k}: {v}' for k, v in headers.items()) or 'no Range'} (→ {ex.status})")
            self._step(f"download {var} with {'; '.join(shown)}", exchanges)

        @invariant()
        def contract_holds(self) -> None:
            if self.dirty:
                self.dirty = False
                self._judge(run.checks)

        def _finish(self, live: list[JobRun]) -> None:
            """Poll, and let time pass, until every job in ``live`` is terminal or out of budget."""
            step = SETTLE_STEP if run.virtual else run.poll_every
            while True:
                for job in [j for j in live if j.terminal_seen_at is None]:
                    ex = self._observe(job)
                    self._step(
                        f"poll {self.names[job.job_id or '']} (→ {ex.status} {_status(ex) or ''})".rstrip(), [ex]
                    )
                self._judge(run.checks)
                pending = [j for j in live if j.terminal_seen_at is None]
                now = ev.target.now()
                if not pending or all(now - (j.create.clock or now) >= ev.budget for j in pending):
                    return
                if not run.virtual and run.out_of_time():
                    return
                shell = self._wait(step)
                self._step(f"let {step:g} s pass" + (" (virtual clock)" if run.virtual else ""), [], shell)

        # -- the end of an example: every job ends within the budget --------------------------
        def teardown(self) -> None:
            if self.failed or run.error is not None:
                return
            if run.failures and not any(r.in_teardown for r in run.failures.values()):
                return  # shrinking a failure seen during the rules: letting jobs finish cannot help it
            self.settling = True
            live = [j for j in self.runs if j.job_id]
            self._finish(live)
            for job in live:
                if job.polls and _status(job.polls[-1]) == "completed" and not job.downloads:
                    exchanges = self._full_download(job, job.polls[-1].json())
                    self._step(f"download {self.names[job.job_id or '']} (→ {exchanges[0].status})", exchanges)
            self._judge(run.checks)
            self._judge(run.end_checks)
            if run.first_failure is None and run.examples <= 50:
                run.emit(
                    TimelineEntry(
                        "lifecycle state machine",
                        ev.target.now(),
                        "note",
                        f"example {run.examples}: {len(self.steps)} steps; "
                        + (
                            "; ".join(f"{j.spec.label} → {_status(j.polls[-1]) if j.polls else '?'}" for j in self.runs)
                            or "no job"
                        ),
                    )
                )

    LifecycleMachine.__name__ = LifecycleMachine.__qualname__ = "LifecycleMachine"
    return LifecycleMachine


def _status(ex: Exchange) -> str | None:
    body = ex.json()
    status = body.get("status") if ex.status == 200 and isinstance(body, dict) else None
    return status if isinstance(status, str) else None


# -- rendering a reproduction ----------------------------------------------------------------------
def _quote(text: str, names: dict[str, str]) -> str:
    """Shell-quote ``text``, leaving job ids as ``${V1}``-style variables."""
    hits = [jid for jid in names if jid in text]
    if not hits:
        return shlex.quote(text)
    escaped = "".join("\\" + c if c in '"$`\\' else c for c in text)
    for jid in hits:
        escaped = escaped.replace(jid, "${" + names[jid] + "}")
    return f'"{escaped}"'


def _curl(ex: Exchange, rec: Recorded) -> str:
    names = rec.names
    binary = not ex.response_headers.get("content-type", "application/json").startswith("application/json")
    url = _quote(ex.url, names)
    if ex.url in rec.signed:  # the job's own content[0].url in this replay, not the recorded run's
        video = _quote(ex.url.split("/v1/videos/")[0] + "/v1/videos/" + rec.signed[ex.url], names)
        url = f"\"$(curl -s {video} -H {shlex.quote(rec.auth)} | jq -r '.content[0].url')\""
    # Video bytes are no use on a terminal: show the status and headers, discard the body.
    parts = ["curl", *(["-sS", "-D", "-", "-o", "/dev/null"] if binary else ["-i"]), "-X", ex.method, url]
    for name, value in ex.request_headers.items():
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if ex.request_body is not None:
        parts += ["--data-binary", shlex.quote(ex.request_body.decode("utf-8", "replace"))]
    return " ".join(parts)


def script(rec: Recorded, seed_: int) -> str:
    lines = [
        f"# vidmock check --seed {seed_}: the minimal failing sequence the lifecycle state machine found "
        f"({_steps(len(rec.steps))})"
    ]
    for i, step in enumerate(rec.steps, start=1):
        lines.append(f"# {i}. {step.what}")
        if step.shell:
            lines.append(step.shell)
        for ex in step.exchanges:
            cmd = _curl(ex, rec)
            created = ex.method == "POST" and ex.url.endswith("/v1/videos") and isinstance(ex.json(), dict)
            jid = ex.json().get("id") if created else None
            if isinstance(jid, str) and jid in rec.names:
                cmd = f"{rec.names[jid]}=$({cmd.replace('curl -i', 'curl -s', 1)} | jq -r .id)"
            lines.append(cmd)
    return "\n".join(lines)


def _finding(check: str, rec: Recorded, seed_: int) -> Finding:
    f = rec.finding
    n = len(rec.steps)
    return Finding(
        f"{f.message} (lifecycle state machine, {n}-step reproduction)",
        f.expected,
        f.actual,
        f"{f.request} (step {n} of {n})" if f.request else _steps(n),
        script(rec, seed_),
        f.job_id,
    )


def _steps(n: int) -> str:
    return f"{n} step{'s' if n != 1 else ''}"


# -- the driver -----------------------------------------------------------------------------------
def explore(
    ev: Evidence,
    emit: Emit,
    wanted: Iterable[str],
    *,
    examples: int | None = None,
    steps: int = 15,
    poll_every: float = 2.0,
    shrink_seconds: float = SHRINK_SECONDS,
) -> None:
    """Run the machine against ``ev.target`` and put each violated check's minimal finding in
    ``ev.extra_findings``. Raises (a harness error) only when the target could not be reached or
    the machine itself broke."""
    wanted = set(wanted)
    specs = {s.name: s.fn for s in registry if s.name in wanted}
    run = Run(
        ev,
        emit,
        [(n, specs[n]) for n in STEP_CHECKS if n in specs],
        [(n, specs[n]) for n in END_CHECKS if n in specs],
        poll_every=poll_every,
        wall_limit=WALL_LIMIT if ev.virtual else ev.budget,
        shrink_limit=shrink_seconds,
    )
    count = examples if examples is not None else EXAMPLES["virtual" if ev.virtual else "real"]
    config = settings(
        max_examples=max(1, count),
        stateful_step_count=max(1, steps),
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        print_blob=False,
        report_multiple_bugs=True,
    )
    factory = seed(ev.seed)(machine_class(run))
    try:
        run_state_machine_as_test(factory, settings=config)
    except Exception as exc:  # violations were recorded as they happened; anything else is ours
        unexpected = [e for e in _leaves(exc) if not isinstance(e, (Violation, Abort, Flaky, Unsatisfiable))]
        if unexpected:
            raise unexpected[0] from exc
    for check, rec in run.failures.items():
        ev.extra_findings.setdefault(check, []).append(_finding(check, rec, ev.seed))
        emit(
            TimelineEntry(
                "lifecycle state machine",
                None,
                "note",
                f"{check}: {rec.finding.message} — minimal sequence of {_steps(len(rec.steps))}",
                False,
            )
        )
    emit(
        TimelineEntry(
            "lifecycle state machine",
            ev.target.now(),
            "note",
            f"{run.examples} examples, {run.steps} steps, {run.jobs} jobs, "
            f"{len(run.failures)} checks violated, {time.monotonic() - run.started:.1f} s",
            not run.failures,
        )
    )
    if run.error is not None:
        raise RuntimeError(run.error)


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for e in exc.exceptions for leaf in _leaves(e)]
    return [exc]
