"""The control plane under ``/_vidmock/``: reset, the clock, and JSON dumps of state.

Kept apart from every emulated API: nothing here exists on the real gateway.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .clock import Clock, ClockModeError
from .gateway.application.delivery import WebhookDispatcher
from .gateway.domain.jobs import JOB_KIND
from .journal import Journal
from .jsonutil import loads
from .masking import mask_doc
from .netaddr import is_loopback
from .requestlog import RequestLog
from .responses import JSONResponse
from .scenarios import ScenarioEngine, UnknownScenario
from .store import Store


def control_routes(
    store: Store,
    clock: Clock,
    journal: Journal,
    webhooks: WebhookDispatcher,
    scenarios: ScenarioEngine,
    requests: RequestLog | None = None,
) -> list[Route]:
    async def health(request: Request) -> Response:
        # The clock driver's state and lag make a stalled server visible (issue 12): "degraded"
        # when the driver of a real or scaled clock has stopped or failed; timer errors, which are
        # contained, are counted and the last one shown.
        clock_health = clock.health()
        healthy = clock_health["driver"] in ("manual", "running", "idle")
        return JSONResponse(
            {
                "ok": healthy,
                "status": "ok" if healthy else "degraded",
                "pid": os.getpid(),
                "clock": clock_health,
                "journal": journal.stats(),
            }
        )

    async def reset(request: Request) -> Response:
        store.reset()
        journal.clear()
        if requests is not None:  # the gateway's request journal (requestlog), cleared with the rest
            requests.clear()
        return JSONResponse({"reset": True})

    async def get_clock(request: Request) -> Response:
        return JSONResponse(clock.state())

    async def advance(request: Request) -> Response:
        try:
            body = loads(await request.body() or b"{}")
            seconds = body.get("seconds") if isinstance(body, dict) else None
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0 or seconds > 1e9:
                return _error(400, 'Expected a JSON body {"seconds": <non-negative number>}')
            await clock.advance(float(seconds))
        except (ValueError, RecursionError):
            return _error(400, "Invalid JSON in request body")
        except ClockModeError as exc:
            return _error(409, f"{exc} (this server runs the {clock.mode} clock; start it with --clock virtual)")
        return JSONResponse(clock.state())

    async def jobs(request: Request) -> Response:
        return JSONResponse({"jobs": [_public(d) for d in store.all(JOB_KIND)]})

    async def job(request: Request) -> Response:
        doc = store.get(JOB_KIND, request.path_params["job_id"])
        if doc is None:
            return _error(404, "Video not found")
        return JSONResponse(_public(doc))

    async def calls(request: Request) -> Response:
        service = request.query_params.get("service")
        entries = [e.as_dict() for e in list(journal.entries) if service is None or e.service == service]
        return JSONResponse({"calls": entries})

    async def deliveries(request: Request) -> Response:
        rows = webhooks.rows(request.query_params.get("job"))
        # Rows hold the signature, never the secret itself: safe to show, and what a developer
        # compares their own computation with. A token in the callback URL's query is masked.
        return JSONResponse({"deliveries": [_public_row(r) for r in rows]})

    async def scenario(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = loads(await request.body() or b"{}")
            except (ValueError, RecursionError):
                return _error(400, "Invalid JSON in request body")
            if (
                not isinstance(body, dict)
                or not isinstance(body.get("name"), (str, type(None)))
                or not isinstance(body.get("provider"), (str, type(None)))
            ):
                return _error(400, 'Expected {"name": <scenario or null>, "provider": <optional provider id>}')
            try:
                scenarios.set_default(body.get("name"), body.get("provider"))
            except UnknownScenario as exc:
                return _error(404, str(exc))
        return JSONResponse(
            {
                "default": scenarios.default,
                "providers": scenarios.provider_defaults,
                "available": sorted(scenarios.catalogue),
            }
        )

    return [
        Route("/health", health, methods=["GET"]),
        Route("/scenario", scenario, methods=["GET", "POST"]),
        Route("/webhooks", deliveries, methods=["GET"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/clock", get_clock, methods=["GET"]),
        Route("/clock/advance", advance, methods=["POST"]),
        Route("/jobs", jobs, methods=["GET"]),
        Route("/jobs/{job_id}", job, methods=["GET"]),
        Route("/calls", calls, methods=["GET"]),
    ]


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    """A job document for display: the callback secret and any token in the callback URL masked."""
    return mask_doc(doc)


def _public_row(row: dict[str, Any]) -> dict[str, Any]:
    # The request body stays as sent: it is what the signature covers and a developer checks.
    return mask_doc(row)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message}}, status_code=status)


class ControlGuard:
    """Guards ``/_vidmock/`` when the server listens beyond loopback: without a configured token the
    control plane is off; with one, each request must carry it (``Authorization: Bearer`` or
    ``X-Vidmock-Token``), compared in constant time. On loopback it is open, as a dev tool should be."""

    def __init__(self, app: Any, host: str, token: str | None) -> None:
        self.app, self.open, self.token = app, is_loopback(host), token

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.open or scope["type"] != "http" or not scope["path"].startswith("/_vidmock"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-vidmock-token") or headers.get("authorization", "").removeprefix("Bearer ").strip()
        if self.token is None:
            response = _error(
                403,
                "The control plane is off while vidmock listens beyond loopback; "
                "start it with --control-token to use it",
            )
        elif not hmac.compare_digest(given.encode(), self.token.encode()):
            response = _error(401, "A valid control-plane token is required (Authorization: Bearer or X-Vidmock-Token)")
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
