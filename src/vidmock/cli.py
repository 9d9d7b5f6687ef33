"""The ``vidmock`` command line."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .config import ConfigError, build_config, load_config_file
from .gateway.domain.releases import RELEASES
from .netaddr import bind

EPILOG = """\
exit codes: 0 ok · 1 runtime failure · 2 bad usage or configuration (every problem listed)
            · 3 cannot listen on HOST:PORT (port in use, no permission)

examples:
  vidmock serve                              gateway on http://127.0.0.1:4001, key vm-dev-key
  vidmock serve --clock virtual              time moves only on POST /_vidmock/clock/advance
  vidmock serve --speed 60                   a minute of provider time per second
  vidmock serve --store vidmock.sqlite       durable state that survives a restart
"""


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vidmock",
        description="A local, faithful stand-in for the LLMGateway video API and its providers.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vidmock {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = sub.add_parser(
        "serve",
        help="run the gateway emulator and every provider emulator",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--config", metavar="FILE", help="YAML file with any server option (see README)")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 4001)")
    serve.add_argument("--public-url", help="base URL put in signed content URLs (default http://HOST:PORT)")
    serve.add_argument("--clock", choices=("real", "scaled", "virtual"), help="clock mode (default real)")
    serve.add_argument("--speed", type=float, help="time multiplier; implies --clock scaled when > 1")
    serve.add_argument("--start-time", type=float, help="virtual clock start, unix seconds")
    serve.add_argument("--seed", type=int, help="seed for every random choice (default 0)")
    serve.add_argument(
        "--store",
        metavar="FILE|DSN",
        help="durable state: a SQLite file, or a postgresql:// DSN shared by several machines (default: in memory)",
    )
    serve.add_argument("--media-cache", metavar="DIR", help="where rendered MP4s are cached")
    serve.add_argument(
        "--api-key", action="append", metavar="KEY", help="accept this API key for the default project (repeatable)"
    )
    serve.add_argument(
        "--bare-model",
        action="store_true",
        default=None,
        help="show `model` without the provider prefix (older gateway)",
    )
    serve.add_argument("--job-timeout", type=float, help="worker timeout in seconds (default 3600)")
    serve.add_argument(
        "--control-token",
        metavar="TOKEN",
        help="token for /_vidmock/ when --host is not loopback (otherwise the control plane is off)",
    )
    serve.add_argument(
        "--workers", type=int, default=1, help="server processes sharing one --store (real or scaled clock only)"
    )
    serve.add_argument("--scenario", metavar="NAME", help="default scenario for every job (vidmock scenarios list)")
    serve.add_argument(
        "--provider",
        metavar="NAME",
        help="serve only this provider's emulator at the root (e.g. google-vertex, openai, bytedance)",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    # Issue 14: which release of the real gateway to emulate (vidmock.gateway.domain.releases).
    serve.add_argument(
        "--gateway-release",
        metavar="NAME",
        help="release of the real gateway to emulate: 2026-12 (default, today's) or pre-2026-03 (Sora, Avalanche)",
    )
    # -- limits and security (issue 12; README "Reliability") --
    limits = serve.add_argument_group("limits (README: Reliability)")
    limits.add_argument("--content-secret", metavar="SECRET", help="key of signed content URLs (default: random)")
    limits.add_argument("--max-header-bytes", type=int, help="request line + headers, bytes (default 16384)")
    limits.add_argument("--max-headers", type=int, help="header fields per request (default 100)")
    limits.add_argument("--header-timeout", type=float, help="wall seconds to send complete headers (default 10)")
    limits.add_argument("--body-timeout", type=float, help="wall seconds a body may stall (default 30)")
    limits.add_argument("--keep-alive-timeout", type=int, help="idle keep-alive seconds (default 5)")
    limits.add_argument("--max-connections", type=int, help="open connections (default 4096)")
    limits.add_argument("--journal-entries", type=int, help="calls kept in /_vidmock/calls (default 5000)")
    limits.add_argument("--journal-bytes", type=int, help="bytes the call journal may hold (default 32 MiB)")
    # -- store and retention (issue 17) --
    serve.add_argument(
        "--retention",
        type=float,
        metavar="SECONDS",
        help="forget terminal jobs, their webhook attempts and provider records this long after they end "
        "(clock seconds; default 604800, the 7-day life of a signed content URL; 0 keeps everything)",
    )
    for module in _command_modules(command):
        module.register(sub)
    return parser


# Other subcommands live beside the code they drive; each module has ``register(subparsers)``, which
# adds its parser with ``set_defaults(handler=...)``; the handler takes the namespace and returns the
# exit code. Imported lazily so `vidmock serve` does not pay for the harness.
COMMAND_MODULES = ("vidmock.scenarios.cli", "vidmock.listen.cli", "vidmock.harness.cli", "vidmock.record.cli")


# A command that needs only its own module: `vidmock check` skips the others, which import every provider
# and PyAV (~0.3 s of CPU on each run of the harness, issue 15 item 8).
SOLE_MODULE = {"check": "vidmock.harness.cli"}


def _command_modules(command: str | None = None) -> list[Any]:
    import importlib

    modules = []
    for name in (SOLE_MODULE[command],) if command in SOLE_MODULE else COMMAND_MODULES:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise  # a real missing dependency inside the module, not an absent module
    return modules


def _flags(args: argparse.Namespace) -> dict[str, Any]:
    flags: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "public_url": args.public_url,
        "clock": args.clock,
        "speed": args.speed,
        "start_time": args.start_time,
        "seed": args.seed,
        "store": args.store,
        "media_cache": args.media_cache,
        "bare_model": args.bare_model,
        "job_timeout": args.job_timeout,
        "scenario": args.scenario,
        "control_token": args.control_token,
        "gateway_release": args.gateway_release,
        "retention_seconds": args.retention,
    }
    # -- limits and security (issue 12) --
    for name in (
        "content_secret",
        "max_header_bytes",
        "max_headers",
        "header_timeout",
        "body_timeout",
        "keep_alive_timeout",
        "max_connections",
        "journal_entries",
        "journal_bytes",
    ):
        flags[name] = getattr(args, name, None)
    if args.speed is not None and args.clock is None:
        flags["clock"] = "scaled" if args.speed != 1 else "real"
    if args.api_key:
        from .config import Project

        flags["projects"] = (Project(id="proj_default", keys=tuple(args.api_key)),)
    return flags


LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
EXIT_USAGE = 2
EXIT_CANNOT_LISTEN = 3


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = _parser(words[0] if words else None)
    args = parser.parse_args(words)
    if args.command is None:
        parser.print_help()
        return 2
    handler = getattr(args, "handler", None)
    if handler is not None:
        return int(handler(args))
    return _serve(args)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"vidmock: {message}", file=sys.stderr)
    return code


def _load(args: argparse.Namespace) -> Any:
    """The checked configuration (``vidmock.settings``): every problem at once in one ConfigError."""
    from .providers.registry import PLUGINS
    from .settings import Problem, SettingsError

    file_values = load_config_file(args.config) if args.config else {}
    extra: list[Problem] = []  # options of the command itself, not of the server
    if args.workers < 1:
        extra.append(Problem("--workers", "a whole number >= 1", args.workers))
    if args.log_level.lower() not in LOG_LEVELS:
        extra.append(Problem("--log-level", f"one of {', '.join(LOG_LEVELS)}", args.log_level))
    if args.provider and args.provider not in PLUGINS:
        extra.append(Problem("--provider", f"one of {', '.join(sorted(PLUGINS))}", args.provider))
    try:
        config = build_config(
            file_values,
            dict(os.environ),
            _flags(args),
            file_name=args.config or "config file",
            providers=tuple(PLUGINS),
        )
        if config.gateway_release is not None and config.gateway_release not in RELEASES:
            extra.append(Problem("gateway_release", f"one of {', '.join(RELEASES)}", config.gateway_release))
    except ConfigError as exc:
        if not extra or not exc.problems:
            raise
        raise ConfigError(str(SettingsError(exc.problems + extra))) from exc
    if extra:
        raise ConfigError(str(SettingsError(extra)))
    return config


def banner(config: Any, what: str) -> str:
    """The start-up line, true to what is served: the control plane is announced only when it is on."""
    from .netaddr import is_loopback

    clock = f"{config.clock} clock{f', x{config.speed:g}' if config.clock == 'scaled' else ''}"
    if is_loopback(config.host):
        control = f"control plane at {config.base_url}/_vidmock/"
    elif config.control_token:
        control = f"control plane at {config.base_url}/_vidmock/ (token required)"
    else:
        control = "control plane off (listening beyond loopback without --control-token)"
    return f"vidmock {__version__}: {what} on {config.base_url} ({clock}; store {_store_name(config.store)}); {control}"


def _serve(args: argparse.Namespace) -> int:
    try:
        config = _load(args)
    except ConfigError as exc:
        return _fail(str(exc))
    import uvicorn

    from .scenarios import ScenarioError, UnknownScenario
    from .server import build_app, build_provider_app, tune_gc
    from .serving import raise_fd_limit, uvicorn_options
    from .store import StoreError

    if args.workers > 1:
        return _serve_workers(config, args)
    try:
        sock = bind(config.host, config.port)
    except OSError as exc:
        return _fail(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}", EXIT_CANNOT_LISTEN)
    try:
        try:
            app = build_provider_app(config, args.provider) if args.provider else build_app(config)
        except (UnknownScenario, ScenarioError, StoreError) as exc:  # StoreError: a wrong DSN, an unreachable database
            return _fail(str(exc))
        except (OSError, sqlite3.Error) as exc:  # --store or --media-cache that cannot be opened
            return _fail(f"cannot open the store or media cache: {exc}")
        print(banner(config, f"{args.provider} emulator" if args.provider else "gateway"), file=sys.stderr)
        tune_gc()
        raise_fd_limit()
        options = uvicorn_options(config)  # limits, timeouts, the masking access log (vidmock.serving)
        server = uvicorn.Server(
            uvicorn.Config(app, host=config.host, port=config.port, log_level=args.log_level, **options)
        )
        server.run(sockets=[sock])
    finally:
        sock.close()
    return 0


def _run_uvicorn(app: Any, config: Any, args: argparse.Namespace, **extra: Any) -> None:
    """uvicorn with the server limits and the masking access log (``vidmock.serving``)."""
    import uvicorn

    from .serving import raise_fd_limit, uvicorn_options

    raise_fd_limit()
    uvicorn.run(app, host=config.host, port=config.port, log_level=args.log_level, **uvicorn_options(config), **extra)


def _serve_workers(config: Any, args: argparse.Namespace) -> int:
    """Several processes, one job space: they share the SQLite store (WAL) and claim work atomically."""
    from .config import to_json
    from .server import CONFIG_ENV, PROVIDER_ENV

    if not config.store:
        print(
            "vidmock: --workers needs --store FILE or --store postgresql://…: the processes share their state through it",
            file=sys.stderr,
        )
        return 2
    if config.clock == "virtual":
        print("vidmock: --workers needs a real or scaled clock: a virtual clock lives in one process", file=sys.stderr)
        return 2
    try:
        bind(config.host, config.port).close()  # a port in use is reported before the banner
    except OSError as exc:
        return _fail(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}", EXIT_CANNOT_LISTEN)
    if not config.content_secret:
        # Decided once, in the store, before the processes start: they must all sign alike.
        from .server import content_secret
        from .store import open_store

        store = open_store(config.store)
        config = config.with_(content_secret=content_secret(config, store))
        store.close()
    from .store import StoreError, open_store

    try:  # fail here, once, rather than in every worker process
        open_store(config.store).close()
    except StoreError as exc:
        print(f"vidmock: {exc}", file=sys.stderr)
        return 2
    os.environ[CONFIG_ENV] = to_json(config)
    if args.provider:
        os.environ[PROVIDER_ENV] = args.provider
    else:
        os.environ.pop(PROVIDER_ENV, None)
    what = f"{args.provider} emulator" if args.provider else "gateway"
    print(
        f"vidmock {__version__}: {what} on {config.base_url} with {args.workers} worker processes "
        f"(store {_store_name(config.store)})",
        file=sys.stderr,
    )
    _run_uvicorn("vidmock.server:app_from_environment", config, args, factory=True, workers=args.workers)
    return 0


def _store_name(location: str | None) -> str:
    """The store as the start-up line shows it: never a database password."""
    from .store import is_postgres

    if is_postgres(location):
        from .store.postgres import describe

        return describe(location or "")
    return location or "memory"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
