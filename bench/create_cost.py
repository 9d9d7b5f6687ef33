"""Where a create's time goes, inside the app (no socket, no uvicorn): microseconds per request.

Run: python bench/create_cost.py [--requests 4000]
Prints one JSON object.

Each figure is the mean over ``--requests`` ASGI calls made directly to ``build_app`` (virtual clock,
memory store), after a warm-up:

* ``post_us``: ``POST /v1/videos`` as served: validation, routing, pricing, the job record, and the
  upstream call to the in-process Vertex emulator (its own routes, journal, operation record);
* ``post_without_upstream_us``: the same with the provider client's ``submit`` replaced by a stub
  that returns at once: the gateway's own share;
* ``upstream_us``: the difference: the HTTP exchange with the emulator and the emulator's work;
* ``get_us``: ``GET /v1/videos/{id}`` of an existing job.

What a route may cost inside the app to reach a throughput target follows from the bare-Starlette
floor: at F req/s the framework and server take 1/F s per request, so N req/s leaves 1/N - 1/F.
bench/run.py prints that budget next to these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from typing import Any

from vidmock.config import ServerConfig
from vidmock.providers.base import SubmitResult
from vidmock.server import build_app

BODY = b'{"prompt": "a red fox in snow", "seconds": 4}'  # the body bench/run.py posts
HEADERS = [
    (b"host", b"127.0.0.1:4001"),
    (b"authorization", b"Bearer vm-dev-key"),
    (b"content-type", b"application/json"),
]


async def call(app: Any, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [*HEADERS, (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 4001),
    }
    sent = False
    out: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        out.append(message)

    await app(scope, receive, send)
    return out[0]["status"], b"".join(m.get("body", b"") for m in out[1:])


async def mean_us(app: Any, n: int, method: str, path: str, body: bytes = b"") -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        status, _ = await call(app, method, path, body)
    assert status == 200, status
    return (time.perf_counter() - t0) / n * 1e6


async def run(n: int) -> dict[str, Any]:
    app = build_app(ServerConfig(clock="virtual", media_cache=tempfile.mkdtemp(prefix="vidmock-bench-media-")))
    runtime = app.state.vidmock
    for _ in range(300):  # warm-up: caches, first-use imports
        status, body = await call(app, "POST", "/v1/videos", BODY)
    video_id = json.loads(body)["id"]
    post = await mean_us(app, n, "POST", "/v1/videos", BODY)
    get = await mean_us(app, n, "GET", f"/v1/videos/{video_id}")
    link = runtime.service.providers["google-vertex"]
    real_submit = link.client.submit

    async def stub(http: Any, ctx: Any) -> SubmitResult:
        return SubmitResult(
            upstream_id="publishers/google/models/veo-3.1-generate-001/operations/stub",
            status="queued",
            progress=0,
            raw={"name": "stub"},
        )

    link.client.submit = stub
    try:
        alone = await mean_us(app, n, "POST", "/v1/videos", BODY)
    finally:
        link.client.submit = real_submit
    await runtime.aclose()
    return {
        "requests": n,
        "post_us": round(post, 1),
        "post_without_upstream_us": round(alone, 1),
        "upstream_us": round(post - alone, 1),
        "get_us": round(get, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.requests))))


if __name__ == "__main__":
    main()
