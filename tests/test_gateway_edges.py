"""Gateway-side edge cases through HTTP: auth, validation order, business rules, the credit gate,
byte ranges, signed content URLs, request ids and the error envelope (gateway.md §1, §2, §3, §7).

Test names carrying a number name the §7 edge case they exercise. Messages are asserted in full
wherever the reference gives the full text; where it gives only substrings (zod wording), the
fixed prefix and the substrings are asserted.
"""

from __future__ import annotations

import base64
import contextlib
import string
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from conftest import AUTH, KEY, OTHER_KEY
from conftest import test_config as config_with  # aliased: pytest would collect test_config

from vidmock.config import Project
from vidmock.gateway.domain import tokens
from vidmock.gateway.domain.catalogue import default_catalogue

pytestmark = pytest.mark.anyio

BASE = "http://127.0.0.1:4001"
VERTEX = "google-vertex"
NO_KEY = (
    "Unauthorized: No API key provided. Expected 'Authorization: Bearer your-api-token' header "
    "or 'x-api-key: your-api-token' header"
)
UNKNOWN_KEY = (
    "Unauthorized: Invalid LLMGateway API token. The token could not be found. Go to the "
    "LLMGateway 'API Keys' page to generate a new token."
)
INACTIVE_KEY = (
    "Unauthorized: This LLMGateway API token is not active (it may be disabled or deleted). "
    "Go to the LLMGateway 'API Keys' page to generate a new token."
)
ARCHIVED = "Project has been archived and is no longer accessible"
DEVPASS = "Video generation is not available for coding plans. Coding plans only include text-based inference."
ZDR = (
    "Video generation is unavailable while zero data retention is active because video jobs require "
    "temporary output storage."
)
VERTEX_RETENTION = (
    "Vertex-compatible video generation requires either GCS output storage or data retention to be enabled."
)
UNSUPPORTED = (
    "Unsupported video model. Use a video-capable model from /v1/models, optionally prefixed with "
    "a configured provider like openai/ or google-vertex/."
)
BAD_SIZE = (
    "size must be one of 848x480, 854x480, 480x854, 1280x720, 1696x960, 720x1280, 1366x768, "
    "768x1366, 1920x1080, 1080x1920, 3840x2160, 2160x3840, 1792x1024, 1024x1792"
)
TOKEN_INVALID = "Unauthorized: Invalid or expired video access token."
NO_CONTENT = "Video content is not available"

# A 1x1 grey PNG, and a second distinct image (1x1 PNG with another pixel value is not needed:
# the emulator only checks base64 and mimeType).
PNG_B64 = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
        "3a7e9b550000000a49444154789c63680000008200813f4d4d6b0000000049454e44ae426082"
    )
).decode()
PNG_URL = f"data:image/png;base64,{PNG_B64}"

# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def assert_error(
    r: httpx.Response, status: int, message: str, *, code: str | None = None, etype: str = "invalid_request_error"
) -> None:
    """The whole §1.3 envelope, exactly."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"error": {"message": message, "type": etype, "param": None, "code": code}}


def error_message(r: httpx.Response) -> str:
    return r.json()["error"]["message"]


@contextlib.asynccontextmanager
async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c


def upstream_submits(runtime: Any) -> list[Any]:
    return [e for e in runtime.journal.for_service(VERTEX) if e.path.endswith(":predictLongRunning")]


async def create(client: httpx.AsyncClient, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
    return await client.post(
        "/v1/videos", json={"prompt": "a fox", "seconds": 4, **body}, headers=AUTH if headers is None else headers
    )


async def completed_video(client: httpx.AsyncClient, runtime: Any, **body: Any) -> dict[str, Any]:
    r = await create(client, **body)
    assert r.status_code == 200, r.text
    await runtime.advance(95)
    video = (await client.get(f"/v1/videos/{r.json()['id']}", headers=AUTH)).json()
    assert video["status"] == "completed", video
    return video


def signed_path(video: dict[str, Any]) -> str:
    return video["content"][0]["url"].removeprefix(BASE)


def log_id_of(video: dict[str, Any]) -> str:
    return signed_path(video).split("/v1/videos/logs/", 1)[1].split("/", 1)[0]


# ------------------------------------------------------------------------------------------------
# §1.1 authentication
# ------------------------------------------------------------------------------------------------


async def test_no_key_is_401_invalid_api_key(client: httpx.AsyncClient) -> None:
    assert_error(await create(client, headers={}), 401, NO_KEY, code="invalid_api_key")
    assert_error(await client.get("/v1/videos/anything"), 401, NO_KEY, code="invalid_api_key")
    assert_error(await client.get("/v1/videos/anything/content"), 401, NO_KEY, code="invalid_api_key")


async def test_empty_bearer_token_falls_back_to_x_api_key(client: httpx.AsyncClient) -> None:
    r = await create(client, headers={"Authorization": "Bearer ", "x-api-key": KEY})
    assert r.status_code == 200, r.text


async def test_empty_bearer_token_without_x_api_key_is_no_key(client: httpx.AsyncClient) -> None:
    assert_error(await create(client, headers={"Authorization": "Bearer "}), 401, NO_KEY, code="invalid_api_key")


async def test_non_bearer_authorization_falls_back_to_x_api_key(client: httpx.AsyncClient) -> None:
    r = await create(client, headers={"Authorization": f"Basic {KEY}", "x-api-key": KEY})
    assert r.status_code == 200, r.text
    assert_error(await create(client, headers={"Authorization": f"Basic {KEY}"}), 401, NO_KEY, code="invalid_api_key")


async def test_bearer_wins_over_x_api_key(client: httpx.AsyncClient) -> None:
    r = await create(client, headers={"Authorization": "Bearer vm-nope", "x-api-key": KEY})
    assert_error(r, 401, UNKNOWN_KEY, code="invalid_api_key")


async def test_x_api_key_alone_works(client: httpx.AsyncClient) -> None:
    r = await create(client, headers={"x-api-key": KEY})
    assert r.status_code == 200, r.text
    got = await client.get(f"/v1/videos/{r.json()['id']}", headers={"x-api-key": KEY})
    assert got.status_code == 200 and got.json()["id"] == r.json()["id"]


async def test_unknown_key(client: httpx.AsyncClient) -> None:
    assert_error(
        await create(client, headers={"Authorization": "Bearer vm-who"}), 401, UNKNOWN_KEY, code="invalid_api_key"
    )
    assert_error(
        await client.get("/v1/videos/x", headers={"x-api-key": "vm-who"}), 401, UNKNOWN_KEY, code="invalid_api_key"
    )


async def test_inactive_key(client: httpx.AsyncClient) -> None:
    assert_error(
        await create(client, headers={"Authorization": "Bearer vm-disabled-key"}),
        401,
        INACTIVE_KEY,
        code="invalid_api_key",
    )
    assert_error(
        await client.get("/v1/videos/x", headers={"x-api-key": "vm-disabled-key"}),
        401,
        INACTIVE_KEY,
        code="invalid_api_key",
    )


async def test_archived_project_is_410(client: httpx.AsyncClient, runtime: Any) -> None:
    headers = {"Authorization": "Bearer vm-archived-key"}
    assert_error(await create(client, headers=headers), 410, ARCHIVED)
    assert_error(await client.get("/v1/videos/x", headers=headers), 410, ARCHIVED)
    assert_error(await client.get("/v1/videos/x/content", headers=headers), 410, ARCHIVED)
    assert upstream_submits(runtime) == []


# ------------------------------------------------------------------------------------------------
# §2: the body is validated before authentication
# ------------------------------------------------------------------------------------------------


async def test_invalid_json_without_key_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/videos", content=b"{not json", headers={"content-type": "application/json"})
    assert_error(r, 400, "Invalid JSON in request body")


async def test_schema_error_without_key_is_400(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/videos", json={"prompt": "a fox", "seconds": 4, "size": "1080x1080"})
    assert_error(r, 400, f"Invalid request parameters: size: {BAD_SIZE}")
    r = await client.post("/v1/videos", json={"prompt": "a fox"}, headers={"x-api-key": "vm-who"})
    assert r.status_code == 400
    assert error_message(r).startswith("Invalid request parameters: seconds: ")


async def test_valid_body_without_key_reaches_auth(client: httpx.AsyncClient) -> None:
    assert_error(await create(client, headers={}), 401, NO_KEY, code="invalid_api_key")


# ------------------------------------------------------------------------------------------------
# §1.4 / §1.5 project scoping
# ------------------------------------------------------------------------------------------------


async def test_cross_project_is_404(client: httpx.AsyncClient, runtime: Any) -> None:
    vid = (await create(client)).json()["id"]
    other = {"Authorization": f"Bearer {OTHER_KEY}"}
    assert_error(await client.get(f"/v1/videos/{vid}", headers=other), 404, "Video not found", code="not_found")
    assert_error(await client.get(f"/v1/videos/{vid}/content", headers=other), 404, "Video not found", code="not_found")
    await runtime.advance(95)
    assert (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()["status"] == "completed"
    assert_error(await client.get(f"/v1/videos/{vid}", headers=other), 404, "Video not found", code="not_found")
    assert_error(await client.get(f"/v1/videos/{vid}/content", headers=other), 404, "Video not found", code="not_found")


async def test_unknown_id_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/v1/videos/nonexistent", headers=AUTH), 404, "Video not found", code="not_found")
    assert_error(
        await client.get("/v1/videos/nonexistent/content", headers=AUTH), 404, "Video not found", code="not_found"
    )


async def test_content_of_queued_job_is_409(client: httpx.AsyncClient) -> None:
    vid = (await create(client)).json()["id"]
    assert_error(
        await client.get(f"/v1/videos/{vid}/content", headers=AUTH),
        409,
        "Video is not ready yet. Current status: queued",
    )


# ------------------------------------------------------------------------------------------------
# §2 business rules 1, 2, 3, 4, 16
# ------------------------------------------------------------------------------------------------


def one_project_config(**project: Any) -> Any:
    # conftest's test_config hard-codes `projects`, so it cannot take them as a change.
    return config_with().with_(projects=(Project(id="proj_x", keys=(KEY,), **project),))


async def test_03_devpass_is_403_but_get_still_404(make_app: Callable[..., Any]) -> None:
    app = make_app(one_project_config(devpass=True))
    async with client_for(app) as c:
        assert_error(await create(c), 403, DEVPASS, code="permission_denied")
        assert_error(await c.get("/v1/videos/nonexistent", headers=AUTH), 404, "Video not found", code="not_found")
    assert upstream_submits(app.state.vidmock) == []


async def test_zero_data_retention_is_400(make_app: Callable[..., Any]) -> None:
    app = make_app(one_project_config(zero_data_retention=True))
    async with client_for(app) as c:
        assert_error(await create(c), 400, ZDR)
    assert upstream_submits(app.state.vidmock) == []


async def test_devpass_checked_before_the_model(make_app: Callable[..., Any]) -> None:
    async with client_for(make_app(one_project_config(devpass=True))) as c:
        assert_error(await create(c, model="no-such-model"), 403, DEVPASS, code="permission_denied")


async def test_deactivated_model_is_410(make_app: Callable[..., Any]) -> None:
    catalogue = default_catalogue().with_overrides(deactivate=["veo-3.1-generate-preview"])
    app = make_app(catalogue=catalogue)
    async with client_for(app) as c:
        assert_error(
            await create(c, model="veo-3.1-generate-preview"),
            410,
            "Model veo-3.1-generate-preview has been deactivated and is no longer available",
        )
        # The default model is that one too.
        assert_error(
            await create(c), 410, "Model veo-3.1-generate-preview has been deactivated and is no longer available"
        )
        assert_error(
            await create(c, model="google-vertex/veo-3.1-generate-preview"),
            410,
            "Model google-vertex/veo-3.1-generate-preview has been deactivated and is no longer available",
        )
        # Other models are unaffected.
        assert (await create(c, model="veo-3.1-fast-generate-preview")).status_code == 200


async def test_deactivated_provider_mapping_is_410_when_pinned(make_app: Callable[..., Any]) -> None:
    catalogue = default_catalogue().with_overrides(deactivate=["google-vertex/veo-3.1-fast-generate-preview"])
    async with client_for(make_app(catalogue=catalogue)) as c:
        assert_error(
            await create(c, model="google-vertex/veo-3.1-fast-generate-preview"),
            410,
            "Model google-vertex/veo-3.1-fast-generate-preview has been deactivated and is no longer available",
        )


@pytest.mark.parametrize(
    "model",
    [
        "no-such-model",
        "openai/veo-3.1-generate-preview",
        "google-vertex/",
        "google-vertex/sora-2",
        "veo-3.1-generate-001",
    ],
)
async def test_unsupported_model_is_400(client: httpx.AsyncClient, model: str) -> None:
    assert_error(await create(client, model=model), 400, UNSUPPORTED)


async def test_model_checked_after_auth(client: httpx.AsyncClient) -> None:
    assert_error(await create(client, headers={}, model="no-such-model"), 401, NO_KEY, code="invalid_api_key")


@pytest.mark.gateway_release("pre-2026-03")  # gateway.md §2 row 16; the newest rule: test_releases.py
async def test_46_vertex_without_bucket_and_retention_none_is_400(make_app: Callable[..., Any]) -> None:
    app = make_app(one_project_config(retention="none"))
    async with client_for(app) as c:
        r = await create(c)
        assert_error(r, 400, VERTEX_RETENTION)
        assert "GCS output storage or data retention" in error_message(r)
    assert upstream_submits(app.state.vidmock) == []


# ------------------------------------------------------------------------------------------------
# §7 validation edge cases
# ------------------------------------------------------------------------------------------------


async def test_47_seconds_zero(client: httpx.AsyncClient) -> None:
    r = await create(client, seconds=0)
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error" and r.json()["error"]["code"] is None
    msg = error_message(r)
    assert msg.startswith("Invalid request parameters: seconds: ")
    assert msg.count(": ") >= 2 and "prompt" not in msg and "size" not in msg  # the seconds issue only


async def test_48_seconds_over_model_maximum(client: httpx.AsyncClient) -> None:
    r = await create(client, seconds=11)
    assert_error(
        r, 400, "duration 11s exceeds the maximum supported duration of 10s for model veo-3.1-generate-preview"
    )


async def test_49_seconds_missing(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/videos", json={"prompt": "a fox"}, headers=AUTH)
    assert r.status_code == 400
    msg = error_message(r)
    assert msg.startswith("Invalid request parameters: seconds: ")
    assert "prompt" not in msg and "size" not in msg  # the seconds issue only


async def test_50_unsupported_size(client: httpx.AsyncClient) -> None:
    r = await create(client, size="1080x1080")
    assert_error(r, 400, f"Invalid request parameters: size: {BAD_SIZE}")
    assert "1280x720" in error_message(r)


async def test_24_four_reference_images_on_vertex(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client, model="google-vertex/veo-3.1-generate-preview", seconds=8, reference_images=[PNG_URL] * 4)
    assert_error(
        r,
        400,
        "Requested parameters are not supported for google-vertex/veo-3.1-generate-preview. "
        "google-vertex: this provider mapping supports at most 3 reference images.",
    )
    assert "at most 3 reference images" in error_message(r)
    assert upstream_submits(runtime) == []


# ------------------------------------------------------------------------------------------------
# §7 upstream request shape (Vertex, §5.3)
# ------------------------------------------------------------------------------------------------


async def test_33_ten_seconds_without_size(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client, seconds=10)
    assert r.status_code == 200, r.text
    [submit] = upstream_submits(runtime)
    assert submit.path == (
        "/v1/projects/vidmock-project/locations/us-central1/publishers/google/models/"
        "veo-3.1-generate-001:predictLongRunning"
    )
    assert submit.body["parameters"] == {
        "aspectRatio": "16:9",
        "durationSeconds": 10,
        "generateAudio": True,
        "resolution": "720p",
        "sampleCount": 1,
    }
    doc = runtime.store.get("gateway.job", r.json()["id"])
    assert doc["upstream_response"]["size"] == "1280x720"


async def test_34_first_and_last_frame_data_urls(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client, seconds=4, image=PNG_URL, last_frame={"image_url": PNG_URL})
    assert r.status_code == 200, r.text
    [submit] = upstream_submits(runtime)
    instance = submit.body["instances"][0]
    frame = {"bytesBase64Encoded": PNG_B64, "mimeType": "image/png"}
    assert instance["image"] == frame
    assert instance["lastFrame"] == frame
    assert "referenceImages" not in instance
    assert submit.body["parameters"]["durationSeconds"] == 4


async def test_39_two_reference_images_on_vertex_preview(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(
        client,
        model="google-vertex/veo-3.1-generate-preview",
        seconds=8,
        reference_images=[PNG_URL, {"image_url": PNG_URL}],
    )
    assert r.status_code == 200, r.text
    [submit] = upstream_submits(runtime)
    instance = submit.body["instances"][0]
    ref = {"image": {"bytesBase64Encoded": PNG_B64, "mimeType": "image/png"}, "referenceType": "asset"}
    assert instance["referenceImages"] == [ref, ref]
    assert "image" not in instance and "lastFrame" not in instance
    assert runtime.store.get("gateway.job", r.json()["id"])["image_count"] == 2


async def test_42_fast_silent_routes_to_vertex(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client, model="veo-3.1-fast-generate-preview", audio=False)
    assert r.status_code == 200, r.text
    assert r.json()["model"] == "google-vertex/veo-3.1-fast-generate-preview"
    [submit] = upstream_submits(runtime)
    assert submit.path.endswith("/models/veo-3.1-fast-generate-001:predictLongRunning")
    assert submit.body["parameters"]["generateAudio"] is False


async def test_45_vertex_operation_name_and_inline_content(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client)
    doc = runtime.store.get("gateway.job", r.json()["id"])
    assert "projects/vidmock-project/" in doc["upstream_id"]
    assert doc["upstream_id"].startswith(
        "projects/vidmock-project/locations/us-central1/publishers/google/models/veo-3.1-generate-001/operations/"
    )
    await runtime.advance(95)
    doc = runtime.store.get("gateway.job", r.json()["id"])
    assert doc["storage_uri"] is None and doc["content_blob"]
    got = await client.get(f"/v1/videos/{r.json()['id']}/content", headers=AUTH)
    assert got.status_code == 200 and got.content[4:8] == b"ftyp"


async def test_61_bare_model_option(make_app: Callable[..., Any]) -> None:
    app = make_app(config_with(bare_model=True))
    async with client_for(app) as c:
        r = await create(c)
        assert r.status_code == 200
        video = r.json()
        assert video["object"] == "video" and video["status"] == "queued"
        assert video["model"] == "veo-3.1-generate-preview"
        assert (await c.get(f"/v1/videos/{video['id']}", headers=AUTH)).json()["model"] == "veo-3.1-generate-preview"
        assert app.state.vidmock.store.get("gateway.job", video["id"])["upstream_response"]["size"] == "1280x720"


# ------------------------------------------------------------------------------------------------
# §2.1 credit gate (CG)
# ------------------------------------------------------------------------------------------------

VEO_1080P_8S = {"size": "1920x1080", "seconds": 8}  # estimate $3.20


async def test_51_estimate_exceeds_credits(make_app: Callable[..., Any]) -> None:
    app = make_app(one_project_config(credits=2.0))
    async with client_for(app) as c:
        r = await create(c, **VEO_1080P_8S)
    assert_error(
        r,
        402,
        "Video generation requires an estimated $3.20 in available credits for this request "
        "(minimum $1.00), but your organization has $2.00 available. Please add credits and "
        "try again.",
        code="billing_error",
    )
    assert app.state.vidmock.store.count("gateway.job") == 0
    assert upstream_submits(app.state.vidmock) == []


async def test_52_cheap_job_needs_the_one_dollar_minimum(make_app: Callable[..., Any]) -> None:
    app = make_app(one_project_config(credits=0.5))
    async with client_for(app) as c:
        r = await create(c, model="veo-3.1-fast-generate-preview", audio=False)  # estimate $0.60
    assert_error(
        r,
        402,
        "Video generation requires an estimated $1.00 in available credits for this request "
        "(minimum $1.00), but your organization has $0.50 available. Please add credits and "
        "try again.",
        code="billing_error",
    )
    assert app.state.vidmock.store.count("gateway.job") == 0


async def test_53_pending_reservations_then_release(make_app: Callable[..., Any]) -> None:
    app = make_app(one_project_config(credits=5.0))
    runtime = app.state.vidmock
    async with client_for(app) as c:
        first = await create(c, **VEO_1080P_8S)
        assert first.status_code == 200, first.text
        second = await create(c, **VEO_1080P_8S)
        assert_error(
            second,
            402,
            "Video generation requires an estimated $3.20 in available credits for this "
            "request (minimum $1.00), but your organization has $1.80 available after $3.20 "
            "reserved for videos still in progress. Please add credits and try again.",
            code="billing_error",
        )
        assert runtime.store.count("gateway.job") == 1
        # Advance until the worker has finalized the first job.
        for _ in range(40):
            await runtime.advance(5)
            if (await c.get(f"/v1/videos/{first.json()['id']}", headers=AUTH)).json()["status"] == "completed":
                break
        video = (await c.get(f"/v1/videos/{first.json()['id']}", headers=AUTH)).json()
        assert video["status"] == "completed" and video["usage"]["cost"] == 3.2
        third = await create(c, **VEO_1080P_8S)
        assert third.status_code == 200, third.text


@pytest.mark.gateway_release("pre-2026-03")  # gateway.md §2 row 16; the newest rule: test_releases.py
async def test_credit_gate_comes_before_the_vertex_retention_rule(make_app: Callable[..., Any]) -> None:
    """§2 rows 15 then 16."""
    async with client_for(make_app(one_project_config(credits=0.5, retention="none"))) as c:
        r = await create(c)
    assert r.status_code == 402 and r.json()["error"]["code"] == "billing_error"


async def test_byok_project_is_not_credit_gated(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await create(client, size="3840x2160", seconds=10)).status_code == 200


# ------------------------------------------------------------------------------------------------
# request body limit
# ------------------------------------------------------------------------------------------------


async def test_body_over_limit_is_413(make_app: Callable[..., Any]) -> None:
    app = make_app(config_with(max_body_bytes=1000))
    async with client_for(app) as c:
        big = b'{"prompt":"' + b"a" * 1000 + b'","seconds":4}'
        assert_error(await c.post("/v1/videos", content=big, headers=AUTH), 413, "Request body too large")
        # Also before authentication, and without a Content-Length (chunked).

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(big), 100):
                yield big[i : i + 100]

        assert_error(await c.post("/v1/videos", content=chunks()), 413, "Request body too large")
    assert upstream_submits(app.state.vidmock) == []


async def test_body_at_limit_is_accepted(make_app: Callable[..., Any]) -> None:
    app = make_app(config_with(max_body_bytes=1000))
    async with client_for(app) as c:
        head, tail = b'{"prompt":"a fox","seconds":4,"pad":"', b'"}'
        exact = head + b"x" * (1000 - len(head) - len(tail)) + tail
        assert len(exact) == 1000
        assert (await c.post("/v1/videos", content=exact, headers=AUTH)).status_code == 200
        over = head + b"x" * (1001 - len(head) - len(tail)) + tail
        assert (await c.post("/v1/videos", content=over, headers=AUTH)).status_code == 413


# ------------------------------------------------------------------------------------------------
# §1.5 byte ranges on inline content (VCS 63–65, with the real MP4 length N)
# ------------------------------------------------------------------------------------------------


@pytest.fixture
async def mp4(client: httpx.AsyncClient, runtime: Any) -> tuple[str, bytes]:
    video = await completed_video(client, runtime)
    full = await client.get(f"/v1/videos/{video['id']}/content", headers=AUTH)
    assert full.status_code == 200
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["content-type"] == "video/mp4"
    assert int(full.headers["content-length"]) == len(full.content) > 100
    return f"/v1/videos/{video['id']}/content", full.content


async def test_63_satisfiable_ranges(client: httpx.AsyncClient, mp4: tuple[str, bytes]) -> None:
    path, data = mp4
    n = len(data)
    cases = {"bytes=0-1": (0, 1), "bytes=2-": (2, n - 1), "bytes=-2": (n - 2, n - 1), "bytes=3-99999999": (3, n - 1)}
    for header, (start, end) in cases.items():
        r = await client.get(path, headers={**AUTH, "Range": header})
        assert r.status_code == 206, header
        assert r.headers["content-range"] == f"bytes {start}-{end}/{n}", header
        assert r.headers["content-length"] == str(end - start + 1), header
        assert r.headers["accept-ranges"] == "bytes"
        assert r.headers["content-type"] == "video/mp4"
        assert r.content == data[start : end + 1], header


async def test_64_unsatisfiable_ranges(client: httpx.AsyncClient, mp4: tuple[str, bytes]) -> None:
    path, data = mp4
    n = len(data)
    for header in (
        f"bytes={n}-",
        f"bytes={n + 10}-{n + 20}",
        "bytes=2-1",
        "bytes=-0",
        "bytes=-",
        "bytes=0-1,3-4",
        "garbage",
        "items=0-1",
        "bytes=a-b",
    ):
        r = await client.get(path, headers={**AUTH, "Range": header})
        assert r.status_code == 416, header
        assert r.headers["content-range"] == f"bytes */{n}", header
        assert r.headers["accept-ranges"] == "bytes"


async def test_65_if_range_sends_the_whole_body(client: httpx.AsyncClient, mp4: tuple[str, bytes]) -> None:
    path, data = mp4
    r = await client.get(path, headers={**AUTH, "Range": "bytes=0-1", "If-Range": '"some-etag"'})
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["content-length"] == str(len(data))
    assert "content-range" not in r.headers


async def test_empty_range_header_sends_the_whole_body(client: httpx.AsyncClient, mp4: tuple[str, bytes]) -> None:
    path, data = mp4
    r = await client.get(path, headers={**AUTH, "Range": ""})
    assert r.status_code == 200
    assert r.content == data


async def test_range_on_signed_url(client: httpx.AsyncClient, runtime: Any) -> None:
    video = await completed_video(client, runtime)
    full = (await client.get(signed_path(video))).content
    r = await client.get(signed_path(video), headers={"Range": "bytes=-2"})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes {len(full) - 2}-{len(full) - 1}/{len(full)}"
    assert r.content == full[-2:]
    r = await client.get(signed_path(video), headers={"Range": f"bytes={len(full)}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{len(full)}"


# ------------------------------------------------------------------------------------------------
# §1.6 signed content URLs
# ------------------------------------------------------------------------------------------------


async def test_signed_url_valid_token(client: httpx.AsyncClient, runtime: Any) -> None:
    video = await completed_video(client, runtime)
    url = video["content"][0]["url"]
    assert url.startswith(f"{BASE}/v1/videos/logs/") and "/content?token=" in url
    direct = await client.get(f"/v1/videos/{video['id']}/content", headers=AUTH)
    r = await client.get(signed_path(video))  # no API key
    assert r.status_code == 200 and r.content == direct.content
    assert r.headers["content-type"] == "video/mp4"


def _tamper(token: str) -> list[str]:
    header, payload, sig = token.split(".")
    flip = "B" if sig[5] != "B" else "C"
    forged_payload = base64.urlsafe_b64encode(b'{"l":"other","exp":9999999999}').rstrip(b"=").decode()
    return [
        f"{header}.{payload}.{sig[:5]}{flip}{sig[6:]}",  # signature changed
        f"{header}.{forged_payload}.{sig}",  # payload changed, old signature
        f"{header}.{payload}",  # not three parts
        f"{header}.{payload}.",  # empty signature
        token + ".x",
        "not-a-token",
        "",
    ]


async def test_signed_url_bad_tokens_are_401(client: httpx.AsyncClient, runtime: Any) -> None:
    video = await completed_video(client, runtime)
    path = signed_path(video)
    base, token = path.split("?token=")
    for bad in _tamper(token):
        r = await client.get(base, params={"token": bad})
        assert_error(r, 401, TOKEN_INVALID, code="invalid_api_key")
    assert_error(await client.get(base), 401, TOKEN_INVALID, code="invalid_api_key")
    # A correctly signed token for another log id.
    other = tokens.sign("some-other-log-id", runtime.clock.now())
    assert_error(await client.get(base, params={"token": other}), 401, TOKEN_INVALID, code="invalid_api_key")
    # A token for this log id signed with another secret.
    foreign = tokens.sign(log_id_of(video), runtime.clock.now(), "another-secret")
    assert_error(await client.get(base, params={"token": foreign}), 401, TOKEN_INVALID, code="invalid_api_key")
    # An API key does not replace the token.
    assert_error(await client.get(base, headers=AUTH), 401, TOKEN_INVALID, code="invalid_api_key")


def _sibling(char: str) -> str:
    """The base64url character differing only in the lowest bit: for the last character of a
    43-character (32-byte) signature that bit is padding, so both decode to the same bytes."""
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    return alphabet[alphabet.index(char) ^ 1]


@pytest.mark.parametrize("variant", ["padded", "padding-bits"])
async def test_signed_url_signature_must_match_as_issued(client: httpx.AsyncClient, runtime: Any, variant: str) -> None:
    video = await completed_video(client, runtime)
    base, token = signed_path(video).split("?token=")
    header, payload, sig = token.split(".")
    assert len(sig) == 43
    forged = sig + "=" if variant == "padded" else sig[:-1] + _sibling(sig[-1])
    assert forged != sig
    r = await client.get(base, params={"token": f"{header}.{payload}.{forged}"})
    assert_error(r, 401, TOKEN_INVALID, code="invalid_api_key")


async def test_signed_url_expires_after_seven_days(client: httpx.AsyncClient, runtime: Any) -> None:
    video = await completed_video(client, runtime)
    path = signed_path(video)
    await runtime.advance(7 * 24 * 3600 - 1)
    assert (await client.get(path)).status_code == 200
    await runtime.advance(2)  # 7 days + 1 s after signing
    assert_error(await client.get(path), 401, TOKEN_INVALID, code="invalid_api_key")
    # A fresh GET signs a fresh URL, which works again.
    fresh = (await client.get(f"/v1/videos/{video['id']}", headers=AUTH)).json()
    assert (await client.get(signed_path(fresh))).status_code == 200


async def test_signed_url_unknown_log_id_is_404(client: httpx.AsyncClient, runtime: Any) -> None:
    token = tokens.sign("log_does_not_exist", runtime.clock.now(), runtime.config.content_secret)
    r = await client.get("/v1/videos/logs/log_does_not_exist/content", params={"token": token})
    assert_error(r, 404, NO_CONTENT, code="not_found")


# ------------------------------------------------------------------------------------------------
# §1.2 x-request-id
# ------------------------------------------------------------------------------------------------


async def test_request_id_echoed_trimmed_and_forwarded(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await create(client, headers={**AUTH, "x-request-id": "  req-abc-123\t "})
    assert r.status_code == 200
    assert r.headers["x-request-id"] == "req-abc-123"
    [submit] = upstream_submits(runtime)
    assert submit.headers["x-request-id"] == "req-abc-123"
    assert runtime.store.get("gateway.job", r.json()["id"])["request_id"] == "req-abc-123"
    got = await client.get(f"/v1/videos/{r.json()['id']}", headers={**AUTH, "x-request-id": " get-1 "})
    assert got.headers["x-request-id"] == "get-1"


async def test_request_id_generated_when_absent(client: httpx.AsyncClient, runtime: Any) -> None:
    alphabet = set(string.ascii_letters + string.digits)
    r1 = await create(client)
    r2 = await create(client, headers={**AUTH, "x-request-id": "   "})  # blank counts as absent
    ids = [r1.headers["x-request-id"], r2.headers["x-request-id"]]
    for rid in ids:
        assert len(rid) == 40 and set(rid) <= alphabet
    assert ids[0] != ids[1]
    assert [s.headers["x-request-id"] for s in upstream_submits(runtime)] == ids
    # Error responses carry one too.
    err = await client.get("/v1/videos/nope", headers=AUTH)
    assert err.status_code == 404 and len(err.headers["x-request-id"]) == 40


# ------------------------------------------------------------------------------------------------
# routing errors in the envelope
# ------------------------------------------------------------------------------------------------


async def test_unknown_route_is_404_envelope(client: httpx.AsyncClient) -> None:
    for path in ("/v1/nothing", "/v1/videos/a/b/c", "/"):
        r = await client.get(path, headers=AUTH)
        assert_error(r, 404, "Not Found", code="not_found")


async def test_wrong_method_is_405_envelope(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/v1/videos"),
        ("DELETE", "/v1/videos/abc"),
        ("POST", "/v1/videos/abc"),
        ("PUT", "/v1/videos/abc/content"),
    ):
        r = await client.request(method, path, headers=AUTH)
        assert_error(r, 405, "Method Not Allowed")
        assert "allow" in r.headers
