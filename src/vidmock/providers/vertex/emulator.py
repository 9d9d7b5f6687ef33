"""The Vertex AI Veo emulator: routes and the HTTP adapter over ``models``.

Wire format per providers.md §3: ``:predictLongRunning`` to submit, ``:fetchPredictOperation`` to
poll (a plain GET of the operation name is a 404, as on the real service), Google's error envelope,
``?key=`` or ``Authorization: Bearer`` auth. Served on ``/v1/`` and on ``/v1beta1/``, which google-genai
3.x calls by default (changes-2026-12.md §4.2); any other path is Google's ``NOT_FOUND`` envelope.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...responses import JSONResponse
from ..base import EmulatorContext
from ..gcs.objects import put_object
from ..http import bearer_token
from ..kit.google import GoogleFrontEnd
from .errors import UNAUTHENTICATED, GoogleError, fault_error
from .models import DEFAULT_LATENCY, KIND, Operation, parse_predict_body

SERVICE = "google-vertex"
API_VERSIONS = ("v1", "v1beta1")  # /v1beta1/ is google-genai 3.x's default (changes-2026-12.md §4.2)


class VertexEmulator(GoogleFrontEnd):
    service = SERVICE
    max_body = 100 * 1024 * 1024
    submit_path = "/v1/publishers/google/models/veo-3.1-generate-001:predictLongRunning"

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = []
        for version in API_VERSIONS:
            routes += [
                Route(
                    f"/{version}/projects/{{project}}/locations/{{location}}/publishers/google/models/{{model_action}}",
                    self.model_action,
                    methods=["POST"],
                ),
                Route(f"/{version}/publishers/google/models/{{model_action}}", self.model_action, methods=["POST"]),
                Route(f"/{version}/{{name:path}}", self.get_operation, methods=["GET"]),
            ]
        return routes

    def error(self, status: int, code: str | None, message: str | None) -> GoogleError:
        return fault_error(status, code, message)

    def too_large(self) -> GoogleError:
        return GoogleError(413, "Request payload size exceeds the limit.")

    async def model_action(self, request: Request) -> Response:
        _authenticate(request)
        project = request.path_params.get("project")
        location = request.path_params.get("location")
        model, _, action = request.path_params["model_action"].rpartition(":")
        if action == "predictLongRunning":
            value, _problem = await self.read_json(request)
            faulted = await self.submit_fault(request, _prompt(value))
            return faulted or JSONResponse(await self.predict(request, project, location, model))
        if action == "fetchPredictOperation":
            return await self.fetch(request, model)
        raise GoogleError(404, f"Method '{action}' not found on publisher model.")

    async def predict(self, request: Request, project: str | None, location: str | None, model: str) -> dict[str, Any]:
        ctx = self.ctx
        prefix = f"projects/{project}/locations/{location}/" if project else ""
        latency = ctx.config.latency.get(model, DEFAULT_LATENCY.get(model))
        if latency is None or not model:
            raise GoogleError(
                404,
                f"Publisher Model `{prefix}publishers/google/models/{model}` was not found "
                "or your project does not have access to it.",
            )
        params = parse_predict_body(await self.json_body(request))
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

    async def fetch(self, request: Request, model: str) -> Response:
        body = await self.json_body(request)
        name = body.get("operationName") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            raise GoogleError(400, "operationName is required.")
        doc = self.ctx.store.get(KIND, name)
        if doc is None or f"/models/{model}/operations/" not in name:
            raise GoogleError(404, f"Operation {name} not found.")
        faulted = await self.status_fault(request, doc.get("plan"), name)
        return faulted or JSONResponse(await _render(Operation.from_doc(doc), self.ctx))

    async def get_operation(self, request: Request) -> Response:
        # Real Vertex answers a GET of a Veo operation name with 404; clients must use
        # fetchPredictOperation (providers.md §3.1 pitfall).
        raise GoogleError(
            404, "The requested operation was not found. Use fetchPredictOperation for Veo long-running operations."
        )


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


def _prompt(value: Any) -> str:
    """The prompt, for a `[scenario:NAME]` marker."""
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
