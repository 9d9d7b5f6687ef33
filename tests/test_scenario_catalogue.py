"""Every scenario in the catalogue, run through the gateway on the virtual clock (issue 4).

Each file in ``scenarios/`` needs an entry in ``EXPECTATIONS``: a new file without one fails here, so
nothing lands untested. Scenarios for a provider the gateway does not route to (google-ai-studio) run
against their emulator in that provider's tests. Each run creates
a job with ``X-Vidmock-Scenario`` on a model routed to the scenario's provider, samples the gateway
every 5 s (the worker's poll interval) and asserts what a caller sees: the statuses in order with the
virtual second each was first seen, error bodies, and the upstream calls in the journal.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH
from conftest import test_config as server_config

from vidmock.cli import main
from vidmock.gateway.domain.catalogue import default_catalogue
from vidmock.providers.registry import PLUGINS
from vidmock.scenarios import Scenario, load_file
from vidmock.scenarios.plan import resolve

pytestmark = pytest.mark.anyio
# Sora and Avalanche are gone from the newest gateway release (changes-2026-12.md §1.1, §1.2): their
# scenarios run against the release the older references describe; every other one against the newest.
SEED_ERA_PROVIDERS = {"openai": "pre-2026-03", "avalanche": "pre-2026-03"}
SEED_ERA_SCENARIOS = {"vertex-500-then-fallback"}  # falls back to Avalanche

FOLDER = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(FOLDER.glob("*.yaml"))
STEP = 5  # seconds between samples: the worker's poll interval
# A create body per provider: a model pinned to it (no fallback) and a duration it accepts.
BODIES: dict[str | None, dict[str, Any]] = {
    None: {"model": "google-vertex/veo-3.1-generate-preview", "seconds": 4},
    "google-vertex": {"model": "google-vertex/veo-3.1-generate-preview", "seconds": 4},
    "openai": {"model": "openai/sora-2", "seconds": 4},
    "bytedance": {"model": "bytedance/seedance-2-0", "seconds": 5},
    "atlascloud": {"model": "atlascloud/kling-v3-0", "seconds": 5, "size": "1280x720"},
    "minimax": {"model": "minimax/minimax-hailuo-2-3", "seconds": 6},
    "alibaba": {"model": "alibaba/wan-2-5", "seconds": 5},
}
NOT_AVAILABLE = "Video content is not available"
UPSTREAM_FAILED = "Failed to fetch video content from upstream provider"


@dataclass
class Run:
    """One scenario against one in-process vidmock."""

    client: httpx.AsyncClient
    runtime: Any
    scenario: Scenario
    seen: list[tuple[int, str]] = field(default_factory=list)  # (virtual second, status) on change
    samples: list[dict[str, Any]] = field(default_factory=list)  # every sampled video object

    @property
    def headers(self) -> dict[str, str]:
        return {**AUTH, "X-Vidmock-Scenario": self.scenario.name}

    @property
    def provider(self) -> str:
        return self.scenario.provider or "google-vertex"

    def elapsed(self, since: float) -> int:
        return round(self.runtime.clock.now() - since)

    async def post(self, **body: Any) -> httpx.Response:
        payload = {**BODIES[self.scenario.provider], "prompt": "a red fox in the snow", **body}
        return await self.client.post("/v1/videos", json=payload, headers=self.headers)

    async def create(self, **body: Any) -> dict[str, Any]:
        r = await self.post(**body)
        assert r.status_code == 200, r.text
        video: dict[str, Any] = r.json()
        self.seen = [(0, video["status"])]
        return video

    async def get(self, vid: str) -> dict[str, Any]:
        r = await self.client.get(f"/v1/videos/{vid}", headers=AUTH)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    async def watch(self, vid: str, limit: int = 4000) -> dict[str, Any]:
        """Sample every 5 s until the job is terminal; the statuses go to ``seen``."""
        start = self.runtime.clock.now() - self.seen[-1][0]
        video = await self.get(vid)
        while video["status"] in ("queued", "in_progress") and self.elapsed(start) < limit:
            await self.runtime.advance(STEP)
            video = await self.get(vid)
            self.samples.append(video)
            if video["status"] != self.seen[-1][1]:
                self.seen.append((self.elapsed(start), video["status"]))
        return video

    def job(self, vid: str) -> dict[str, Any]:
        return self.runtime.store.get("gateway.job", vid)  # type: ignore[no-any-return]

    def calls(self, path_part: str = "") -> list[Any]:
        return [e for e in self.runtime.journal.for_service(self.provider) if path_part in e.path]

    async def content(self, vid: str, **headers: str) -> httpx.Response:
        return await self.client.get(f"/v1/videos/{vid}/content", headers={**AUTH, **headers})


Check = Callable[[Run], Awaitable[None]]
EXPECTATIONS: dict[str, Check] = {}


def expect(name: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        assert name not in EXPECTATIONS, name
        EXPECTATIONS[name] = check
        return check

    return register


def first_sample(at: float) -> int:
    """The virtual second the gateway first shows an upstream change made ``at`` s after submit."""
    return 0 if at <= 0 else STEP * math.ceil(at / STEP)


def error_of(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    return r.json()["error"]["message"]  # type: ignore[no-any-return]


# -- the catalogue ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
async def test_scenario(path: Path, make_app: Callable[..., Any]) -> None:
    scenario = load_file(path)
    provider = scenario.provider or "google-vertex"
    assert provider in PLUGINS, f"scenario for unknown provider {provider!r}"
    if provider not in BODIES and not _routed(provider):
        # google-ai-studio: the gateway has no route there (gateway.md §8); its scenarios run against
        # the emulator directly in tests/test_provider_gemini.py.
        pytest.skip(f"no model in the gateway catalogue routes to {provider!r}")
    check = EXPECTATIONS.get(scenario.name)
    if check is None:
        pytest.fail(f"scenario {scenario.name!r} has no expectation: add one to tests/test_scenario_catalogue.py")
    release = "pre-2026-03" if scenario.name in SEED_ERA_SCENARIOS else SEED_ERA_PROVIDERS.get(provider)
    app = make_app(server_config(gateway_release=release))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as c:
        await check(Run(c, app.state.vidmock, scenario))


def _routed(provider: str) -> bool:
    """A create body for a model the gateway routes to ``provider``, added to BODIES; False if none."""
    for model in default_catalogue(SEED_ERA_PROVIDERS.get(provider)).models():
        for mapping in model.mappings:
            if mapping.provider == provider:
                BODIES[provider] = {
                    "model": f"{provider}/{model.id}",
                    "seconds": mapping.durations[0],
                    **({"size": mapping.sizes[0]} if mapping.sizes else {}),
                }
                return True
    return False


def test_every_expectation_has_a_file() -> None:
    assert sorted(set(EXPECTATIONS) - {p.stem for p in FILES}) == []


def test_validate_passes_on_the_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "--dir", str(FOLDER), "validate"]) == 0
    assert capsys.readouterr().out == f"{len(FILES)} scenario file(s) valid\n"
    for path in FILES:  # each says what it reproduces and where that is documented
        text = load_file(path).reproduces
        assert "§" in text, f"{path.name}: `reproduces` should cite a section of providers.md or gateway.md"


# -- the same seed, the same run -----------------------------------------------------------------


async def _seeded_run(make_app: Callable[..., Any], seed: str) -> tuple[str, str, bytes]:
    app = make_app(server_config(gateway_release="pre-2026-03"))  # a Sora job
    runtime = app.state.vidmock
    headers = {**AUTH, "X-Vidmock-Scenario": "sora-lognormal-latency", "X-Vidmock-Seed": seed}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as c:
        r = await c.post("/v1/videos", json={"model": "openai/sora-2", "prompt": "fox", "seconds": 4}, headers=headers)
        vid = r.json()["id"]
        for _ in range(200):
            await runtime.advance(STEP)
            if (await c.get(f"/v1/videos/{vid}", headers=AUTH)).json()["status"] == "completed":
                break
        data = (await c.get(f"/v1/videos/{vid}/content", headers=AUTH)).content
    job = json.dumps(runtime.store.get("gateway.job", vid), sort_keys=True)
    calls = json.dumps([e.as_dict() for e in runtime.journal.for_service("openai")], sort_keys=True, default=str)
    return job, calls, data


async def test_same_seed_same_run_byte_for_byte(make_app: Callable[..., Any]) -> None:
    first = await _seeded_run(make_app, "1234")
    second = await _seeded_run(make_app, "1234")
    assert first == second
    assert '"status": "completed"' in first[0] and first[2][4:8] == b"ftyp"
    other = await _seeded_run(make_app, "99")
    assert json.loads(other[0])["completed_at"] != json.loads(first[0])["completed_at"]


# -- expectations: the gateway's own ------------------------------------------------------------


@expect("five-poll-errors")
async def _five_poll_errors(run: Run) -> None:
    video = await run.watch((await run.create())["id"])
    assert run.seen == [(0, "queued"), (155, "failed")]  # polls at 5, 15, 35, 75, 155
    assert video["error"]["code"] == "poll_error"
    assert video["error"]["message"].startswith(
        # changes-2026-12.md §2.2: the status code and the body as JSON (the newest release).
        "Video generation failed after 5 consecutive polling errors: Upstream status request failed with status 500: "
        '{"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}'
    )
    assert [e.status for e in run.calls(":fetchPredictOperation")] == [500] * 5


@expect("slow-poll-timeouts")
async def _slow_poll_timeouts(run: Run) -> None:
    vid = (await run.create())["id"]
    await run.runtime.advance(20)  # polls at 5 and 15 timed out; the next is due at 15 + 20
    job = run.job(vid)
    assert job["status"] == "queued" and job["upstream_response"]["llmgateway_poll_error_count"] == 2
    assert job["upstream_response"]["llmgateway_last_poll_error"] == (
        "The operation was aborted due to timeout (a scripted 45 s delay; the timeout is 30 s)"
    )
    run.seen = [(20, "queued")]  # watch() counts from creation: 20 s ago
    video = await run.watch(vid)
    latency = run.runtime.config.latency.get("veo-3.1-generate-001", 90)
    assert run.seen == [(20, "queued"), (35, "in_progress"), (first_sample(latency), "completed")]
    assert video["error"] is None and run.job(vid)["upstream_response"]["llmgateway_poll_error_count"] == 0
    polls = run.calls(":fetchPredictOperation")
    assert [round(e.at - polls[0].at) for e in polls[:4]] == [0, 10, 30, 35]


# -- expectations: Vertex -------------------------------------------------------------------------


async def _veo_blocked(run: Run, done_at: int, reasons: list[str]) -> None:
    vid = (await run.create())["id"]
    video = await run.watch(vid)
    assert run.seen == [(0, "queued"), (5, "in_progress"), (done_at, "completed")]
    assert "content" not in video and video["error"] is None
    assert error_of(await run.content(vid), 404) == NOT_AVAILABLE
    response = run.job(vid)["upstream_response"]["status"]["response"]
    assert response["raiMediaFilteredCount"] == 1 and response.get("videos", []) == []
    assert response["raiMediaFilteredReasons"] == reasons


def _sentence(code: str) -> list[str]:
    return [
        "Veo could not generate 1 videos based on the prompt provided. You will not be charged for this request. "
        f"Try rephrasing the prompt. Support codes: {code}"
    ]


@expect("veo-safety-block")
async def _veo_safety_block(run: Run) -> None:
    await _veo_blocked(run, 75, _sentence("58061214"))


@expect("veo-rai-celebrity")
async def _veo_rai_celebrity(run: Run) -> None:
    await _veo_blocked(run, 60, _sentence("29310472"))


@expect("veo-rai-violence")
async def _veo_rai_violence(run: Run) -> None:
    await _veo_blocked(run, 60, _sentence("61493863"))


@expect("veo-rai-sexual")
async def _veo_rai_sexual(run: Run) -> None:
    await _veo_blocked(run, 60, _sentence("90789179"))


@expect("veo-rai-third-party")
async def _veo_rai_third_party(run: Run) -> None:
    await _veo_blocked(run, 60, _sentence("35561574"))


@expect("veo-rai-bare-codes")
async def _veo_rai_bare_codes(run: Run) -> None:
    await _veo_blocked(run, 45, ["58061214", "17301594"])


@expect("vertex-submit-503-twice")
async def _vertex_submit_503_twice(run: Run) -> None:
    for _ in range(2):
        assert error_of(await run.post(), 503) == "The service is currently unavailable."
    video = await run.create()
    assert [e.status for e in run.calls(":predictLongRunning")] == [503, 503, 200]
    assert (await run.watch(video["id"]))["status"] == "completed"


@expect("vertex-submit-429-quota")
async def _vertex_submit_429_quota(run: Run) -> None:
    for _ in range(3):
        message = error_of(await run.post(), 429)
        assert message.startswith(
            "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model"
        )
    assert [e.response["error"]["status"] for e in run.calls(":predictLongRunning")] == ["RESOURCE_EXHAUSTED"] * 3
    video = await run.create()
    assert (await run.watch(video["id"]))["status"] == "completed"
    assert run.runtime.store.count("gateway.job") == 1  # the refused creates left no job


# -- expectations: OpenAI Sora --------------------------------------------------------------------


@expect("sora-moderation-blocked")
async def _sora_moderation_blocked(run: Run) -> None:
    vid = (await run.create())["id"]
    video = await run.watch(vid)
    assert run.seen == [(0, "queued"), (10, "failed")]
    error = {"code": "moderation_blocked", "message": "Your request was blocked by our moderation system."}
    assert video["error"] == {**error, "details": error}
    assert video["usage"]["cost"] == 0


@expect("sora-content-filter")
async def _sora_content_filter(run: Run) -> None:
    video = await run.watch((await run.create())["id"])
    assert run.seen == [(0, "queued"), (10, "in_progress"), (90, "failed")]
    assert video["error"]["code"] == "content_filter" and video["progress"] == 100
    progress = [s["progress"] for s in run.samples if s["status"] == "in_progress"]
    assert progress == sorted(progress) and 0 < progress[-1] < 100


@expect("sora-stuck-in-progress")
async def _sora_stuck_in_progress(run: Run) -> None:
    video = await run.watch((await run.create())["id"])
    assert run.seen == [(0, "queued"), (10, "in_progress"), (3600, "failed")]
    assert max(s["progress"] for s in run.samples if s["status"] == "in_progress") == 35
    assert video["error"] == {
        "code": "timeout",
        "message": "Video generation timed out after 3600 seconds without reaching a terminal state",
        "details": {"reason": "video_job_timeout", "timeout_seconds": 3600, "last_upstream_status": "in_progress"},
    }


@expect("sora-internal-error")
async def _sora_internal_error(run: Run) -> None:
    video = await run.watch((await run.create())["id"])
    assert run.seen == [(0, "queued"), (15, "in_progress"), (130, "failed")]
    error = {
        "code": "internal_error",
        "message": "The server had an error while processing your request. Sorry about that!",
    }
    assert video["error"] == {**error, "details": error}


@expect("sora-expired-status")
async def _sora_expired_status(run: Run) -> None:
    vid = (await run.create())["id"]
    video = await run.watch(vid)
    assert run.seen == [(0, "queued"), (10, "in_progress"), (120, "expired")]
    assert video["error"] is None and video["completed_at"] - video["created_at"] == 120
    assert run.job(vid)["upstream_status"] == "expired"
    assert error_of(await run.content(vid), 409) == "Video is not ready yet. Current status: expired"


@expect("sora-lognormal-latency")
async def _sora_lognormal_latency(run: Run) -> None:
    # Through the gateway the job's seed (X-Vidmock-Seed) is the plan's seed, so the draws are known.
    r = await run.client.post(
        "/v1/videos", json={**BODIES["openai"], "prompt": "fox"}, headers={**run.headers, "X-Vidmock-Seed": "7"}
    )
    vid = r.json()["id"]
    run.seen = [(0, r.json()["status"])]
    (_, _, _), (started, _, _), (done, _, _) = resolve(run.scenario, 7, 0.0).steps
    assert 0 <= started <= 30 and done > started
    await run.watch(vid)
    expected = [(0, "queued")]
    if first_sample(started) < first_sample(done):  # else in_progress falls between two samples
        expected.append((first_sample(started), "in_progress"))
    assert run.seen == [*expected, (first_sample(done), "completed")]
    plan = run.runtime.store.get("openai.video", run.job(vid)["upstream_id"])["plan"]
    assert (plan["scenario"], plan["seed"]) == ("sora-lognormal-latency", 7)


@expect("sora-submit-429-burst")
async def _sora_submit_429_burst(run: Run) -> None:
    # The first 429 straight from the emulator, to see its headers; the second through the gateway.
    direct = await run.client.post(
        "/providers/openai/v1/videos",
        json={"prompt": "x"},
        headers={"Authorization": "Bearer k", "X-Vidmock-Scenario": run.scenario.name},
    )
    assert direct.status_code == 429 and direct.headers["retry-after"] == "20"
    assert direct.json()["error"]["code"] == "rate_limit_exceeded" and direct.json()["error"]["type"] == "requests"
    message = error_of(await run.post(), 429)
    assert message == direct.json()["error"]["message"]
    video = await run.create()
    assert (await run.watch(video["id"]))["status"] == "completed"
    assert [e.status for e in run.calls() if e.method == "POST"] == [429, 429, 200]


@expect("sora-poll-429-burst")
async def _sora_poll_429_burst(run: Run) -> None:
    vid = (await run.create())["id"]
    video = await run.watch(vid)
    # 429 at 5, 15 and 35 (backoff 10, 20, 40 s); the poll at 75 sees the job done at 56.25 s.
    assert run.seen == [(0, "queued"), (75, "completed")]
    polls = [e for e in run.calls() if e.method == "GET" and not e.path.endswith("/content")]
    assert [e.status for e in polls] == [429, 429, 429, 200]
    assert [round(e.at - polls[0].at) for e in polls] == [0, 10, 30, 70]
    assert run.job(vid)["upstream_response"]["llmgateway_poll_error_count"] == 0
    assert video["error"] is None


@expect("sora-poll-connection-reset")
async def _sora_poll_connection_reset(run: Run) -> None:
    vid = (await run.create())["id"]
    await run.runtime.advance(15)
    job = run.job(vid)
    assert job["status"] == "queued" and job["upstream_response"]["llmgateway_poll_error_count"] == 2
    assert "connection reset" in job["upstream_response"]["llmgateway_last_poll_error"]
    run.seen = [(15, "queued")]
    video = await run.watch(vid)
    assert run.seen == [(15, "queued"), (35, "in_progress"), (60, "completed")]
    assert video["error"] is None


@expect("sora-truncated-content")
async def _sora_truncated_content(run: Run) -> None:
    vid = (await run.create())["id"]
    await run.watch(vid)
    assert run.seen == [(0, "queued"), (10, "in_progress"), (60, "completed")]
    assert error_of(await run.content(vid), 502) == UPSTREAM_FAILED
    again = await run.content(vid)
    assert again.status_code == 200 and again.content[4:8] == b"ftyp" and len(again.content) > 4096
    downloads = [e for e in run.calls("/content") if e.headers.get("accept") != "application/json"]
    assert len(downloads) == 2


# -- expectations: ByteDance Seedance --------------------------------------------------------------


@expect("seedance-output-moderation")
async def _seedance_output_moderation(run: Run) -> None:
    video = await run.watch((await run.create())["id"])
    assert run.seen == [(0, "queued"), (5, "in_progress"), (155, "failed")]
    error = {
        "code": "OutputVideoSensitiveContentDetected",
        "message": "The request failed because the output video may contain sensitive information.",
    }
    assert video["error"] == {**error, "details": error}


@expect("seedance-input-moderation")
async def _seedance_input_moderation(run: Run) -> None:
    message = error_of(await run.post(), 400)
    text, _, request_id = message.partition(" Request id: ")
    assert text == "The request failed because the input text may contain sensitive information."
    assert request_id.startswith("0217")
    refused = run.calls()[0]
    assert refused.status == 400 and refused.response["error"]["code"] == "InputTextSensitiveContentDetected"
    assert run.runtime.store.count("gateway.job") == 0 and run.runtime.store.count("bytedance.task") == 0
    assert [e.service for e in run.runtime.journal.entries].count("bytedance") == 1  # a 400 is not retried
    await run.create()  # the sequence is consumed: the next create is accepted


@expect("seedance-flex-expired")
async def _seedance_flex_expired(run: Run) -> None:
    vid = (await run.create())["id"]
    video = await run.watch(vid)
    assert run.seen == [(0, "queued"), (3300, "expired")]
    assert video["error"] is None and video["usage"]["cost"] == 0
    assert run.job(vid)["upstream_status"] == "expired"


@expect("seedance-queue-past-timeout")
async def _seedance_queue_past_timeout(run: Run) -> None:
    video = await run.watch((await run.create())["id"])
    assert run.seen == [(0, "queued"), (3600, "failed")]
    assert video["error"]["code"] == "timeout"
    assert video["error"]["details"]["last_upstream_status"] == "queued"


@expect("seedance-content-url-expired")
async def _seedance_content_url_expired(run: Run) -> None:
    vid = (await run.create())["id"]
    await run.watch(vid)
    assert run.seen == [(0, "queued"), (5, "in_progress"), (155, "completed")]
    assert (await run.content(vid, Range="bytes=0-7")).status_code == 206
    await run.runtime.advance(595)  # 750 s after submit: the URL still has 5 s to live
    assert (await run.content(vid, Range="bytes=0-7")).status_code == 206
    await run.runtime.advance(5)
    assert error_of(await run.content(vid), 502) == UPSTREAM_FAILED
    assert [e.status for e in run.calls("/files/")] == [206, 206, 403]
    assert run.calls("/files/")[-1].response == {"Code": "AccessDenied", "Message": "Request has expired."}


@expect("seedance-slow-content-ranges")
async def _seedance_slow_content_ranges(run: Run) -> None:
    vid = (await run.create())["id"]
    await run.watch(vid)
    assert run.seen == [(0, "queued"), (5, "in_progress"), (155, "completed")]
    before = run.runtime.clock.now()
    head = await run.content(vid, Range="bytes=0-99")
    assert head.status_code == 206 and head.content[4:8] == b"ftyp"
    size = int(head.headers["content-range"].rsplit("/", 1)[1])
    assert head.headers["content-range"] == f"bytes 0-99/{size}"
    tail = await run.content(vid, Range="bytes=-100")
    assert tail.status_code == 206 and tail.headers["content-range"] == f"bytes {size - 100}-{size - 1}/{size}"
    full = await run.content(vid)
    assert full.status_code == 200 and full.content[:100] == head.content and full.content[-100:] == tail.content
    assert run.runtime.clock.now() == before  # the virtual clock does not move inside a request
    files = run.calls("/files/")
    assert [(e.headers.get("range"), e.status) for e in files] == [
        ("bytes=0-99", 206),
        ("bytes=-100", 206),
        (None, 200),
    ]


@expect("seedance-poll-malformed-json")
async def _seedance_poll_malformed_json(run: Run) -> None:
    vid = (await run.create())["id"]
    await run.runtime.advance(35)
    upstream = run.job(vid)["upstream_response"]
    assert upstream["llmgateway_poll_error_count"] == 3
    assert upstream["llmgateway_last_poll_error"].startswith("Upstream status response was not valid JSON")
    run.seen = [(35, "queued")]
    video = await run.watch(vid)
    assert run.seen == [(35, "queued"), (75, "in_progress"), (155, "completed")]  # the 4th poll is at 75
    assert video["error"] is None


@expect("seedance-poll-429-burst")
async def _seedance_poll_429_burst(run: Run) -> None:
    vid = (await run.create())["id"]
    video = await run.watch(vid)
    assert run.seen == [(0, "queued"), (155, "completed")]  # 429 at 5, 15, 35, 75; next poll at 155
    polls = list(run.calls("/tasks/"))
    assert [e.status for e in polls] == [429] * 4 + [200]
    assert {e.response["error"]["code"] for e in polls[:4]} == {"RateLimitExceeded.EndpointRPMExceeded"}
    assert video["error"] is None and run.job(vid)["poll_error_count"] == 0


@expect("seedance-submit-hang")
async def _seedance_submit_hang(run: Run) -> None:
    before = run.runtime.clock.now()
    message = error_of(await run.post(), 500)
    assert message.startswith("Upstream request failed: ")
    assert run.runtime.store.count("gateway.job") == 0
    assert run.runtime.clock.now() == before  # in-process, the timeout is immediate in virtual time
    video = await run.create()
    assert (await run.watch(video["id"]))["status"] == "completed"


# -- expectations: scenarios written for providers being added now ---------------------------------


@expect("kling-long-queue")
async def _kling_long_queue(run: Run) -> None:
    video = await run.watch((await run.create())["id"])
    assert run.seen == [(0, "queued"), (1200, "in_progress"), (1350, "completed")]
    assert video["error"] is None


@expect("minimax-fail-late")
async def _minimax_fail_late(run: Run) -> None:
    video = await run.watch((await run.create())["id"])
    # The gateway reads every MiniMax status but Success and Fail as in_progress (gateway.md §5.3).
    assert run.seen == [(0, "queued"), (5, "in_progress"), (200, "failed")]
    assert video["error"]["message"] == "generated video contains sensitive content"


@expect("minimax-base-resp-error")
async def _minimax_base_resp_error(run: Run) -> None:
    assert error_of(await run.post(), 502) == "MiniMax video API error: rate limit, please retry later (code 1002)"
    video = await run.create()
    assert (await run.watch(video["id"]))["status"] == "completed"


@expect("dashscope-task-failed")
async def _dashscope_task_failed(run: Run) -> None:
    video = await run.watch((await run.create())["id"])
    assert run.seen == [(0, "queued"), (10, "in_progress"), (95, "failed")]
    assert video["error"]["code"] == "DataInspectionFailed"
    assert video["error"]["message"] == "Output data may contain inappropriate content."


@expect("gemini-audio-filter-flaky")
async def _gemini_audio_filter_flaky(run: Run) -> None:
    vid = (await run.create())["id"]
    video = await run.watch(vid)
    assert run.seen == [(0, "queued"), (5, "in_progress"), (70, "completed")]
    assert "content" not in video and video["error"] is None
    assert error_of(await run.content(vid), 404) == NOT_AVAILABLE


@expect("vertex-500-then-fallback")
async def _vertex_500_then_fallback(run: Run) -> None:
    # Unpinned, and a clip both providers accept (avalanche renders fixed 8 s clips): the gateway may fall back.
    r = await run.post(model="veo-3.1-generate-preview", seconds=8, size="1920x1080")
    assert r.status_code == 200, r.text
    job = run.job(r.json()["id"])
    assert job["provider"] == "avalanche"
    assert [(a["provider"], a["status_code"], a["error_type"]) for a in job["routing"]] == [
        ("google-vertex", 500, "upstream_error"),
        ("avalanche", 200, None),
    ]
