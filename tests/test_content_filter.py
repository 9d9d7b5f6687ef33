"""The gateway content filter (changes-2026-12.md §5) and the OpenAI moderations endpoint it calls."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH, KEY
from conftest import test_config as server_config
from test_socket import _serve

from vidmock.config import ConfigError, Project
from vidmock.gateway.application.moderation import BLOCK_MESSAGE, FilterSettings, make_plan
from vidmock.server import build_runtime

pytestmark = pytest.mark.anyio

PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBP01NawAAAABJRU5ErkJggg=="
)
ON = {"providers": ["google-vertex"], "enforce": True}  # the filter on for Vertex, enforced


def image(marker: bytes = b"") -> str:
    """A PNG data URL; a marker after the image's end scripts the moderation score of that image."""
    return "data:image/png;base64," + base64.b64encode(PNG_BYTES + marker).decode()


def config(release: str | None = None, **content_filter: Any) -> Any:
    project = Project(id="proj_x", keys=(KEY,), content_filter=content_filter)
    return server_config(gateway_release=release, projects=(project,))


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001")


async def create(app: Any, **body: Any) -> httpx.Response:
    async with client_for(app) as c:
        return await c.post(
            "/v1/videos",
            json={"prompt": "a fox", "seconds": 8, **body},
            headers={**AUTH, "x-request-id": "req-filter-1"},
        )


def moderation_calls(app: Any) -> list[Any]:
    return [e for e in app.state.vidmock.journal.for_service("openai") if e.path.endswith("/v1/moderations")]


def job_record(app: Any, video_id: str) -> dict[str, Any]:
    doc = app.state.vidmock.store.get("gateway.job", video_id)
    return dict(doc["upstream_response"]["llmgateway_content_filter_evaluation"])


# -- when it runs ----------------------------------------------------------------------------------


async def test_off_by_default_no_call_no_record(make_app: Callable[..., Any]) -> None:
    app = make_app()
    r = await create(app, prompt="[moderation:violence=0.99] a fox")
    assert r.status_code == 200, r.text
    assert moderation_calls(app) == []
    assert (
        "llmgateway_content_filter_evaluation"
        not in app.state.vidmock.store.get("gateway.job", r.json()["id"])["upstream_response"]
    )


@pytest.mark.parametrize(
    "settings",
    [
        {**ON, "enabled": False},
        {**ON, "providers": ["bytedance"]},  # not the provider routed to
        {**ON, "sample_rate_percent": 0},
        {**ON, "compliance_excludes_openai": True},
    ],
)
async def test_no_plan_no_call(make_app: Callable[..., Any], settings: dict[str, Any]) -> None:
    app = make_app(config(**settings))
    assert (await create(app, prompt="[moderation:violence=0.99] a fox")).status_code == 200
    assert moderation_calls(app) == []


# -- enforced ----------------------------------------------------------------------------------------


async def test_enforced_violation_is_the_403_with_no_job_and_no_upstream_call(make_app: Callable[..., Any]) -> None:
    app = make_app(config(**ON))
    r = await create(app, prompt="[moderation:violence=0.6] a fox")
    assert r.status_code == 403
    assert r.json() == {
        "error": {"message": BLOCK_MESSAGE, "type": "invalid_request_error", "param": None, "code": "permission_denied"}
    }
    runtime = app.state.vidmock
    assert runtime.store.all("gateway.job") == []
    assert runtime.journal.for_service("google-vertex") == []
    (call,) = moderation_calls(app)
    assert call.method == "POST"
    assert call.headers["x-client-request-id"] == "req-filter-1"
    assert call.headers["authorization"].startswith("Bear")  # the journal masks the key
    assert call.body == {"model": "omni-moderation-latest", "input": "user: [moderation:violence=0.6] a fox"}


async def test_prompt_and_each_image_in_order_two_calls_for_one_image(make_app: Callable[..., Any]) -> None:
    """N2: a prompt with one image makes 2 calls; frames then references would follow in order."""
    app = make_app(config(**ON))
    first, last = image(b"first"), image(b"last")
    r = await create(app, image=first, last_frame=last)
    assert r.status_code == 200, r.text
    calls = moderation_calls(app)
    bodies = sorted((c.body["input"] for c in calls), key=lambda v: 0 if isinstance(v, str) else 1)
    assert bodies[0] == "user: a fox"
    assert sorted(b[0]["image_url"]["url"] for b in bodies[1:]) == sorted([first, last])
    record = job_record(app, r.json()["id"])
    assert record["action"] == "passed" and record["enforced"] is True and record["violation"] is False
    assert record["sampled"] is True and record["provider"] == "google-vertex" and record["classifier"] == "openai"


async def test_an_image_can_carry_the_violation(make_app: Callable[..., Any]) -> None:
    app = make_app(config(**ON))
    r = await create(app, image=image(b"[moderation:sexual=0.93]"))
    assert r.status_code == 403 and r.json()["error"]["message"] == BLOCK_MESSAGE
    assert len(moderation_calls(app)) == 2


@pytest.mark.parametrize(
    ("settings", "prompt", "status", "level"),
    [
        (ON, "[moderation:violence=0.51]", 403, "strict"),  # strictly above 0.5
        (ON, "[moderation:violence=0.49]", 200, "strict"),
        (ON, "[moderation:violence=0.5]", 403, "strict"),  # not above 0.5, but OpenAI flags it: strict blocks
        ({**ON, "tier_override": 3}, "[moderation:violence=0.9]", 200, "lenient"),  # not above 0.9
        ({**ON, "tier_override": 3}, "[moderation:violence=0.91]", 403, "lenient"),
        ({**ON, "tier_override": 3}, "[moderation:violence=0.6]", 200, "lenient"),
        ({**ON, "tier_override": 9}, "[moderation:violence=0.95]", 403, "lenient"),  # clamped to 4
        ({**ON, "trust_tier": 4}, "[moderation:hate=0.91]", 403, "lenient"),
        (ON, "[moderation:flagged]", 403, "strict"),  # strict: a flag alone is a violation
        ({**ON, "tier_override": 3}, "[moderation:flagged]", 200, "lenient"),
        ({**ON, "strict_threshold": 0.95, "lenient_threshold": 0.9}, "[moderation:violence=0.6]", 403, "strict"),
    ],
)
async def test_thresholds(
    make_app: Callable[..., Any], settings: dict[str, Any], prompt: str, status: int, level: str
) -> None:
    app = make_app(config(**settings))
    r = await create(app, prompt=f"{prompt} a fox")
    assert r.status_code == status, r.text
    if status == 200:
        record = job_record(app, r.json()["id"])
        assert record["level"] == level and record["action"] == "passed"


async def test_credit_gate_comes_after_the_filter(make_app: Callable[..., Any]) -> None:
    project = Project(id="proj_x", keys=(KEY,), credits=0.0, content_filter=ON)
    app = make_app(server_config(projects=(project,)))
    assert (await create(app, prompt="[moderation:violence=0.9] x")).status_code == 403
    assert (await create(app, prompt="x")).status_code == 402


# -- log-only ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"providers": ["google-vertex"]}, "global_log_only"),
        ({**ON, "enterprise": True}, "enterprise"),
        ({**ON, "log_only": True}, "org_log_only"),
    ],
)
async def test_log_only_violation_is_recorded_on_the_job(
    make_app: Callable[..., Any], settings: dict[str, Any], reason: str
) -> None:
    app = make_app(config(**settings))
    r = await create(app, prompt="[moderation:violence=0.97] a fox")
    assert r.status_code == 200, r.text
    # The create did not wait for the filter: a record that settled after the insert is merged by the worker.
    for _ in range(6):
        await app.state.vidmock.advance(5)
        if not app.state.vidmock.store.get("gateway.job", r.json()["id"])["content_filter_pending"]:
            break
    record = job_record(app, r.json()["id"])
    assert record["action"] == "logged" and record["violation"] is True and record["enforced"] is False
    assert record["exemptReason"] == reason
    assert record["matchedCategories"] == ["violence"] and record["categoryScores"]["violence"] == 0.97
    assert "llmgateway_content_filter_evaluation" not in r.text  # the client never sees it


async def test_enterprise_with_enforce_enterprise_is_blocked(make_app: Callable[..., Any]) -> None:
    app = make_app(config(**ON, enterprise=True, enforce_enterprise=True))
    assert (await create(app, prompt="[moderation:violence=0.97] a fox")).status_code == 403


# -- fail open ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["[moderation:status=500]", "[moderation:status=429]", "[moderation:delay=90]"])
async def test_moderation_failure_fails_open(make_app: Callable[..., Any], marker: str) -> None:
    app = make_app(config(**ON))
    r = await create(app, prompt=f"{marker} [moderation:violence=0.99] a fox")
    assert r.status_code == 200, r.text
    record = job_record(app, r.json()["id"])
    assert record["moderationFailed"] is True and record["violation"] is False and record["action"] == "passed"


async def test_one_failed_call_of_two_still_counts_the_other(make_app: Callable[..., Any]) -> None:
    app = make_app(config(**ON))
    r = await create(app, prompt="[moderation:status=503] a fox", image=image(b"[moderation:violence=0.8]"))
    assert r.status_code == 403


async def test_openai_disabled_means_no_credential_and_no_filter(make_app: Callable[..., Any]) -> None:
    app = make_app(config(**ON).with_(disabled_providers=("openai",)))
    assert (await create(app, prompt="[moderation:violence=0.99] a fox")).status_code == 200
    assert moderation_calls(app) == []


# -- settings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"enfroce": True}, "projects[proj_x].content_filter: unknown key 'enfroce'"),
        ({"enforce": "yes"}, "projects[proj_x].content_filter.enforce: expected true or false, got 'yes'"),
        ({"providers": "google-vertex"}, "projects[proj_x].content_filter.providers: expected a list"),
        ({"tier_override": "high"}, "projects[proj_x].content_filter.tier_override: expected an integer 0-4"),
    ],
)
def test_bad_settings_are_config_errors_naming_the_project_and_key(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_runtime(config(**settings))
    assert str(info.value).startswith(message)


def test_thresholds_out_of_range_fall_back_and_strict_above_lenient_resets() -> None:
    odd = FilterSettings(strict_threshold=1.5, lenient_threshold=-1).with_thresholds()
    assert (odd.strict_threshold, odd.lenient_threshold) == (0.5, 0.9)
    crossed = FilterSettings(strict_threshold=0.95, lenient_threshold=0.6).with_thresholds()
    assert (crossed.strict_threshold, crossed.lenient_threshold) == (0.5, 0.9)


def test_sampling_draw() -> None:
    settings = FilterSettings(providers=("xai",), sample_rate_percent=50)
    assert make_plan(settings, "xai", 0.49) is not None and make_plan(settings, "xai", 0.5) is None


# -- the moderations endpoint ------------------------------------------------------------------------


async def test_moderations_endpoint_shape(make_app: Callable[..., Any]) -> None:
    app = make_app()
    async with client_for(app) as c:
        r = await c.post(
            "/providers/openai/v1/moderations",
            json={"model": "omni-moderation-latest", "input": "[moderation:violence=0.7] hello"},
            headers={"Authorization": "Bearer sk-test"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id"].startswith("modr-") and body["model"] == "omni-moderation-latest"
        (result,) = body["results"]
        assert result["flagged"] is True and result["categories"]["violence"] is True
        assert result["category_scores"]["violence"] == 0.7
        assert all(v < 0.01 for k, v in result["category_scores"].items() if k != "violence")
        assert result["category_applied_input_types"]["violence"] == ["text"]
        assert len(result["categories"]) == 13

        many = await c.post(
            "/providers/openai/v1/moderations", json={"input": ["a", "b"]}, headers={"Authorization": "Bearer k"}
        )
        assert len(many.json()["results"]) == 2 and many.json()["model"] == "omni-moderation-latest"
        picture = await c.post(
            "/providers/openai/v1/moderations",
            json={"input": [{"type": "image_url", "image_url": {"url": image()}}]},
            headers={"Authorization": "Bearer k"},
        )
        applied = picture.json()["results"][0]["category_applied_input_types"]
        assert applied["violence"] == ["image"] and applied["hate"] == []

        assert (await c.post("/providers/openai/v1/moderations", json={"input": "x"})).status_code == 401
        unknown = await c.post(
            "/providers/openai/v1/moderations", json={"model": "m", "input": "x"}, headers={"Authorization": "Bearer k"}
        )
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
        bad = await c.post("/providers/openai/v1/moderations", json={"input": 3}, headers={"Authorization": "Bearer k"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "input"


def test_the_block_over_a_real_socket(tmp_path: Path) -> None:
    settings = tmp_path / "vidmock.yaml"
    settings.write_text(
        "projects:\n  - id: proj_x\n    keys: [vm-dev-key]\n"
        "    content_filter: {providers: [google-vertex], enforce: true}\n"
    )
    for base in _serve(tmp_path, "--clock", "virtual", "--config", str(settings)):
        r = httpx.post(
            f"{base}/v1/videos",
            json={"prompt": "[moderation:violence=0.99] fox", "seconds": 4},
            headers={"Authorization": "Bearer vm-dev-key"},
            timeout=10,
        )
        assert r.status_code == 403 and r.json()["error"]["message"] == BLOCK_MESSAGE
