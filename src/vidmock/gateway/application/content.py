"""Serving a completed job's bytes (gateway.md §1.5, VC): inline with ranges, or proxied upstream.

Order of sources: with no content URL and no storage URI, providers that serve content on their own
API (openai, minimax, xai) are streamed from it, others use inline bytes; otherwise the content URL,
or a signed GCS URL made from the storage URI, is proxied, falling back to inline bytes when that fails. Only ``Range`` and ``If-Range`` go
upstream, redirects are refused, and a short list of headers comes back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from starlette.datastructures import Headers
from starlette.responses import Response

from ...errors import GatewayError
from ...ranges import Unsatisfiable, parse_range
from ..domain.jobs import Job
from .service import ProviderLink

STREAMED_PROVIDERS = frozenset({"openai", "minimax", "xai"})
UPSTREAM_FAILED = "Failed to fetch video content from upstream provider"
NO_CONTENT = "Video content is not available"
_COPIED = ("content-length", "content-range", "accept-ranges", "etag", "last-modified")


class ContentSources:
    """Where bytes come from: the store's blobs and HTTP clients that reach upstream URLs."""

    def __init__(
        self,
        read_blob: Callable[[str], bytes | None],
        providers: dict[str, ProviderLink],
        fetch_url: Callable[[str, dict[str, str]], Awaitable[httpx.Response]],
        sign_storage_uri: Callable[[str], str | None] = lambda uri: None,
    ) -> None:
        self.read_blob = read_blob
        self.providers = providers
        self.fetch_url = fetch_url  # absolute content URLs
        self.sign_storage_uri = sign_storage_uri  # gs:// → a signed GCS URL, None when it cannot be

    async def respond(self, job: Job, headers: Headers) -> Response:
        forwarded = {k: v for k, v in (("range", headers.get("range")), ("if-range", headers.get("if-range"))) if v}
        if not job.content_url and not job.storage_uri:
            link = self.providers.get(job.provider) if job.provider in STREAMED_PROVIDERS else None
            path = link.client.content_path(job.upstream_id) if link is not None else None
            if link is not None and path is not None:
                credential = link.client.content_headers()
                return await self._proxy(
                    lambda h: link.http.get(path, headers={**credential, **h}, follow_redirects=False),
                    forwarded,
                    job,
                    fallback=False,
                )
            return self._inline(job, headers)
        url = job.content_url or (self.sign_storage_uri(job.storage_uri) if job.storage_uri else None)
        if url:
            return await self._proxy(lambda h: self.fetch_url(url, h), forwarded, job, fallback=True)
        return self._inline(job, headers)  # a gs:// object that cannot be signed: inline bytes if any

    async def _proxy(
        self,
        get: Callable[[dict[str, str]], Awaitable[httpx.Response]],
        forwarded: dict[str, str],
        job: Job,
        fallback: bool,
    ) -> Response:
        try:
            upstream = await get(forwarded)
        except httpx.HTTPError:
            if fallback and job.content_blob:
                return self._inline(job, Headers(forwarded))
            raise GatewayError(502, UPSTREAM_FAILED) from None
        if upstream.status_code not in (200, 206, 416):
            if fallback and job.content_blob:
                return self._inline(job, Headers(forwarded))
            raise GatewayError(502, UPSTREAM_FAILED)
        out = {k: upstream.headers[k] for k in _COPIED if k in upstream.headers}
        media_type = upstream.headers.get("content-type") or job.content_type or "video/mp4"
        return Response(upstream.content, status_code=upstream.status_code, headers=out, media_type=media_type)

    def _inline(self, job: Job, headers: Headers) -> Response:
        data = self.read_blob(job.content_blob) if job.content_blob else None
        if data is None:
            raise GatewayError(404, NO_CONTENT)
        return inline_response(data, job.content_type, headers)


def inline_response(data: bytes, content_type: str | None, headers: Headers) -> Response:
    """``inlineVideoResponse`` (VC): one byte range, or 200, or 416."""
    size = len(data)
    out = {"Accept-Ranges": "bytes"}
    media_type = content_type or "video/mp4"
    try:
        part = parse_range(headers.get("range"), size, headers.get("if-range"))
    except Unsatisfiable:
        # VC (video-content.ts@ba88bebb, changes-2026-12.md §3.1): the 416 has an empty body.
        out["Content-Range"] = f"bytes */{size}"
        return Response(b"", status_code=416, headers=out)
    if part is None:
        return Response(data, media_type=media_type, headers=out)
    out["Content-Range"] = f"bytes {part.start}-{part.end}/{size}"
    return Response(data[part.start : part.end + 1], status_code=206, media_type=media_type, headers=out)
