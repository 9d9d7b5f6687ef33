"""In-process routing through respx: an httpx client pointed at the gateway's real base URL (or a
provider's) reaches vidmock's ASGI apps with no socket at all.

``route_vidmock(router, server)`` adds one respx route per real host, each with a side effect that
hands the request to the right ASGI app (the full vidmock app for the gateway, the emulator for a
provider) on the server's own event loop, and returns its response. Sync and async clients both
work. Anything else stays unmatched, and with ``assert_all_mocked=True`` (the fixture's default)
an unmatched request raises ``respx.models.AllMockedAssertionError`` instead of leaving the machine.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import httpx
import respx
from respx.router import Router

from .receiver import WebhookReceiver
from .server import ServerThread

GATEWAY = "gateway"

# The real base URLs (gateway.md §5.3, G1 ``getDefaultVideoProviderBaseUrl``), by vidmock service.
REAL_BASE_URLS: dict[str, tuple[str, ...]] = {
    GATEWAY: ("https://api.llmgateway.io",),
    "google-vertex": ("https://aiplatform.googleapis.com", "https://us-central1-aiplatform.googleapis.com"),
    "openai": ("https://api.openai.com",),
    "bytedance": ("https://ark.ap-southeast.bytepluses.com",),
}


def route_vidmock(
    router: respx.MockRouter,
    server: ServerThread,
    *,
    receiver: WebhookReceiver | None = None,
    base_urls: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, list[respx.Route]]:
    """Add routes to ``router``: the gateway's and each emulated provider's real hosts, vidmock's own
    loopback URL (signed content URLs, the control plane) and, if given, the receiver's URL.
    Returns the routes by service name, so a test can look at ``.calls``."""
    urls = base_urls or REAL_BASE_URLS
    runtime = server.runtime
    out: dict[str, list[respx.Route]] = {}
    for service, bases in urls.items():
        target = server.app if service == GATEWAY else runtime.emulators.get(service)
        if target is None:
            continue
        for base in bases:
            parts = urlsplit(base)
            route = router.route(scheme=parts.scheme, host=parts.hostname, name=f"vidmock:{service}:{parts.hostname}")
            route.side_effect = asgi_side_effect(target, server)
            out.setdefault(service, []).append(route)
    own = urlsplit(server.url)
    out["vidmock"] = [
        router.route(scheme=own.scheme, host=own.hostname, port=own.port, name="vidmock:loopback").mock(
            side_effect=asgi_side_effect(server.app, server)
        )
    ]
    if receiver is not None:
        hook = urlsplit(receiver.url)
        effect = (
            asgi_side_effect(receiver.asgi_app, server)
            if receiver.asgi_app is not None
            else receiver_side_effect(receiver)
        )
        out["receiver"] = [
            router.route(scheme=hook.scheme, host=hook.hostname, port=hook.port, name="vidmock:receiver").mock(
                side_effect=effect
            )
        ]
    return out


def asgi_side_effect(app: Any, server: ServerThread) -> Callable[[httpx.Request], Any]:
    """A respx side effect that answers from ``app``, run on the server's loop."""

    async def forward(method: str, url: str, headers: list[tuple[bytes, bytes]], body: bytes) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        response = await transport.handle_async_request(httpx.Request(method, url, headers=headers, content=body))
        content = await response.aread()
        await response.aclose()
        return httpx.Response(response.status_code, headers=response.headers.raw, content=content)

    def side_effect(request: httpx.Request) -> Any:
        args = (request.method, str(request.url), request.headers.raw, request.content)
        on_server = threading.current_thread() is server._thread
        if _is_async_resolution():
            if on_server:  # the gateway's own client, e.g. a provider_urls host routed back here
                return _respond(forward(*args), request)
            return _respond(server.arun(forward(*args)), request)
        if on_server:
            raise RuntimeError("a sync httpx request on vidmock's own event loop cannot be routed in-process")
        return _attach(server.run(forward(*args)), request)

    return side_effect


def receiver_side_effect(receiver: WebhookReceiver) -> Callable[[httpx.Request], httpx.Response]:
    def side_effect(request: httpx.Request) -> httpx.Response:
        status = receiver.handle(
            request.method, request.url.raw_path.decode(), request.headers.items(), request.content
        )
        return httpx.Response(status, request=request)

    return side_effect


async def _respond(pending: Any, request: httpx.Request) -> httpx.Response:
    return _attach(await pending, request)


def _attach(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    response.request = request
    return response


def _is_async_resolution() -> bool:
    """Whether respx is resolving this request for an async client (``Router.aresolve``) rather than
    a sync one (``Router.resolve``). The request object looks the same either way (its body is
    pre-read), so ask the caller's frames, a handful up."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(12):
        if frame is None:
            break
        owner = frame.f_locals.get("self")
        if isinstance(owner, Router):
            return frame.f_code.co_name == "aresolve"
        frame = frame.f_back
    raise RuntimeError("vidmock's respx side effect was called outside respx")
