"""Shared fixtures: an in-process vidmock on the virtual clock, and an httpx client for it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from hypothesis import settings
from pg import pg_cluster, pg_dsn  # noqa: F401  (the PostgreSQL fixtures: tests/pg.py)

from vidmock.clock import Clock
from vidmock.config import Project, ServerConfig
from vidmock.ids import IdFactory
from vidmock.journal import Journal
from vidmock.media import MediaCache
from vidmock.providers.base import EmulatorContext
from vidmock.scenarios import ScenarioEngine, load_file
from vidmock.server import Runtime, build_app
from vidmock.shared import SharedSetup
from vidmock.store import MemoryStore

# Hypothesis profiles. No deadline in either: a deadline is a wall-clock assertion, and this suite runs
# on a shared two-core machine. In CI every property test sees the same examples (derandomize), so a red
# build is reproducible locally with CI=true, and a failure prints the blob that replays it.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True, database=None)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev"))

# Set-up every app in this test process shares: the TLS context and the parsed scenario files
# (`vidmock.shared`). One per process, so each xdist worker has its own; nothing in it is mutable.
SHARED = SharedSetup()

KEY = "vm-test-key"
OTHER_KEY = "vm-other-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> MediaCache:
    # One cache for the whole run: each distinct clip is rendered once.
    return MediaCache(tmp_path_factory.mktemp("media"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_config(**changes: Any) -> ServerConfig:
    projects = (
        Project(id="proj_a", keys=(KEY,), inactive_keys=("vm-disabled-key",)),
        Project(id="proj_b", keys=(OTHER_KEY,)),
        Project(id="proj_archived", keys=("vm-archived-key",), archived=True),
    )
    return ServerConfig(**{"clock": "virtual", "projects": projects, **changes})


# A test module (or test) pinned to a gateway release: ``pytestmark = pytest.mark.gateway_release("pre-2026-03")``.
# Apps built through ``make_app`` without an explicit ``gateway_release`` then emulate that release (issue 14).
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gateway_release(name): build apps for this gateway release")


def pinned_release(request: pytest.FixtureRequest) -> str | None:
    marker = request.node.get_closest_marker("gateway_release")
    return None if marker is None else str(marker.args[0])


@pytest.fixture
def make_app(media: MediaCache, request: pytest.FixtureRequest) -> Callable[..., Any]:
    release = pinned_release(request)

    def factory(config: ServerConfig | None = None, **kw: Any) -> Any:
        config = config or test_config()
        if release is not None and config.gateway_release is None:
            config = config.with_(gateway_release=release)
        return build_app(config, media=media, **{"shared": SHARED, **kw})

    return factory


@pytest.fixture
async def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def runtime(app: Any) -> Runtime:
    return app.state.vidmock


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as c:
        yield c


def make_ctx(media: MediaCache, **config: Any) -> EmulatorContext:
    """An emulator's context on its own (virtual clock, memory store), for testing one emulator alone."""
    store = MemoryStore()
    server_config = ServerConfig(clock="virtual", **config)
    return EmulatorContext(
        clock=Clock.virtual(),
        store=store,
        ids=IdFactory(store, 0),
        media=media,
        journal=Journal(),
        config=server_config,
        scenarios=ScenarioEngine.for_config(server_config, store, SHARED.loader(load_file)),
    )
