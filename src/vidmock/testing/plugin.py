"""The vidmock pytest plugin, loaded by pytest through the ``pytest11`` entry point.

Fixtures
  ``vidmock_server``    (session) vidmock on a free loopback port, virtual clock, served by uvicorn
                        in a background thread; ``.url``, ``.runtime``, ``.config``.
  ``vidmock``           (function) the control handle, on state reset before the test:
                        ``advance(s)``, ``wait_for_status(id, status)``, ``use_scenario(name)``,
                        ``journal()``, ``webhooks()``, ``jobs()``, ``video(id)``, ``client()``,
                        ``api_key``, ``url``, ``now()``.
  ``vidmock_receiver``  (function) a loopback webhook receiver (``vidmock listen``'s): ``.url``,
                        ``.secret``, ``.deliveries`` (each with ``.verdict.ok``), ``.events()``,
                        ``.respond_with(500, 500, 204)``.
  ``vidmock_respx``     (function) a respx router that sends ``https://api.llmgateway.io`` and the
                        providers' real hosts to vidmock in-process, no socket; anything unmatched
                        raises. Add your own routes to it as to any respx router.
  ``vidmock_config``    (session) ``{}``; override it in a conftest to change the shared server's
                        options (any ``ServerConfig`` field, as in a config file).

Marker
  ``@pytest.mark.vidmock(scenario=..., seed=..., providers=[...], webhook_scheme=..., bare_model=...,
  **any other server option)``. ``scenario`` picks a scenario for the test (``use_scenario``);
  any server option that differs from the shared server's gives the test its own vidmock.

This module imports only pytest and the standard library: the app, uvicorn, respx and PyAV load
inside the fixtures, so installing vidmock does not slow down anyone's pytest start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .receiver import WebhookReceiver
    from .server import ServerThread, VidmockHandle

MARKER = "vidmock"
ALIASES = {"scheme": "webhook_scheme", "signing_scheme": "webhook_scheme", "signing": "webhook_scheme"}
HANDLE_OPTIONS = ("scenario",)  # options that change the handle, not the server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "vidmock(scenario=None, seed=None, providers=None, webhook_scheme=None, bare_model=None, **options): "
        "per-test vidmock options; any server option that differs from the shared server's gives the test "
        "its own vidmock app",
    )


def marker_options(node: pytest.Item) -> dict[str, Any]:
    """Every ``vidmock`` marker's keyword arguments, the closest marker winning."""
    options: dict[str, Any] = {}
    for mark in reversed(list(node.iter_markers(MARKER))):  # farthest first, so the closest wins
        if mark.args:
            pytest.fail(f"@pytest.mark.vidmock takes keyword arguments only, got {mark.args!r}", pytrace=False)
        options.update({ALIASES.get(k, k): v for k, v in mark.kwargs.items()})
    return options


def server_options(options: dict[str, Any]) -> dict[str, Any]:
    """Marker or ``vidmock_config`` options as config-file values (``providers`` becomes
    ``disabled_providers``)."""
    out = {k: v for k, v in options.items() if k not in HANDLE_OPTIONS}
    providers = out.pop("providers", None)
    if providers is not None:
        from ..providers.registry import PLUGINS

        wanted = [providers] if isinstance(providers, str) else list(providers)
        unknown = sorted(set(wanted) - set(PLUGINS))
        if unknown:
            pytest.fail(f"vidmock: unknown provider(s) {unknown}; expected some of {sorted(PLUGINS)}", pytrace=False)
        out["disabled_providers"] = [p for p in PLUGINS if p not in wanted]
    return out


def make_config(options: dict[str, Any]) -> Any:
    from ..config import ConfigError, build_config

    try:
        # As a config file would give them; the environment is left out on purpose, so a developer's
        # VIDMOCK_PORT or VIDMOCK_CLOCK never changes what a test sees.
        from ..providers.registry import PLUGINS

        values = {"clock": "virtual", **server_options(options)}
        return build_config(values, {}, {}, file_name="vidmock marker or vidmock_config", providers=tuple(PLUGINS))
    except (ConfigError, TypeError) as exc:
        pytest.fail(f"vidmock: {exc}", pytrace=False)


def start_server(options: dict[str, Any]) -> ServerThread:
    from .server import ServerThread

    return ServerThread(make_config(options)).start()


@pytest.fixture(scope="session")
def vidmock_config() -> dict[str, Any]:
    """Options of the shared vidmock server; override in a conftest.py (``{"seed": 7}``)."""
    return {}


@pytest.fixture(scope="session")
def vidmock_server(vidmock_config: dict[str, Any]) -> Iterator[ServerThread]:
    """vidmock for the whole session: virtual clock, free loopback port, background thread."""
    server = start_server(vidmock_config)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def vidmock(request: pytest.FixtureRequest, vidmock_config: dict[str, Any]) -> Iterator[VidmockHandle]:
    """A control handle on a freshly reset vidmock (its own one when the marker asks for options)."""
    from .server import VidmockHandle

    options = marker_options(request.node)
    scenario = options.get("scenario", vidmock_config.get("scenario"))
    changes = server_options(options)
    shared = server_options(vidmock_config)
    own = any(shared.get(k, _MISSING) != v for k, v in changes.items())
    if own:
        server = start_server({**vidmock_config, **options})
    else:
        server = request.getfixturevalue("vidmock_server")
    handle = VidmockHandle(server)
    if not own:
        handle.reset()  # before the test, so a failed test's state is still there to look at
    if scenario is not None:
        handle.use_scenario(scenario)
    try:
        yield handle
    finally:
        handle.close()
        if own:
            server.stop()


_MISSING = object()
INSTALL_HINT = "pip install 'vidmock[test]' (from your vidmock checkout or wheel) or pip install {module}"


def optional(module: str, fixture: str) -> Any:
    """Import an optional dependency of one fixture, or fail the test with the install line, not a
    ModuleNotFoundError from inside the plugin."""
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        hint = INSTALL_HINT.format(module=module)
        pytest.fail(f"vidmock: the {fixture} fixture needs {module}, which is not installed: {hint}", pytrace=False)


@pytest.fixture
def vidmock_receiver(vidmock: VidmockHandle) -> Iterator[WebhookReceiver]:
    """A webhook receiver on a free loopback port (``vidmock listen``'s): pass ``.url`` and
    ``.secret`` as callback_url and callback_secret; it verifies each delivery at the wall time the
    gateway signs with (``Clock.wall_time``, in every clock mode) with the signing scheme in use, and answers 200 unless told otherwise (``respond_with``)."""
    from .receiver import WebhookReceiver

    receiver = WebhookReceiver(scheme=vidmock.config.webhook_scheme, now=vidmock.runtime.clock.wall_time)
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture
def vidmock_respx(request: pytest.FixtureRequest, vidmock: VidmockHandle) -> Iterator[Any]:
    """A started ``respx.MockRouter`` routing the gateway's and the providers' real base URLs to
    vidmock in-process. Unmatched requests raise ``AllMockedAssertionError``."""
    respx = optional("respx", "vidmock_respx")

    from .routing import route_vidmock

    receiver = request.getfixturevalue("vidmock_receiver") if "vidmock_receiver" in request.fixturenames else None
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        route_vidmock(router, vidmock.server, receiver=receiver)
        yield router
