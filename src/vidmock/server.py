"""Composition: one ASGI app with the gateway, every provider emulator, the control plane and the
published contract, all sharing one clock and one store.

``build_app(config)`` returns the app; ``app.state.vidmock`` is the ``Runtime`` handle (clock,
store, service, worker, journal) for tests and the pytest plugin. No globals: two apps in one
process are independent.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .clock import Clock
from .config import ServerConfig
from .control import ControlGuard, control_routes
from .errors import GatewayError, error_body
from .gateway.application.content import ContentSources
from .gateway.application.delivery import WebhookDispatcher
from .gateway.application.retention import Retention
from .gateway.application.routes import RequestIdMiddleware, gateway_routes
from .gateway.application.service import GatewayService, ProviderLink
from .gateway.application.worker import Worker
from .gateway.domain.catalogue import Catalogue
from .gateway.domain.jobs import signed_gcs_url
from .gateway.domain.releases import get_release
from .ids import IdFactory
from .inspector import inspector_routes
from .journal import Journal
from .media import MediaCache
from .netaddr import SelfCallGuard, is_loopback
from .providers.base import EmulatorContext, ProviderPlugin
from .providers.callbacks import dispatcher_of
from .providers.faults import InProcessTransport, UpstreamClient
from .providers.gcs import build_emulator as build_gcs
from .providers.inprocess import InProcessClient
from .providers.registry import PLUGINS
from .requestlog import RequestLog, RequestLogMiddleware, inspector_rows, request_routes
from .responses import JSONResponse
from .scenarios import ScenarioEngine
from .scenarios.model import load_file
from .shared import SharedSetup
from .store import Store, StoreUnavailable, open_store

CLOCK_META = "clock.virtual_now"
SCALED_META = "clock.scaled_origin"
CONTENT_SECRET_META = "gateway.content_secret"
CONFIG_ENV = "VIDMOCK_CONFIG_JSON"
PROVIDER_ENV = "VIDMOCK_PROVIDER"  # `serve --workers N --provider NAME`: each process serves that emulator alone
RETAINED_KINDS = ("openai.webhook_endpoint",)  # configuration documents retention never forgets


@dataclass
class Runtime:
    config: ServerConfig
    clock: Clock
    store: Store
    ids: IdFactory
    journal: Journal
    service: GatewayService
    worker: Worker
    webhooks: WebhookDispatcher
    scenarios: ScenarioEngine
    emulators: dict[str, Any]
    http_clients: list[httpx.AsyncClient] = field(default_factory=list)
    storage: Any = None  # the GCS stand-in (Vertex's output bucket)
    requests: RequestLog = field(default_factory=RequestLog)  # what the gateway received (requestlog)
    retention: Retention | None = None

    async def advance(self, seconds: float) -> float:
        return await self.clock.advance(seconds)

    async def aclose(self) -> None:
        for client in self.http_clients:
            await client.aclose()
        # The emulators' callback senders make their client on the first callback: close those too.
        for app in self.emulators.values():
            with contextlib.suppress(LookupError):
                await dispatcher_of(app).aclose()
        self.store.close()


def default_media_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vidmock" / "media"


def make_clock(config: ServerConfig, store: Store) -> Clock:
    if config.clock == "virtual":
        saved = store.get_meta(CLOCK_META)  # a durable store resumes virtual time where it stopped
        start = float(saved) if saved is not None else (config.start_time or None)
        clock = Clock.virtual(start) if start is not None else Clock.virtual()
        clock.after_advance.append(lambda now: store.set_meta(CLOCK_META, repr(now)))
        return clock
    if config.clock == "scaled":
        if config.store:
            # A durable (possibly shared) store anchors scaled time once, so every server process,
            # and a restart, reads the same clock.
            saved = store.get_meta(SCALED_META)
            if saved is None:
                import time

                store.set_meta(SCALED_META, f"{config.start_time or time.time()!r},{time.time()!r}")
                saved = store.get_meta(SCALED_META) or ""
            start, origin = (float(x) for x in saved.split(","))
            return Clock.shared_scaled(config.speed, start, origin)
        return Clock.scaled(config.speed, config.start_time)
    return Clock.real(config.start_time)


def content_secret(config: ServerConfig, store: Store) -> str:
    """The key of signed content URLs (gateway.md §1.6). A configured one is used as is. Otherwise a
    random one per start, so nobody can mint a token from a public default (issue 12); with a
    durable store it is kept in the store's meta, so a restart (and every ``--workers`` process)
    signs and verifies the same URLs. ``POST /_vidmock/reset`` forgets it with everything else."""
    if config.content_secret:
        return config.content_secret
    if config.store:
        saved = store.get_meta(CONTENT_SECRET_META)
        if saved:
            return saved
        store.set_meta(CONTENT_SECRET_META, secrets.token_urlsafe(32))
        return store.get_meta(CONTENT_SECRET_META) or ""
    return secrets.token_urlsafe(32)


def guard_callbacks(config: ServerConfig, webhooks: WebhookDispatcher, emulators: dict[str, Any]) -> None:
    """Every callback sender refuses URLs on this server's own control plane (``netaddr``)."""
    guard = SelfCallGuard(config.host, config.port, config.public_url)
    webhooks.refuse = guard
    for app in emulators.values():
        try:
            dispatcher_of(app).refuse = guard
        except LookupError:
            continue


def build_runtime(
    config: ServerConfig,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
    catalogue: Catalogue | None = None,
    media: MediaCache | None = None,
    standalone: str | None = None,
    shared: SharedSetup | None = None,
    plugins: Mapping[str, ProviderPlugin] = PLUGINS,
) -> Runtime:
    """The runtime of one server: the providers are ``plugins`` (the registry by default; a test
    passes its own mapping, e.g. ``registry.replacing(make_plugin(options))``); ``shared`` is the TLS
    context and parsed scenario files, reused across the apps one caller builds."""
    shared = shared if shared is not None else SharedSetup()
    store = store if store is not None else open_store(config.store)
    config = config.with_(content_secret=content_secret(config, store))
    clock = clock if clock is not None else make_clock(config, store)
    ids = IdFactory(store, config.seed)
    journal = Journal(limit=config.journal_entries, max_bytes=config.journal_bytes)
    media = (
        media
        if media is not None
        else MediaCache(Path(config.media_cache) if config.media_cache else default_media_dir())
    )
    release = get_release(config.gateway_release)  # UnknownRelease (a ConfigError) lists the known names
    catalogue = catalogue or release.catalogue()
    scenarios = ScenarioEngine.for_config(config, store, shared.loader(load_file))
    ctx = EmulatorContext(
        clock=clock,
        store=store,
        ids=ids,
        media=media,
        journal=journal,
        config=config,
        scenarios=scenarios,
        standalone=standalone,
    )
    emulators: dict[str, Any] = {}
    links: dict[str, ProviderLink] = {}
    clients: list[httpx.AsyncClient] = []
    for name, plugin in plugins.items():
        emulators[name] = plugin.build_emulator(ctx)
        url = config.provider_urls.get(name)
        # In-process by default: the gateway is a real HTTP client of the emulator, without a socket.
        timeout = config.upstream_timeout / clock.speed
        http: httpx.AsyncClient
        if url:
            # The scenario and seed headers are added per submit (``providers.faults.forwarding``).
            http = UpstreamClient(base_url=url, verify=shared.tls_context(), follow_redirects=False, timeout=timeout)
        else:
            # The upstream timeout holds in-process too: in wall time on real and scaled clocks, and
            # against scripted delays on the virtual clock (which cannot move inside a request).
            virtual = clock.mode == "virtual"
            http = InProcessClient(
                emulators[name],
                base_url=f"http://{name}.vidmock.internal",
                follow_redirects=False,
                timeout=timeout,
                clock_timeout=config.upstream_timeout if virtual else None,
                wall_timeouts=not virtual,
            )
        clients.append(http)
        links[name] = ProviderLink(plugin.build_client(config), http)
    service = GatewayService(config, store, clock, ids, catalogue, links, scenarios, release)
    worker = Worker(config, store, clock, ids, catalogue, links, release)
    webhooks = WebhookDispatcher(
        store,
        clock,
        ids,
        service.serialize_options,
        config.webhook_scheme,
        http=UpstreamClient(follow_redirects=False, verify=shared.tls_context()),
    )
    clients.append(webhooks.http)
    worker.on_finalized.append(webhooks.enqueue)
    guard_callbacks(config, webhooks, emulators)
    # Retention (issue 17.2): a registered webhook endpoint is configuration, never swept as idle.
    retention = Retention(
        store, clock, journal, webhooks, config.retention_seconds, config.job_timeout, keep=RETAINED_KINDS
    )
    worker.on_finalized.append(retention.schedule)
    worker.start()
    webhooks.start()
    retention.start()
    return Runtime(
        config,
        clock,
        store,
        ids,
        journal,
        service,
        worker,
        webhooks,
        scenarios,
        emulators,
        clients,
        build_gcs(ctx),
        retention=retention,
    )


def build_app(
    config: ServerConfig | None = None, *, plugins: Mapping[str, ProviderPlugin] = PLUGINS, **overrides: Any
) -> Starlette:
    """The whole server; its providers are ``plugins`` (data: the registry by default)."""
    config = config or ServerConfig()
    shared = overrides.pop("shared", None) or SharedSetup()
    runtime = build_runtime(config, shared=shared, plugins=plugins, **overrides)
    spec = resources.files("vidmock").joinpath("openapi.yaml").read_bytes()

    async def openapi(request: Request) -> Response:
        return Response(spec, media_type="application/yaml")

    # Absolute content URLs on this server (the emulators' own file routes) are fetched in-process;
    # any other URL goes over the network, which in practice means loopback.
    async def this_app(scope: Any, receive: Any, send: Any) -> None:
        await app(scope, receive, send)  # `app` is assigned below, before any request arrives

    # Faults on emulator file URLs (reset, truncate, hang) surface as httpx errors, as over a socket.
    local = httpx.AsyncClient(transport=InProcessTransport(this_app), base_url=config.base_url)
    remote = httpx.AsyncClient(follow_redirects=False, timeout=30.0, verify=shared.tls_context())
    runtime.http_clients += [local, remote]

    async def fetch_url(url: str, headers: dict[str, str]) -> httpx.Response:
        client = local if url.startswith(config.base_url + "/") else remote
        return await client.get(url, headers=headers, follow_redirects=False)

    def sign_storage_uri(uri: str) -> str | None:
        return signed_gcs_url(uri, runtime.clock.now(), runtime.service.serialize_options)

    content = ContentSources(runtime.store.get_blob, runtime.service.providers, fetch_url, sign_storage_uri)
    routes = [
        *gateway_routes(runtime.service, content),
        Route("/openapi.yaml", openapi, methods=["GET"]),
        *inspector_routes(
            runtime, requests=inspector_rows(runtime.requests, runtime.journal)
        ),  # /_vidmock/ui: before the /_vidmock mount, which would shadow it
        Mount(
            "/_vidmock",
            routes=[
                *control_routes(
                    runtime.store,
                    runtime.clock,
                    runtime.journal,
                    runtime.webhooks,
                    runtime.scenarios,
                    requests=runtime.requests,
                ),
                *request_routes(runtime.requests, runtime.journal),
            ],
        ),
        *(Mount(f"/providers/{name}", app=app) for name, app in runtime.emulators.items()),
        Mount("/providers/gcs", app=runtime.storage),  # Vertex's output bucket
    ]

    app = Starlette(
        routes=routes,
        lifespan=_clock_lifespan(runtime),
        exception_handlers={
            GatewayError: _gateway_error,
            HTTPException: _http_error,
            ClientDisconnect: _client_gone,
            StoreUnavailable: _store_unavailable,
            Exception: _server_error,
        },
    )
    app.router.redirect_slashes = False  # `/v1/videos/x/` is a 404 on the gateway, not a redirect
    app.add_middleware(RequestIdMiddleware, seed=config.seed)
    _guard(app, config)
    # Outermost, so requests the guard or the request-id layer refuse are journaled too.
    app.add_middleware(RequestLogMiddleware, log=runtime.requests, now=runtime.clock.now)
    app.state.vidmock = runtime
    return app


def _guard(app: Starlette, config: ServerConfig) -> None:
    """On loopback the control plane is open and the guard would only cost every request a layer."""
    if not is_loopback(config.host):
        app.add_middleware(ControlGuard, host=config.host, token=config.control_token)


async def _client_gone(request: Request, exc: Exception) -> Response:
    # The client hung up mid-body: nobody is left to answer, and it is not a server error.
    return Response(status_code=400)


def _clock_lifespan(runtime: Runtime) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Only the clock driver lives with the lifespan: test clients enter and leave the lifespan
        # many times, so the store and provider clients stay open until ``runtime.aclose()``.
        driver = asyncio.create_task(runtime.clock.drive())
        try:
            yield
        finally:
            driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await driver

    return lifespan


async def _gateway_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GatewayError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse(error_body(exc.status_code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)


async def _store_unavailable(request: Request, exc: Exception) -> Response:
    # The database is restarting or unreachable: nothing was written, the store reconnects by itself,
    # and the client may retry (issue 17.1). A 503 in the gateway's envelope, never a hang or a 500.
    message = "The service is temporarily unavailable (its database cannot be reached); retry shortly"
    return JSONResponse(error_body(503, message), status_code=503, headers={"Retry-After": "1"})


async def _server_error(request: Request, exc: Exception) -> Response:
    return JSONResponse(error_body(500, "Internal server error"), status_code=500)


def build_provider_app(
    config: ServerConfig, provider: str, plugins: Mapping[str, ProviderPlugin] = PLUGINS, **overrides: Any
) -> Starlette:
    """One provider's emulator alone at the root, with the control plane beside it, so a team can
    point its own gateway's base URL for that provider here."""
    if provider not in plugins:
        raise KeyError(f"unknown provider {provider!r}; expected one of {', '.join(sorted(plugins))}")
    runtime = build_runtime(config, standalone=provider, plugins=plugins, **overrides)
    emulator = runtime.emulators[provider]

    app = ProviderApp(
        routes=[
            Mount(
                "/_vidmock",
                routes=[
                    *control_routes(runtime.store, runtime.clock, runtime.journal, runtime.webhooks, runtime.scenarios),
                    *request_routes(runtime.requests, runtime.journal),
                ],
            ),
            Mount("/", app=emulator),
        ],
        lifespan=_clock_lifespan(runtime),
    )
    app.emulator = emulator
    _guard(app, config)
    app.state.vidmock = runtime
    return app


# -- issue 17: the standalone emulator's hot path (bench/emulators.py) --
class ProviderApp(Starlette):
    """``build_provider_app``'s app. A call outside ``/_vidmock`` goes straight to the emulator, as
    ``Mount("/")`` would send it (same path, root path and empty path parameters): the outer app's
    middleware and router cost every poll about a third of the emulator's own time and add nothing
    there (the emulator has its own error handling; ``ControlGuard`` passes such calls through)."""

    emulator: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.emulator is not None and scope["type"] == "http" and not scope["path"].startswith("/_vidmock"):
            scope["app"] = self
            scope.setdefault("app_root_path", scope.get("root_path", ""))
            scope["path_params"] = {}
            await self.emulator(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def app_from_environment() -> Starlette:
    """The factory each uvicorn worker process calls (``vidmock serve --workers N [--provider NAME]``)."""
    from .config import from_json

    config = from_json(os.environ[CONFIG_ENV])
    provider = os.environ.get(PROVIDER_ENV)
    app = build_provider_app(config, provider) if provider else build_app(config)
    tune_gc()
    return app


def tune_gc() -> None:
    """Garbage-collector settings for a server process (``vidmock serve``; not for library use,
    where the process belongs to someone else).

    With thousands of live jobs the default thresholds ran a full collection every few hundred
    milliseconds, each walking every object: 15 % of the 10,000-job benchmark. Everything built at
    start-up (modules, catalogue, emulators) is frozen out of collection, and the young generation is
    collected every 10,000 allocations instead of 700; memory is still reclaimed, just in bigger steps.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)
