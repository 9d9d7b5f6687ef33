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
from vidmock.server import Runtime, build_app
from vidmock.store import MemoryStore

# In CI every property test sees the same examples, so a red build is reproducible locally with CI=true.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

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


@pytest.fixture
def make_app(media: MediaCache) -> Callable[..., Any]:
    def factory(config: ServerConfig | None = None, **kw: Any) -> Any:
        return build_app(config or test_config(), media=media, **kw)

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
    return EmulatorContext(
        clock=Clock.virtual(),
        store=store,
        ids=IdFactory(store, 0),
        media=media,
        journal=Journal(),
        config=ServerConfig(clock="virtual", **config),
    )
