"""Proxied content (gateway.md §1.5, VCS edge cases 66–68), with the upstream mocked by respx."""

from __future__ import annotations

import httpx
import pytest
import respx
from starlette.datastructures import Headers

from vidmock.errors import GatewayError
from vidmock.gateway.application.content import ContentSources
from vidmock.gateway.domain.jobs import Job

pytestmark = pytest.mark.anyio
URL = "https://cdn.example.test/video.mp4"


def _job(**kw: object) -> Job:
    base = {
        "id": "v1",
        "project_id": "p",
        "model": "seedance-2-0",
        "provider": "bytedance",
        "external_id": "x",
        "created_at": 0.0,
        "size": "1280x720",
        "seconds": 5,
        "audio": True,
        "image_count": 0,
        "request_id": "r",
        "status": "completed",
        "content_url": URL,
    }
    base.update(kw)
    return Job(**base)  # type: ignore[arg-type]


def _sources(client: httpx.AsyncClient, blobs: dict[str, bytes] | None = None) -> ContentSources:
    async def fetch(url: str, headers: dict[str, str]) -> httpx.Response:
        return await client.get(url, headers=headers, follow_redirects=False)

    return ContentSources((blobs or {}).get, {}, fetch)


@respx.mock(assert_all_called=True)
async def test_only_range_headers_go_upstream_and_206_is_preserved(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(URL).respond(
        206,
        content=b"abc",
        headers={
            "Content-Range": "bytes 0-2/10",
            "ETag": '"e1"',
            "Set-Cookie": "a=b",
            "Content-Type": "video/mp4",
            "Accept-Ranges": "bytes",
        },
    )
    async with httpx.AsyncClient() as client:
        r = await _sources(client).respond(
            _job(), Headers({"range": "bytes=0-2", "if-range": '"e1"', "authorization": "Bearer secret"})
        )
    sent = route.calls.last.request.headers
    assert sent["range"] == "bytes=0-2" and sent["if-range"] == '"e1"'
    assert "authorization" not in sent
    assert r.status_code == 206 and r.body == b"abc"
    assert r.headers["content-range"] == "bytes 0-2/10" and r.headers["etag"] == '"e1"'
    assert "set-cookie" not in r.headers


@respx.mock(assert_all_called=True)
async def test_upstream_416_is_preserved(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).respond(416, headers={"Content-Range": "bytes */10"})
    async with httpx.AsyncClient() as client:
        r = await _sources(client).respond(_job(), Headers({"range": "bytes=50-"}))
    assert r.status_code == 416 and r.headers["content-range"] == "bytes */10"


@respx.mock(assert_all_called=True)
async def test_upstream_500_is_a_502(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).respond(500, text="boom")
    async with httpx.AsyncClient() as client:
        with pytest.raises(GatewayError) as err:
            await _sources(client).respond(_job(), Headers({}))
    assert err.value.status == 502
    assert err.value.message == "Failed to fetch video content from upstream provider"


@respx.mock(assert_all_called=True)
async def test_redirects_are_refused(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).respond(302, headers={"Location": "https://elsewhere.test/x"})
    async with httpx.AsyncClient() as client:
        with pytest.raises(GatewayError) as err:
            await _sources(client).respond(_job(), Headers({}))
    assert err.value.status == 502


@respx.mock(assert_all_called=True)
async def test_a_failed_proxy_falls_back_to_inline_bytes(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(URL).mock(side_effect=httpx.ConnectError("refused"))
    async with httpx.AsyncClient() as client:
        r = await _sources(client, {"k": b"0123456789"}).respond(_job(content_blob="k"), Headers({"range": "bytes=-3"}))
    assert r.status_code == 206 and r.body == b"789"


async def test_no_source_is_404() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(GatewayError) as err:
            await _sources(client).respond(_job(content_url=None), Headers({}))
    assert (err.value.status, err.value.message) == (404, "Video content is not available")
