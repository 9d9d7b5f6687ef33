"""The ``vidmock`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .config import ConfigError, build_config, load_config_file

EPILOG = """\
exit codes: 0 ok · 1 runtime failure · 2 bad usage or configuration

examples:
  vidmock serve                              gateway on http://127.0.0.1:4001, key vm-dev-key
  vidmock serve --clock virtual              time moves only on POST /_vidmock/clock/advance
  vidmock serve --speed 60                   a minute of provider time per second
  vidmock serve --store vidmock.sqlite       durable state that survives a restart
"""


def _parser() -> argparse.ArgumentParser:
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
    # -- store and retention (issue 17) --
    serve.add_argument(
        "--retention",
        type=float,
        metavar="SECONDS",
        help="forget terminal jobs, their webhook attempts and provider records this long after they end "
        "(clock seconds; default 604800, the 7-day life of a signed content URL; 0 keeps everything)",
    )
    for module in _command_modules():
        module.register(sub)
    return parser


# Other subcommands live beside the code they drive; each module has ``register(subparsers)``, which
# adds its parser with ``set_defaults(handler=...)``; the handler takes the namespace and returns the
# exit code. Imported lazily so `vidmock serve` does not pay for the harness.
COMMAND_MODULES = ("vidmock.scenarios.cli", "vidmock.listen.cli", "vidmock.harness.cli")


def _command_modules() -> list[Any]:
    import importlib

    modules = []
    for name in COMMAND_MODULES:
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
        "retention_seconds": args.retention,
    }
    if args.speed is not None and args.clock is None:
        flags["clock"] = "scaled" if args.speed != 1 else "real"
    if args.api_key:
        from .config import Project

        flags["projects"] = (Project(id="proj_default", keys=tuple(args.api_key)),)
    return flags


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handler = getattr(args, "handler", None)
    if handler is not None:
        return int(handler(args))
    try:
        file_values = load_config_file(args.config) if args.config else {}
        config = build_config(file_values, dict(os.environ), _flags(args))
    except ConfigError as exc:
        print(f"vidmock: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from .server import build_app, tune_gc
    from .store import StoreError

    if args.provider:
        from .server import build_provider_app

        try:
            app = build_provider_app(config, args.provider)
        except KeyError as exc:
            print(f"vidmock: {exc.args[0]}", file=sys.stderr)
            return 2
        except StoreError as exc:  # a wrong DSN or an unreachable database: one line, exit 2
            print(f"vidmock: {exc}", file=sys.stderr)
            return 2
        print(
            f"vidmock {__version__}: {args.provider} emulator on {config.base_url} ({config.clock} clock)",
            file=sys.stderr,
        )
        tune_gc()
        uvicorn.run(app, host=config.host, port=config.port, log_level=args.log_level)
        return 0
    from .scenarios import ScenarioError, UnknownScenario

    if args.workers > 1:
        return _serve_workers(config, args)

    try:
        app = build_app(config)
    except (UnknownScenario, ScenarioError, StoreError) as exc:
        print(f"vidmock: {exc}", file=sys.stderr)
        return 2
    print(
        f"vidmock {__version__}: gateway on {config.base_url} ({config.clock} clock"
        f"{f', x{config.speed:g}' if config.clock == 'scaled' else ''}; "
        f"store {_store_name(config.store)}); control plane at {config.base_url}/_vidmock/",
        file=sys.stderr,
    )
    tune_gc()
    uvicorn.run(app, host=config.host, port=config.port, log_level=args.log_level)
    return 0


def _serve_workers(config: Any, args: argparse.Namespace) -> int:
    """Several processes, one job space: they share the SQLite store (WAL) and claim work atomically."""
    import uvicorn

    from .config import to_json
    from .server import CONFIG_ENV

    if not config.store:
        print(
            "vidmock: --workers needs --store FILE or --store postgresql://…: the processes share their state through it",
            file=sys.stderr,
        )
        return 2
    if config.clock == "virtual":
        print("vidmock: --workers needs a real or scaled clock: a virtual clock lives in one process", file=sys.stderr)
        return 2
    from .store import StoreError, open_store

    try:  # fail here, once, rather than in every worker process
        open_store(config.store).close()
    except StoreError as exc:
        print(f"vidmock: {exc}", file=sys.stderr)
        return 2
    os.environ[CONFIG_ENV] = to_json(config)
    print(
        f"vidmock {__version__}: gateway on {config.base_url} with {args.workers} worker processes "
        f"(store {_store_name(config.store)})",
        file=sys.stderr,
    )
    uvicorn.run(
        "vidmock.server:app_from_environment",
        factory=True,
        host=config.host,
        port=config.port,
        workers=args.workers,
        log_level=args.log_level,
    )
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
