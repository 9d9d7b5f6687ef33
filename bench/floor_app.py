"""The framework floor: a bare Starlette app answering the two benchmarked routes with fixed JSON.

Run: python bench/floor_app.py PORT  (uvicorn, the same loop/parser selection as `vidmock serve`).
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

VIDEO = {
    "id": "xQ77EBBnH1DjQaFlhKPZN",
    "object": "video",
    "model": "google-vertex/veo-3.1-generate-preview",
    "status": "queued",
    "progress": 0,
    "created_at": 1773600000,
    "completed_at": None,
    "expires_at": None,
    "error": None,
}


async def create(request: Request) -> JSONResponse:
    await request.body()  # read the body, as any real handler must
    return JSONResponse(VIDEO)


async def retrieve(request: Request) -> JSONResponse:
    return JSONResponse({**VIDEO, "id": request.path_params["video_id"]})


app = Starlette(
    routes=[Route("/v1/videos", create, methods=["POST"]), Route("/v1/videos/{video_id}", retrieve, methods=["GET"])]
)

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
