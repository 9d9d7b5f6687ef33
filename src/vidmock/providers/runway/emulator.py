"""The Runway API emulator: routes and the HTTP adapter over ``params`` and ``models``.

Wire format per providers.md §9: ``POST /v1/{text_to_video,image_to_video,video_to_video,
video_upscale}`` answer ``{"id", "estimatedCost"}``; ``GET /v1/tasks/{id}`` polls; ``DELETE
/v1/tasks/{id}`` cancels or deletes and answers 204 with no body. Every ``/v1`` call needs
``Authorization: Bearer <key>`` (401 otherwise; any non-empty key unless ``RunwayOptions.api_keys``
is set) and then ``X-Runway-Version: 2024-11-06`` (400 when missing or unsupported; the check order
and texts are (chosen)). Output URLs point at ``/files/{id}.mp4?_jwt=…`` on this emulator, served
without auth like Runway's CDN, with byte ranges, 403 once the token has expired. Unknown paths and
methods answer 404 and 405 in Runway's envelope. Runway sends no webhooks (§9.5), so there are none.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...media import VideoSpec
from ...responses import JSONResponse
from ...scenarios import UnknownScenario
from ..base import EmulatorContext
from ..faults import fault_response, submit_fault_response, truncated
from ..http import journaled, ranged_response, read_json
from .errors import MESSAGES, TASK_NOT_FOUND, RunwayError, error_body
from .models import ACTIVE, KIND, SLOTS, VERSION, RunwayOptions, Task, check_url_token, sign_url_token, slot_start
from .params import parse_create
from .specs import ENDPOINTS, MODELS

SERVICE = "runway"
MAX_BODY = 32 * 1024 * 1024  # data URIs are at most 16 MB (video_upscale); room for a few of them


def build_emulator(ctx: EmulatorContext, options: RunwayOptions | None = None) -> Starlette:
    opts = options or RunwayOptions()
    base_url = ctx.public_url(SERVICE)
    # Signs the output URLs; derived from the server seed so every process of one server agrees.
    secret = hashlib.sha256(f"vidmock-runway:{ctx.config.seed}".encode()).digest()

    def guard(request: Request) -> str:
        """The caller's organisation (a digest of its key), after the auth and version checks."""
        auth = request.headers.get("authorization", "")
        key = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not key:
            raise RunwayError(401, "No API key was provided. Pass it in the Authorization header as a Bearer token.")
        if opts.api_keys and key not in opts.api_keys:
            raise RunwayError(401, MESSAGES[401])
        if opts.versions:
            version = request.headers.get("x-runway-version")
            if not version:
                raise RunwayError(400, f"The X-Runway-Version header is required (for example {VERSION}).")
            if version not in opts.versions:
                raise RunwayError(
                    400, f"Unsupported X-Runway-Version {version!r}. Supported versions: {', '.join(opts.versions)}."
                )
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def load(task_id: str) -> Task:
        doc = ctx.store.get(KIND, task_id)
        task = Task.from_doc(doc) if doc is not None else None
        # Aborted and deleted tasks can't be fetched again (§9.1).
        if task is None or task.deleted_at is not None or (task.cancelled_at is not None and not opts.keep_cancelled):
            raise RunwayError(404, TASK_NOT_FOUND)
        return task

    def throttle(owner: str, task_id: str, model: str, now: float, finishes_after: float | None) -> float:
        if opts.concurrency is None:
            return now
        slot_id = f"{owner}:{model}"
        slots = (ctx.store.get(SLOTS, slot_id) or {}).get("slots") or []
        start, live = slot_start(slots, now, opts.concurrency)
        live.append([task_id, None if finishes_after is None else start + finishes_after])
        ctx.store.put(SLOTS, slot_id, {"slots": live})
        return start

    def free_slot(task: Task, now: float) -> None:
        slot_id = f"{task.owner}:{task.model}"
        doc = ctx.store.get(SLOTS, slot_id)
        if doc is not None:
            ctx.store.put(SLOTS, slot_id, {"slots": [[i, now if i == task.id else end] for i, end in doc["slots"]]})

    def create_route(endpoint: str) -> Any:
        async def create(request: Request) -> Response:
            try:
                owner = guard(request)
                value, problem = await read_json(request, MAX_BODY)
                prompt = value.get("promptText") if isinstance(value, dict) else None
                faulted = await submit_fault_response(ctx, SERVICE, request.headers, prompt, error_body)
                if faulted is not None:
                    return faulted
                if problem == "too_large":
                    raise RunwayError(413, MESSAGES[413])
                if problem:
                    raise RunwayError(400, "The request body is not valid JSON.")
                fields = parse_create(endpoint, value, opts.strict_fields)
                latency = ctx.config.latency.get(fields.model, MODELS[fields.model].latency)
                task_id = ctx.ids.uuid("runway.task")
                plan = ctx.scenarios.plan(SERVICE, request.headers, fields.prompt, latency, task_id)
                now = ctx.clock.now()
                start = throttle(owner, task_id, fields.model, now, plan.finishes_at)
                task = Task(
                    id=task_id,
                    endpoint=endpoint,
                    model=fields.model,
                    created_at=now,
                    prompt=fields.prompt,
                    width=fields.width,
                    height=fields.height,
                    duration=fields.duration,
                    audio=fields.audio,
                    seed=plan.seed if fields.seed is None else fields.seed,
                    estimate=fields.estimate,
                    cost=fields.cost,
                    plan=plan.to_doc(),
                    owner=owner,
                    start_at=start,
                )
                ctx.store.put(KIND, task_id, task.to_doc())
                return JSONResponse({"id": task_id, "estimatedCost": {"credits": fields.estimate}})
            except RunwayError as err:
                return err.response()
            except UnknownScenario as exc:  # a vidmock header or prompt marker naming no scenario: the caller's error
                return RunwayError(400, str(exc)).response()

        return create

    def output_url(task: Task, now: float) -> str | None:
        if not task.output_available(now):
            return None  # (chosen) past the output's retention a task keeps SUCCEEDED with no URL
        until = task.available_until()
        expires = now + opts.url_ttl if until is None else min(now + opts.url_ttl, until)
        return f"{base_url}/files/{task.id}.mp4?_jwt={sign_url_token(secret, task.id, expires)}"

    async def get_task(request: Request) -> Response:
        try:
            guard(request)
            task = load(request.path_params["task_id"])
        except RunwayError as err:
            return err.response()
        fault = ctx.scenarios.take_fault(task.plan.get("faults") or {}, "poll", task.id)
        faulted = await fault_response(fault, error_body, ctx.clock)
        if faulted is not None:
            return faulted
        now = ctx.clock.now()
        return JSONResponse(task.render(now, output_url(task, now)))

    async def delete_task(request: Request) -> Response:
        try:
            guard(request)
            task = load(request.path_params["task_id"])
        except RunwayError as err:
            return err.response()
        now = ctx.clock.now()
        status, _ = task.status_at(now)
        if status in ACTIVE:  # running, pending or throttled: cancel
            task.cancelled_at, task.cancelled_running = now, status == "RUNNING"
            if opts.concurrency is not None:
                free_slot(task, now)
        else:  # finished (or already cancelled and kept): delete
            task.deleted_at = now
        ctx.store.put(KIND, task.id, task.to_doc())
        return Response(status_code=204)

    async def task_route(request: Request) -> Response:
        return await (delete_task(request) if request.method == "DELETE" else get_task(request))

    async def output_file(request: Request) -> Response:
        name = request.path_params["name"]
        doc = ctx.store.get(KIND, name[:-4]) if name.endswith(".mp4") else None
        if doc is None:
            return RunwayError(404, MESSAGES[404]).response()
        task, now = Task.from_doc(doc), ctx.clock.now()
        token = request.query_params.get("_jwt")
        problem = check_url_token(secret, token, task.id, now) if token else "The URL is not signed."
        if problem is not None:
            return RunwayError(403, problem).response()
        if not task.output_available(now):
            return RunwayError(404, "The output of this task is no longer available.").response()
        fault = ctx.scenarios.take_fault(task.plan.get("faults") or {}, "content", task.id)
        faulted = await fault_response(fault, error_body, ctx.clock)
        if faulted is not None:
            return faulted
        data = await ctx.media.aget(VideoSpec(task.width, task.height, task.duration, task.audio, task.seed))
        return truncated(fault, data, ctx.clock, "video/mp4") or ranged_response(request, data)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        headers = getattr(exc, "headers", None)
        return JSONResponse({"error": MESSAGES.get(status, "The request failed.")}, status_code=status, headers=headers)

    routes = [Route(f"/v1/{endpoint}", create_route(endpoint), methods=["POST"]) for endpoint in ENDPOINTS]
    routes += [
        Route("/v1/tasks/{task_id}", task_route, methods=["GET", "DELETE"]),  # one route: a 405 allows both
        Route("/files/{name}", output_file, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: http_error, 405: http_error})
    journaled(app, SERVICE, ctx)
    return app
