"""The inspector's routes under ``{prefix}/ui``: the jobs, one job, and the small JSON state the
page polls for live refresh. Mounted before the ``/_vidmock`` control mount, which would shadow them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..gateway.domain.jobs import JOB_KIND
from ..responses import JSONResponse
from .jobindex import JobFilter
from .request_log import RequestSource, journal_requests
from .state import state, version
from .views import render_index, render_job, render_missing

if TYPE_CHECKING:
    from ..server import Runtime

# The HTML is rendered per request from live state: a cached page would hide what live refresh shows.
NO_STORE = {"Cache-Control": "no-store"}


def inspector_routes(runtime: Runtime, prefix: str = "/_vidmock", requests: RequestSource | None = None) -> list[Route]:
    """``requests`` feeds the "Requests" panel (see ``request_log``); by default the journal of
    calls the provider emulators received."""
    ui = f"{prefix}/ui"
    source = requests if requests is not None else journal_requests(runtime.journal)

    async def index(request: Request) -> Response:
        flt = JobFilter.from_query(request.query_params)
        html = render_index(runtime, prefix, flt, source(), version(runtime, source))
        return HTMLResponse(html, headers=NO_STORE)

    async def job(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        doc = runtime.store.get(JOB_KIND, job_id)
        if doc is None:
            return HTMLResponse(
                render_missing(runtime, prefix, job_id, version(runtime, source)), status_code=404, headers=NO_STORE
            )
        base_url = str(request.base_url).rstrip("/")
        return HTMLResponse(render_job(runtime, doc, prefix, base_url, version(runtime, source)), headers=NO_STORE)

    async def live(request: Request) -> Response:
        return JSONResponse(state(runtime, source), headers=NO_STORE)

    return [
        Route(ui, index, methods=["GET"]),
        Route(ui + "/", index, methods=["GET"]),
        Route(ui + "/state", live, methods=["GET"]),
        Route(ui + "/jobs/{job_id}", job, methods=["GET"]),
    ]
