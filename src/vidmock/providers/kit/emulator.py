"""``Emulator``: the base every provider emulator stands on (what moto's ``BaseResponse`` is for its
services).

A provider subclasses it and declares only what is its own: ``service``, its route table
(``routes``, data: one ``Route`` per endpoint, handlers as methods), its error envelope (``error``,
returning its ``ProviderError`` subclass) and its limits. The kit gives every emulator the same:

- errors rendered once, by exception handlers registered on the app by class (``ProviderError``,
  a body the kit could not read, an unknown scenario, Starlette's 404/405);
- unknown routes and wrong methods answered in the provider's envelope and status, and no slash
  redirects (a trailing slash, plain or ``%2F``, is an unknown route, never a 307);
- the journal, the body limit (a declared ``Content-Length`` over it refused at once, a streamed
  body cut off) and body parsing (JSON, multipart);
- named steps for what every provider does: ``submit_fault`` (a create), ``status_fault`` (a poll),
  ``content_fault`` (a download) and ``callbacks`` (the dispatcher a provider may run).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...scenarios import UnknownScenario
from ..base import EmulatorContext
from ..callbacks import attach
from ..faults import ErrorBody, fault_response, wait_meter
from ..http import JournalMiddleware
from .bodies import Form, parse_json, read_bytes, read_form
from .errors import BadBody, BodyTooLarge, ProviderError
from .limits import DEFAULT_MAX_BODY, BodyLimit

STATE_ID = "emulator_request_id"  # request.state key of the provider's request id


class Emulator:
    """One provider's emulator over an ``EmulatorContext``; ``app()`` is its ASGI app."""

    service: ClassVar[str]
    max_body: ClassVar[int] = DEFAULT_MAX_BODY  # the provider's own limit; the context's may be lower
    request_id_header: ClassVar[str | None] = None  # a header carrying the request id on every answer
    submit_path: ClassVar[str] = ""  # the create call's path (the submit step), for the conformance suite

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx
        self.base_url = ctx.public_url(self.service)

    # -- what each provider declares ---------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def error(self, status: int, code: str | None, message: str | None) -> ProviderError:
        """The provider's error for an HTTP status (scenario faults, unknown routes, limits);
        ``code`` and ``message`` as a scenario gives them, None for the provider's defaults."""
        raise NotImplementedError

    def example_headers(self) -> dict[str, str]:
        """Headers a well-formed call carries (credentials a fresh emulator accepts), so the shared
        conformance suite (tests/test_provider_kit.py) gets past authentication to the body."""
        return {"Authorization": "Bearer vidmock-example-key"}

    def new_request_id(self) -> str | None:
        """A fresh id for one request, for providers that put one on their answers."""
        return None

    def callbacks(self) -> Any:
        """The callback dispatcher this provider runs (started with the app), or None."""
        return None

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """Middleware of the provider's own around its app (inside the journal), e.g. a header on
        every answer; none by default."""
        return app

    # -- how the kit's own refusals read; override where the provider words them its own way ---------
    def route_not_found(self, request: Request) -> ProviderError:
        return self.error(404, None, "Not Found")

    def method_not_allowed(self, request: Request) -> ProviderError:
        return self.error(405, None, "Method Not Allowed")

    def too_large(self) -> ProviderError:
        return self.error(413, None, "The request body is too large.")

    def unreadable(self, request: Request, problem: BadBody) -> ProviderError:
        """A body that does not parse (``problem.status`` 400) or is over a limit (413)."""
        if problem.status == 413:
            return self.too_large()
        return self.error(400, None, "The request body is not valid JSON.")

    def unknown_scenario(self, exc: UnknownScenario) -> ProviderError:
        return self.error(400, None, str(exc))

    def render(self, request: Request, exc: ProviderError) -> Response:
        return exc.response(self.request_id(request))

    # -- per-request helpers ----------------------------------------------------------------------
    def request_id(self, request: Request) -> str | None:
        """This request's id (made on first use, then the same for the whole request)."""
        state = request.scope.setdefault("state", {})
        if STATE_ID not in state:
            state[STATE_ID] = self.new_request_id()
        value = state[STATE_ID]
        return value if isinstance(value, str) else None

    def fault_body(self, request: Request) -> ErrorBody:
        """How a scripted fault's body reads on this provider's wire."""
        return lambda status, code, message: self.error(status, code, message).body(self.request_id(request))

    @property
    def body_limit(self) -> int:
        return min(self.max_body, self.ctx.limits.max_body_bytes)

    async def read_json(self, request: Request) -> tuple[Any, ProviderError | None]:
        """(value, None), or (None, the provider's error) for a body that is unreadable: returned,
        not raised, because a scripted submit fault is answered before a bad body is."""
        try:
            return parse_json(await read_bytes(request, self.body_limit)), None
        except BadBody as problem:
            return None, self.unreadable(request, problem)

    async def json_body(self, request: Request) -> Any:
        value, problem = await self.read_json(request)
        if problem is not None:
            raise problem
        return value

    async def form(self, request: Request) -> Form:
        """A multipart/form-data body (``BadBody`` when it is not one or breaks a limit)."""
        return await read_form(request, self.ctx.limits, self.body_limit)

    # -- the steps every provider has ---------------------------------------------------------------
    async def submit_body(self, request: Request, prompt_of: Callable[[Any], Any]) -> tuple[Any, Response | None]:
        """A create's body and scripted fault, in the order every provider answers them: (value, None)
        to create, or (None, the fault's response). The fault comes first, as a transport failure would,
        so a bad body is raised only after it (in the provider's envelope, ``unreadable``);
        ``prompt_of(value)`` finds the prompt for a ``[scenario:NAME]`` marker in a body not yet checked."""
        value, problem = await self.read_json(request)
        faulted = await self.submit_fault(request, prompt_of(value))
        if faulted is not None:
            return None, faulted
        if problem is not None:
            raise problem
        return value, None

    async def submit_fault(self, request: Request, prompt: Any) -> Response | None:
        """A create's scripted fault, rendered; None to create normally. An unknown scenario name
        raises ``UnknownScenario`` (a 400 in the envelope, from the handler)."""
        fault = self.ctx.scenarios.submit_fault(
            self.service, request.headers, prompt if isinstance(prompt, str) else ""
        )
        if fault is None:  # the common case: no fault body to build (some read the URL for it)
            return None
        return await fault_response(fault, self.fault_body(request), self.ctx.clock, wait_meter(request.scope))

    def take_fault(self, plan: dict[str, Any] | None, step: str, key: str) -> dict[str, Any] | None:
        return self.ctx.scenarios.take_fault((plan or {}).get("faults") or {}, step, key)

    async def status_fault(self, request: Request, plan: dict[str, Any] | None, key: str) -> Response | None:
        """A poll's scripted fault for job ``key``, rendered; None to answer normally."""
        fault = self.take_fault(plan, "poll", key)
        if fault is None:  # the common case, on every poll: no fault body to build
            return None
        return await fault_response(fault, self.fault_body(request), self.ctx.clock, wait_meter(request.scope))

    async def content_fault(
        self, request: Request, plan: dict[str, Any] | None, key: str, body: ErrorBody | None = None
    ) -> tuple[Response | None, dict[str, Any] | None]:
        """A download's scripted fault: (its response or None, the fault, for ``truncated``)."""
        fault = self.take_fault(plan, "content", key)
        if fault is None:
            return None, None
        body = body or self.fault_body(request)
        return await fault_response(fault, body, self.ctx.clock, wait_meter(request.scope)), fault

    # -- the app -------------------------------------------------------------------------------------
    def app(self) -> ASGIApp:
        """The emulator's ASGI app: routes, handlers by class, body limit, request ids, journal."""
        starlette = Starlette(
            routes=self.routes(),
            exception_handlers={
                ProviderError: self._provider_error,
                BadBody: self._bad_body,
                BodyTooLarge: self._body_too_large,
                UnknownScenario: self._unknown_scenario,
                HTTPException: self._http_error,
            },
        )
        starlette.router.redirect_slashes = False  # `/v1/videos/` is an unknown route, not a 307
        inner: ASGIApp = self.wrap(BodyLimit(starlette, self.body_limit, self._refuse))
        if self.request_id_header is not None:
            inner = RequestIdHeader(inner, self, self.request_id_header)
        app = EmulatorApp(JournalMiddleware(inner, self.service, self.ctx.journal, self.ctx.clock), self)
        dispatcher = self.callbacks()
        if dispatcher is not None:
            attach(app, dispatcher)
            dispatcher.start()  # a restart with a durable store resumes pending callbacks
        return app

    async def _refuse(self, scope: Scope) -> Response:
        return self.render(Request(scope), self.too_large())

    async def _provider_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProviderError)
        return self.render(request, exc)

    async def _bad_body(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadBody)
        return self.render(request, self.unreadable(request, exc))

    async def _body_too_large(self, request: Request, exc: Exception) -> Response:
        return self.render(request, self.too_large())

    async def _unknown_scenario(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnknownScenario)
        return self.render(request, self.unknown_scenario(exc))

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return self.render(request, self.route_not_found(request))
        if exc.status_code == 405:
            response = self.render(request, self.method_not_allowed(request))
            if exc.headers and "allow" in {k.lower() for k in exc.headers}:
                response.headers.update(exc.headers)
            return response
        return self.render(request, self.error(exc.status_code, None, exc.detail))


class EmulatorApp:
    """The ASGI app of one emulator, with the ``Emulator`` it was built from (for tests and tools)."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app, self.emulator = app, emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class RequestIdHeader:
    """Puts the provider's request id (``Emulator.request_id``) on every answer under ``header``."""

    def __init__(self, app: ASGIApp, emulator: Emulator, header: str) -> None:
        self.app, self.emulator, self.header = app, emulator, header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self.emulator.request_id(Request(scope)) or ""

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != self.header]
                message = {**message, "headers": [*headers, (self.header, request_id.encode("latin-1"))]}
            await send(message)

        await self.app(scope, receive, send_with_id)
