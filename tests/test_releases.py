"""Gateway releases (issue 14): the newest (``2026-12``, the default) against the one the older references
describe (``pre-2026-03``), row by row of changes-2026-12.md §1-§3, on the virtual clock."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH, KEY
from conftest import test_config as server_config

from vidmock.cli import main
from vidmock.config import ConfigError, Project
from vidmock.gateway.application.routes import RELEASE_HEADER
from vidmock.gateway.application.service import VERTEX_PROJECT_REQUIRED
from vidmock.gateway.domain.catalogue import UNSUPPORTED_MODEL_MESSAGE, Catalogue, default_catalogue
from vidmock.gateway.domain.catalogue_data import load_catalogue_file
from vidmock.gateway.domain.constraints import estimate_cost
from vidmock.gateway.domain.releases import POLL_ERROR_BODY_LIMIT, RELEASES, get_release
from vidmock.gateway.domain.request import CreateRequest
from vidmock.server import build_runtime

pytestmark = pytest.mark.anyio

NEWEST, OLD = "2026-12", "pre-2026-03"
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBP01NawAAAABJRU5ErkJggg=="
)
SORA_GONE = "Model {} has been deactivated and is no longer available"
VERTEX_STORAGE_NEW = (
    "Google Vertex video generation requires either GCS output storage or data retention to be enabled."
)
XAI_MODERATION = {"code": "imagine:content-moderated", "error": "Generated video rejected by content moderation."}


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001")


async def create(c: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await c.post("/v1/videos", json={"prompt": "a fox", "seconds": 4, **body}, headers=AUTH)


def error_of(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, r.text
    return str(r.json()["error"]["message"])


def project_config(release: str | None = None, **project: Any) -> Any:
    return server_config(gateway_release=release, projects=(Project(id="proj_x", keys=(KEY,), **project),))


# -- choosing a release ----------------------------------------------------------------------------


def test_the_newest_release_is_the_default() -> None:
    assert get_release().name == NEWEST == get_release(None).name
    assert set(RELEASES) == {NEWEST, OLD}


def test_an_unknown_release_is_a_config_error_naming_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(
        ConfigError, match=r"gateway_release: unknown release 'nope'; expected one of 2026-12, pre-2026-03"
    ):
        build_runtime(server_config(gateway_release="nope"))
    assert main(["serve", "--gateway-release", "nope"]) == 2
    assert "expected one of 2026-12, pre-2026-03" in capsys.readouterr().err


@pytest.mark.parametrize("start_time", [None, 1_600_000_000.0, 1_773_600_000.0])
async def test_newest_sora_is_410_and_avalanche_unsupported_whatever_the_virtual_start(
    make_app: Callable[..., Any], start_time: float | None
) -> None:
    """§1.1, §1.2: on the virtual clock too, even one starting before the 2026-03-24 deactivation."""
    async with client_for(make_app(server_config(start_time=start_time))) as c:
        for model in ("sora-2", "sora-2-pro", "openai/sora-2", "openai/sora-2-pro"):
            assert error_of(await create(c, model=model), 410) == SORA_GONE.format(model)
        for model in ("avalanche/veo-3.1-generate-preview", "avalanche/veo-3.1-fast-generate-preview"):
            assert error_of(await create(c, model=model, seconds=8, size="1920x1080"), 400) == UNSUPPORTED_MODEL_MESSAGE


async def test_the_older_release_keeps_sora_and_avalanche(make_app: Callable[..., Any]) -> None:
    async with client_for(make_app(server_config(gateway_release=OLD))) as c:
        sora = await create(c, model="sora-2")
        assert sora.status_code == 200 and sora.json()["model"] == "openai/sora-2", sora.text
        ava = await create(c, model="avalanche/veo-3.1-generate-preview", seconds=8, size="1920x1080")
        assert ava.status_code == 200 and ava.json()["model"] == "avalanche/veo-3.1-generate-preview", ava.text
        assert sora.headers[RELEASE_HEADER] == OLD


async def test_the_release_that_served_a_job_is_shown(make_app: Callable[..., Any]) -> None:
    """Not a field of the video object (the real one has none): a header, the job record, the inspector."""
    app = make_app()
    async with client_for(app) as c:
        r = await create(c)
        vid = r.json()["id"]
        assert (
            r.headers[RELEASE_HEADER] == NEWEST and RELEASE_HEADER not in r.json() and "gateway_release" not in r.json()
        )
        assert (await c.get(f"/v1/videos/{vid}", headers=AUTH)).headers[RELEASE_HEADER] == NEWEST
        assert (await c.get(f"/_vidmock/jobs/{vid}")).json()["gateway_release"] == NEWEST
        page = (await c.get(f"/_vidmock/ui/jobs/{vid}")).text
        assert "gateway release" in page and NEWEST in page


# -- §1 catalogue ----------------------------------------------------------------------------------


async def test_grok_imagine_video_1_5_exists_only_in_the_newest(make_app: Callable[..., Any]) -> None:
    """§1.3 (N2): 1280x720, 6 s and an image is 200."""
    body = {"model": "xai/grok-imagine-video-1-5", "size": "1280x720", "seconds": 6, "image": PNG}
    async with client_for(make_app()) as c:
        r = await create(c, **body)
        assert r.status_code == 200 and r.json()["model"] == "xai/grok-imagine-video-1-5", r.text
    async with client_for(make_app(server_config(gateway_release=OLD))) as c:
        assert error_of(await create(c, **body), 400) == UNSUPPORTED_MODEL_MESSAGE


@pytest.mark.parametrize(
    ("release", "model", "audio", "expected"),
    [
        (NEWEST, "veo-3.1-fast-generate-preview", False, 1.20),  # §1.4: 4 s at 4k silent, $0.30/s
        (OLD, "veo-3.1-fast-generate-preview", False, 1.40),  # the older table: the 4k audio rate
        (NEWEST, "veo-3.1-fast-generate-preview", True, 1.40),
        (NEWEST, "veo-3.1-generate-preview", False, 1.60),  # §1.5: 4k_video $0.40
    ],
)
def test_veo_4k_prices(release: str, model: str, audio: bool, expected: float) -> None:
    found = default_catalogue(release).get(model)
    assert found is not None
    vertex = next(m for m in found.mappings if m.provider == "google-vertex")
    assert vertex.external_id == ("veo-3.1-fast-generate-001" if "fast" in model else "veo-3.1-generate-001")
    req = CreateRequest(model=model, prompt="x", seconds=4, size="3840x2160", audio=audio)
    assert estimate_cost(vertex, req).total == pytest.approx(expected)


def test_newest_preview_silent_rates_and_fast_upstream_id() -> None:
    """§1.5, §1.6."""
    preview = default_catalogue().get("veo-3.1-generate-preview")
    fast = default_catalogue().get("veo-3.1-fast-generate-preview")
    assert preview is not None and fast is not None
    assert dict(preview.mappings[0].per_second_price) == {
        "default_audio": 0.4,
        "default_video": 0.2,
        "4k_audio": 0.6,
        "4k_video": 0.4,
    }
    assert fast.mappings[0].external_id == "veo-3.1-fast-generate-001"
    assert dict(fast.mappings[0].per_second_price) == {
        "default_audio": 0.15,
        "default_video": 0.1,
        "4k_audio": 0.35,
        "4k_video": 0.3,
    }
    assert [m.provider for m in preview.mappings] == ["google-vertex"]  # §1.2


async def test_veo_10s_with_an_image_is_still_accepted(make_app: Callable[..., Any]) -> None:
    """§1.8: image-to-video durations are declared [4, 6, 8] but not checked."""
    veo = default_catalogue().get("veo-3.1-generate-preview")
    assert veo is not None and veo.mappings[0].image_to_video_durations == (4, 6, 8)
    async with client_for(make_app()) as c:
        r = await create(c, seconds=10, image=PNG)
        assert r.status_code == 200, r.text


async def test_minimax_v2_polls_like_v1_and_bills_by_the_second(make_app: Callable[..., Any]) -> None:
    """§2.3 (N2): 1366x768, 7 s with frames completes with a content URL; videoOutputCost 0.56."""
    app = make_app()
    runtime = app.state.vidmock
    async with client_for(app) as c:
        r = await create(c, model="minimax-h3-max", size="1366x768", seconds=7, image=PNG, last_frame=PNG)
        assert r.status_code == 200, r.text
        vid = r.json()["id"]
        for _ in range(120):
            await runtime.advance(5)
            video = (await c.get(f"/v1/videos/{vid}", headers=AUTH)).json()
            if video["status"] == "completed":
                break
    assert video["status"] == "completed" and video["content"][0]["url"]
    assert video["usage"]["cost_details"]["video_output_cost"] == pytest.approx(0.56)


# -- §1.7 lifecycle on the server's clock ------------------------------------------------------------

DATED = """
release: dated
models:
  - id: veo-3.1-generate-preview
    family: google
    max_duration_seconds: 10
    mappings:
      - provider: google-vertex
        external_id: veo-3.1-generate-001
        sizes: [1280x720]
        durations: [4, 8]
        audio: true
        silent: true
        per_second_price: {default: 0.4}
        deprecated_at: 2026-03-15
        deactivated_at: 2026-03-16
"""


async def test_a_mapping_past_its_deactivated_at_on_the_server_clock_is_410(
    make_app: Callable[..., Any], tmp_path: Path
) -> None:
    path = tmp_path / "dated.yaml"
    path.write_text(DATED)
    catalogue = load_catalogue_file(path, release="dated")
    app = make_app(catalogue=catalogue)  # virtual clock at 2026-03-15 18:40 UTC
    async with client_for(app) as c:
        assert (await create(c)).status_code == 200
        await app.state.vidmock.advance(5 * 3600)  # 2026-03-15 23:40: still usable
        assert (await create(c)).status_code == 200
        await app.state.vidmock.advance(24 * 3600)  # past 2026-03-16 00:00
        message = "Model veo-3.1-generate-preview has been deactivated and is no longer available"
        assert error_of(await create(c), 410) == message
        assert error_of(await create(c, model="google-vertex/veo-3.1-generate-preview"), 410) == (
            "Model google-vertex/veo-3.1-generate-preview has been deactivated and is no longer available"
        )


def test_lifecycle_is_judged_no_earlier_than_the_release_date() -> None:
    sora = default_catalogue().get("sora-2")
    assert sora is not None and sora.mappings[0].deactivated_at == 1774310400.0  # 2026-03-24T00:00:00Z
    undated = Catalogue(default_catalogue().models())  # the same records without the release's date
    assert undated.resolve("sora-2", 1_773_600_000).model.id == "sora-2"  # before the date: usable
    with pytest.raises(Exception, match="deactivated"):
        default_catalogue().resolve("sora-2", 1_773_600_000)


# -- §2 worker -------------------------------------------------------------------------------------

XAI_SCENARIO = """
name: xai-poll-moderation
description: xAI answers status polls with its content-moderation 400.
reproduces: changes-2026-12.md §2.1
provider: xai
faults:
  poll:
"""


def xai_config(tmp_path: Path, release: str | None) -> Any:
    entry = '    - {status: 400, body: {code: "imagine:content-moderated", error: "Generated video rejected by content moderation."}}\n'
    (tmp_path / "xai-poll-moderation.yaml").write_text(XAI_SCENARIO + entry * 5)
    return server_config(gateway_release=release, scenarios_dir=str(tmp_path))


async def xai_job(c: httpx.AsyncClient) -> str:
    r = await c.post(
        "/v1/videos",
        json={"model": "grok-imagine-video-1-5-preview", "prompt": "fox", "seconds": 6, "size": "1280x720"},
        headers={**AUTH, "X-Vidmock-Scenario": "xai-poll-moderation"},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["id"])


async def test_newest_xai_poll_moderation_fails_at_once_as_a_content_filter(
    make_app: Callable[..., Any], tmp_path: Path
) -> None:
    app = make_app(xai_config(tmp_path, None))
    runtime = app.state.vidmock
    async with client_for(app) as c:
        vid = await xai_job(c)
        await runtime.advance(5)  # the first poll
        video = (await c.get(f"/v1/videos/{vid}", headers=AUTH)).json()
    assert video["status"] == "failed"
    assert video["error"] == {"code": "imagine:content-moderated", "message": XAI_MODERATION["error"]}
    job = runtime.store.get("gateway.job", vid)
    assert job["finish_reason"] == "content_filter" and job["poll_error_count"] == 0
    polls = [e for e in runtime.journal.for_service("xai") if e.method == "GET"]
    assert len(polls) == 1


async def test_older_xai_poll_moderation_is_a_poll_error(make_app: Callable[..., Any], tmp_path: Path) -> None:
    app = make_app(xai_config(tmp_path, OLD))
    runtime = app.state.vidmock
    async with client_for(app) as c:
        vid = await xai_job(c)
        await runtime.advance(5)
        video = (await c.get(f"/v1/videos/{vid}", headers=AUTH)).json()
        assert video["status"] == "queued" and video["error"] is None
        job = runtime.store.get("gateway.job", vid)
        # Older workers: body.error.message when a string, else the status line (here body.error is a string).
        last = "Upstream status request failed with status 400"
        assert job["upstream_response"]["llmgateway_last_poll_error"] == last
        await runtime.advance(150)  # polls at 5, 15, 35, 75, 155
        video = (await c.get(f"/v1/videos/{vid}", headers=AUTH)).json()
    assert video["status"] == "failed" and video["error"]["code"] == "poll_error"
    assert video["error"]["message"] == f"Video generation failed after 5 consecutive polling errors: {last}"
    assert runtime.store.get("gateway.job", vid)["finish_reason"] == "upstream_error"


async def test_newest_poll_error_text_has_the_status_and_the_capped_body(make_app: Callable[..., Any]) -> None:
    """§2.2: a Vertex 404 on the status call, under both releases."""
    for release, expected in (
        (
            NEWEST,
            'Upstream status request failed with status 404: {"error":{"code":404,"message":"Operation {name} not found.","status":"NOT_FOUND"}}',
        ),
        (OLD, "Operation {name} not found."),
    ):
        app = make_app(server_config(gateway_release=release))
        runtime = app.state.vidmock
        async with client_for(app) as c:
            vid = (await create(c)).json()["id"]
            name = runtime.store.get("gateway.job", vid)["upstream_id"]
            runtime.store.delete("vertex.operation", name)
            await runtime.advance(5)
        last = runtime.store.get("gateway.job", vid)["upstream_response"]["llmgateway_last_poll_error"]
        assert last == expected.replace("{name}", name), release


def test_poll_error_body_is_cut_at_4000_characters() -> None:
    newest = get_release(NEWEST)
    text = newest.poll_error_message(502, {"detail": "x" * 10_000})
    prefix = "Upstream status request failed with status 502: "
    assert text.startswith(prefix + '{"detail":"xxx') and len(text) == len(prefix) + POLL_ERROR_BODY_LIMIT
    assert newest.poll_error_message(503, "upstream down") == f'{prefix.replace("502", "503")}"upstream down"'
    old = get_release(OLD)
    assert old.poll_error_message(500, {"error": {"message": "boom"}}) == "boom"
    assert old.poll_error_message(500, "<html>") == "Upstream status request failed with status 500"


# -- §3 routes and smaller changes -----------------------------------------------------------------


async def test_unsatisfiable_range_on_inline_content_is_an_empty_416(make_app: Callable[..., Any]) -> None:
    """§3.1 (VC): empty body, Content-Range bytes */size."""
    app = make_app()
    async with client_for(app) as c:
        vid = (await create(c)).json()["id"]
        await app.state.vidmock.advance(100)
        full = await c.get(f"/v1/videos/{vid}/content", headers=AUTH)
        assert full.status_code == 200
        r = await c.get(f"/v1/videos/{vid}/content", headers={**AUTH, "Range": f"bytes={len(full.content)}-"})
    assert r.status_code == 416 and r.content == b""
    assert r.headers["content-range"] == f"bytes */{len(full.content)}"


async def test_byok_vertex_key_without_a_project_is_400_in_the_newest(make_app: Callable[..., Any]) -> None:
    """§3.2."""
    keys = {"google-vertex": {"api_key": "k"}}
    async with client_for(make_app(project_config(provider_keys=keys))) as c:
        assert error_of(await create(c), 400) == VERTEX_PROJECT_REQUIRED
    with_project = {"google-vertex": {"google_vertex_project_id": "acme"}}
    async with client_for(make_app(project_config(provider_keys=with_project))) as c:
        assert (await create(c)).status_code == 200
    async with client_for(make_app(project_config(OLD, provider_keys=keys))) as c:
        assert (await create(c)).status_code == 200


async def test_vertex_without_storage_pinned_or_alone_is_400_in_the_newest(make_app: Callable[..., Any]) -> None:
    """§3.3: pinned is a 400 with the newer text; nothing left to fall back to, the same (chosen)."""
    app = make_app(project_config(retention="none"))
    async with client_for(app) as c:
        assert error_of(await create(c, model="google-vertex/veo-3.1-generate-preview"), 400) == VERTEX_STORAGE_NEW
        assert error_of(await create(c), 400) == VERTEX_STORAGE_NEW
    assert app.state.vidmock.journal.for_service("google-vertex") == []
    with_bucket = project_config(retention="none").with_(vertex_output_bucket="gs://acme/out")
    async with client_for(make_app(with_bucket)) as c:
        assert (await create(c)).status_code == 200


async def test_vertex_without_storage_unpinned_falls_back_in_the_newest(make_app: Callable[..., Any]) -> None:
    """§3.3: unpinned, the gateway skips Vertex for the next provider."""
    catalogue = default_catalogue()
    veo, seedance = catalogue.get("veo-3.1-generate-preview"), catalogue.get("seedance-2-0")
    assert veo is not None and seedance is not None
    both = replace(veo, mappings=(*veo.mappings, *seedance.mappings))
    app = make_app(project_config(retention="none"), catalogue=catalogue.with_overrides(models=[both]))
    async with client_for(app) as c:
        r = await create(c, size="1280x720")
        assert r.status_code == 200 and r.json()["model"] == "bytedance/veo-3.1-generate-preview", r.text
    assert app.state.vidmock.journal.for_service("google-vertex") == []


async def test_older_vertex_without_storage_is_refused_with_the_older_text(make_app: Callable[..., Any]) -> None:
    async with client_for(make_app(project_config(OLD, retention="none"))) as c:
        assert error_of(await create(c, model="google-vertex/veo-3.1-generate-preview"), 400) == (
            "Vertex-compatible video generation requires either GCS output storage or data retention to be enabled."
        )


def test_the_png_fixture_is_a_png() -> None:
    assert base64.b64decode(PNG.split(",", 1)[1]).startswith(b"\x89PNG")
