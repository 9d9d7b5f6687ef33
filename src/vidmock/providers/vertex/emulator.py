"""The Vertex AI Veo emulator: routes and the HTTP adapter over ``models``.

Wire format per providers.md §3: ``:predictLongRunning`` to submit, ``:fetchPredictOperation`` to
poll (a plain GET of the operation name is a 404, as on the real service), Google's error envelope,
``?key=`` or ``Authorization: Bearer`` auth.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...responses import JSONResponse
from ..base import EmulatorContext
from ..faults import fault_response, submit_fault_response
from ..gcs.objects import put_object
from ..http import bearer_token, journaled, read_json
from .errors import UNAUTHENTICATED, GoogleError
from .models import DEFAULT_LATENCY, KIND, Operation, parse_predict_body

SERVICE = "google-vertex"
MAX_BODY = 100 * 1024 * 1024


def build_emulator(ctx: EmulatorContext) -> Starlette:
    async def model_action(request: Request) -> Response:
        try:
            _authenticate(request)
            project = request.path_params.get("project")
            location = request.path_params.get("location")
            model, _, action = request.path_params["model_action"].rpartition(":")
            if action == "predictLongRunning":
                faulted = await submit_fault_response(
                    ctx, SERVICE, request.headers, await _prompt(request), _google_body
                )
                return faulted or JSONResponse(await _predict(request, project, location, model))
            if action == "fetchPredictOperation":
                result = await _fetch(request, model)
                return result if isinstance(result, Response) else JSONResponse(result)
            raise GoogleError(404, f"Method '{action}' not found on publisher model.")
        except GoogleError as err:
            return err.response()

    async def _predict(request: Request, project: str | None, location: str | None, model: str) -> dict[str, Any]:
        prefix = f"projects/{project}/locations/{location}/" if project else ""
        latency = ctx.config.latency.get(model, DEFAULT_LATENCY.get(model))
        if latency is None or not model:
            raise GoogleError(
                404,
                f"Publisher Model `{prefix}publishers/google/models/{model}` was not found "
                "or your project does not have access to it.",
            )
        params = parse_predict_body(await _body(request))
        name = f"{prefix}publishers/google/models/{model}/operations/{ctx.ids.uuid('vertex.op')}"
        plan = ctx.scenarios.plan(SERVICE, request.headers, params["prompt"], latency, name)
        op = Operation(
            name=name,
            model=model,
            created_at=ctx.clock.now(),
            latency=latency,
            plan=plan.to_doc(),
            **{**params, "seed": params["seed"] or plan.seed},
        )
        ctx.store.put(KIND, op.name, op.to_doc())
        return await _render(op, ctx)

    async def _fetch(request: Request, model: str) -> Any:
        body = await _body(request)
        name = body.get("operationName") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            raise GoogleError(400, "operationName is required.")
        doc = ctx.store.get(KIND, name)
        if doc is None or f"/models/{model}/operations/" not in name:
            raise GoogleError(404, f"Operation {name} not found.")
        fault = ctx.scenarios.take_fault((doc.get("plan") or {}).get("faults") or {}, "poll", name)
        faulted = await fault_response(fault, _google_body, ctx.clock)
        if faulted is not None:
            return faulted
        return await _render(Operation.from_doc(doc), ctx)

    async def get_operation(request: Request) -> Response:
        # Real Vertex answers a GET of a Veo operation name with 404; clients must use
        # fetchPredictOperation (providers.md §3.1 pitfall).
        return GoogleError(
            404, "The requested operation was not found. Use fetchPredictOperation for Veo long-running operations."
        ).response()

    routes = [
        Route(
            "/v1/projects/{project}/locations/{location}/publishers/google/models/{model_action}",
            model_action,
            methods=["POST"],
        ),
        Route("/v1/publishers/google/models/{model_action}", model_action, methods=["POST"]),
        Route("/v1/{name:path}", get_operation, methods=["GET"]),
    ]
    return journaled(Starlette(routes=routes), SERVICE, ctx)


async def _render(op: Operation, ctx: EmulatorContext) -> dict[str, Any]:
    now = ctx.clock.now()
    if op.plan_status(now) == "completed" and not op.blocked():
        # Made (or found in memory) before the synchronous render uses them; with an output bucket
        # the videos are written there, as Vertex does, for the gateway to read through signed URLs.
        for spec, uri in zip(op.video_specs(), op.object_uris(), strict=False):
            data = await ctx.media.aget(spec)
            if op.storage_uri:
                put_object(ctx.store, uri, data, "video/mp4", now)
    return op.render(now, ctx.media)


def _google_body(status: int, code: str | None, message: str | None) -> dict[str, Any]:
    return GoogleError(
        status, message or _DEFAULT_MESSAGES.get(status, "The service is currently unavailable.")
    ).response_body()


_DEFAULT_MESSAGES = {
    429: "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model "
    "with base model: veo-3.1-generate-001. Please submit a quota increase request.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


async def _prompt(request: Request) -> str:
    """The prompt, for a `[scenario:NAME]` marker; the body is cached, so reading it twice is free."""
    value, _ = await read_json(request, MAX_BODY)
    try:
        return str(value["instances"][0].get("prompt", ""))
    except (TypeError, KeyError, IndexError, AttributeError):
        return ""


def _authenticate(request: Request) -> None:
    if bearer_token(request):
        return
    # Parsing the query only when it can hold a key: this runs on every poll.
    if b"key=" in request.scope.get("query_string", b"") and request.query_params.get("key"):
        return
    raise UNAUTHENTICATED


async def _body(request: Request) -> Any:
    value, problem = await read_json(request, MAX_BODY)
    if problem == "too_large":
        raise GoogleError(413, "Request payload size exceeds the limit.")
    if problem:
        raise GoogleError(400, "Invalid JSON payload received.")
    return value
