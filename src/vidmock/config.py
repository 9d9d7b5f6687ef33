"""Server options: one dataclass, filled from defaults, a YAML file, ``VIDMOCK_*`` variables and flags.

Everything is explicit state handed to ``build_app``; nothing here is global.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from .netaddr import url_host

DEFAULT_API_KEY = "vm-dev-key"
DEFAULT_PORT = 4001


@dataclass(frozen=True)
class Project:
    """A gateway project: its API keys and the organisation settings that change behaviour."""

    id: str
    keys: tuple[str, ...] = ()
    inactive_keys: tuple[str, ...] = ()  # known but disabled: the "not active" 401
    credits: float | None = None  # None: BYOK / api-keys mode, no credit gate (§2.1)
    archived: bool = False  # 410 "Project has been archived…"
    devpass: bool = False  # coding-plan org: 403 on create (§2 row 1)
    zero_data_retention: bool = False  # §2 row 2
    retention: str = "retain"  # "none": Vertex without a bucket is refused (§2 row 16)
    # Issue 14 (changes-2026-12.md §3.2, §5): BYOK provider keys, e.g. {"google-vertex": {"google_vertex_project_id":
    # "p"}}, and the gateway content filter's settings for this project (vidmock.gateway.application.moderation reads them).
    provider_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    content_filter: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Project:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"projects: unknown key(s) {sorted(unknown)}; expected some of {sorted(known)}")
        if "id" not in data:
            raise ConfigError("projects: each project needs an 'id'")
        values = dict(data)
        for key in ("keys", "inactive_keys"):
            values[key] = tuple(str(k) for k in values.get(key, ()))
        return cls(**values)


def default_projects() -> tuple[Project, ...]:
    return (Project(id="proj_default", keys=(DEFAULT_API_KEY,)),)


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str | None = None  # base of signed content URLs; default http://host:port
    clock: str = "real"  # real | scaled | virtual
    speed: float = 1.0
    start_time: float | None = None  # virtual clock epoch (unix seconds)
    seed: int = 0
    store: str | None = None  # SQLite file or postgresql:// DSN; None = memory
    media_cache: str | None = None  # directory for rendered MP4s; None = memory only
    projects: tuple[Project, ...] = field(default_factory=default_projects)
    bare_model: bool = False  # `model` without the provider prefix (older gateway)
    include_usage: bool = True  # `usage` once finalized (G1); False = G3–G5
    content_secret: str = ""  # "": random per start, kept in the store's meta with --store (README)
    control_token: str | None = None  # required for /_vidmock/ when bound beyond loopback
    poll_interval: float = 5.0  # VIDEO_JOB_POLL_INTERVAL_SECONDS
    job_timeout: float = 3600.0  # VIDEO_JOB_TIMEOUT_SECONDS
    worker_batch: int | None = None  # jobs claimed per loop; None = all due (real gateway: 25)
    max_body_bytes: int = 64 * 1024 * 1024
    # Routing metrics the gateway scores providers with (gateway.md §5.1 "weighted-score"); others count as 99.5.
    provider_uptime: dict[str, float] = field(default_factory=lambda: {"avalanche": 70.0})
    scenario: str | None = None  # server-wide default scenario
    provider_scenarios: dict[str, str] = field(default_factory=dict)  # provider -> default scenario
    scenarios_dir: str | None = None  # a folder of scenario YAML files; default: the bundled catalogue
    upstream_timeout: float = 30.0  # the gateway's timeout for upstream calls (clock seconds)
    openai_extended: bool = False  # Sora: also accept 16/20 s and 1080p (newer guide text, providers.md §1.2)
    # OpenAI Videos API as after its 2026-09-24 shutdown (changes-2026-12.md §4.1; answer unverified). Issue 14.
    openai_shutdown: bool = False
    # Seedance 2.5 draft mode on the Ark emulator (changes-2026-12.md §4.6; third-party docs only). Issue 14.
    seedance_draft: bool = False
    webhook_scheme: str = "llmgateway"  # llmgateway | standard | stripe | github (vidmock.webhooks.SCHEMES)
    provider_urls: dict[str, str] = field(default_factory=dict)  # provider -> real base URL
    disabled_providers: tuple[str, ...] = ()  # configured without credentials
    latency: dict[str, float] = field(default_factory=dict)  # upstream model -> seconds to render
    # Vertex output bucket (LLM_GOOGLE_VERTEX_VIDEO_OUTPUT_BUCKET): Vertex writes videos there and the
    # gateway serves them through signed GCS URLs; unset, videos come back inline (gateway.md §5.3).
    vertex_output_bucket: str | None = None  # gs://bucket/prefix
    google_cloud_project: str = "vidmock-runtime-project"  # GOOGLE_CLOUD_PROJECT, used with a bucket
    gcs_endpoint: str | None = None  # signed URLs point here; default: this server's GCS stand-in
    gcs_hmac_access_id: str = "GOOG1EVIDMOCKHMACKEY"
    gcs_hmac_secret: str = "vidmock-gcs-hmac-secret"
    # Which release of the real gateway to emulate (vidmock.gateway.domain.releases; None: the newest). Issue 14.
    gateway_release: str | None = None
    # -- server limits (issue 12; README "Reliability"): wall-time network limits live in the server
    # layer (``vidmock.serving``), never in domain code.
    max_header_bytes: int = 16 * 1024  # request line + headers; more: 400 and the connection closed
    max_headers: int = 100  # header fields per request
    header_timeout: float = 10.0  # wall seconds from connection (or request start) to complete headers
    body_timeout: float = 30.0  # wall seconds a request body may stall between chunks
    keep_alive_timeout: int = 5  # wall seconds an idle keep-alive connection is kept
    max_connections: int = 4096  # open connections; beyond it uvicorn answers 503 (limit_concurrency)
    journal_entries: int = 5000  # calls kept in /_vidmock/calls
    journal_bytes: int = 32 * 1024 * 1024  # bytes the journal may hold (bodies are truncated)
    # -- retention (issue 17.2) --
    # Terminal jobs, their webhook attempts and idle provider records are forgotten this many clock
    # seconds after they end: 7 days, the life of the content URL token (gateway.md §1.6), after
    # which a finished job's video can no longer be fetched anyway. 0 keeps everything.
    retention_seconds: float = 7 * 24 * 3600.0

    @property
    def base_url(self) -> str:
        # An IPv6 --host goes into URLs in brackets: http://[::1]:4001
        return (self.public_url or f"http://{url_host(self.host)}:{self.port}").rstrip("/")

    def with_(self, **changes: Any) -> ServerConfig:
        return replace(self, **changes)


class ConfigError(Exception):
    """Bad options. ``problems`` holds each one (``vidmock.settings.Problem``) when they were checked."""

    def __init__(self, message: str, problems: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


_ENV_PREFIX = "VIDMOCK_"


def load_config_file(path: str | Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def build_config(
    file_values: dict[str, Any],
    env: dict[str, str],
    flags: dict[str, Any],
    *,
    file_name: str = "config file",
    providers: Sequence[str] = (),
) -> ServerConfig:
    """Defaults < config file < environment < command-line flags. Every value is checked first
    (``vidmock.settings``; provider ids against ``providers`` when given); all problems are raised
    together in one ``ConfigError``."""
    from .settings import Problem, SettingsError, check, label

    by_name = {f.name: f for f in fields(ServerConfig)}
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    problems: list[Problem] = []
    for key, value in file_values.items():
        name = str(key).replace("-", "_")
        if name not in by_name:
            known = ", ".join(sorted(by_name))
            problems.append(Problem(f"unknown option {key!r} (in {file_name})", f"one of {known}", shown=False))
            continue
        values[name], origins[name] = value, file_name
    for name, f in by_name.items():
        raw = env.get(_ENV_PREFIX + name.upper())
        if raw is not None and name not in (
            "projects",
            "provider_urls",
            "latency",
            "provider_scenarios",
            "provider_uptime",
        ):
            values[name], origins[name] = _coerce(name, raw, f.default), "env"
    for name, value in flags.items():
        if value is not None:
            values[name], origins[name] = value, "flag"
    problems += check(values, origins, typing.get_type_hints(ServerConfig), providers)
    if "projects" in values:
        projects = values["projects"]
        if not isinstance(projects, (list, tuple)):
            problems.append(Problem(label("projects", origins["projects"]), "a list of projects", projects))
        else:
            try:
                values["projects"] = tuple(p if isinstance(p, Project) else _project(p) for p in projects)
            except ConfigError as exc:
                problems.append(Problem(label("projects", origins["projects"]), str(exc), projects))
    if problems:
        raise ConfigError(str(SettingsError(problems)), problems)
    if "disabled_providers" in values:
        values["disabled_providers"] = tuple(values["disabled_providers"])
    config = ServerConfig(**values)
    check_limits(config)
    if not 0 <= config.retention_seconds < float("inf"):
        raise ConfigError(f"retention_seconds: expected a number of seconds >= 0, got {config.retention_seconds!r}")
    return config


def _project(data: Any) -> Project:
    if not isinstance(data, dict):
        raise ConfigError("a mapping with an 'id' and 'keys'")
    return Project.from_dict(data)


def check_limits(config: ServerConfig) -> None:
    """Security and limit options that would silently weaken the server are configuration errors."""
    if config.control_token is not None and not config.control_token.strip():
        raise ConfigError("control_token: must not be empty (an empty token would leave the control plane open)")
    for name in ("max_header_bytes", "max_headers", "max_connections", "journal_entries", "journal_bytes"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name}: expected a positive integer, got {value!r}")
    for name in ("header_timeout", "body_timeout", "keep_alive_timeout"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 86400:
            raise ConfigError(f"{name}: expected a number of seconds in (0, 86400], got {value!r}")


_FLOATS = {"speed", "start_time", "poll_interval", "job_timeout", "upstream_timeout", "retention_seconds"}
_INTS = {"port", "seed", "worker_batch", "max_body_bytes"}
# Server limits (issue 12), from VIDMOCK_* variables.
_FLOATS |= {"header_timeout", "body_timeout"}
_INTS |= {
    "max_header_bytes",
    "max_headers",
    "keep_alive_timeout",
    "max_connections",
    "journal_entries",
    "journal_bytes",
}


def _coerce(name: str, raw: str, default: Any) -> Any:
    """A ``VIDMOCK_*`` string as the option's type; left as the string when it does not parse, so
    ``settings.check`` reports it with the others."""
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if name in _INTS:
            return int(raw)
        if name in _FLOATS:
            return float(raw)
    except ValueError:
        return raw
    if name == "disabled_providers":
        return tuple(p for p in raw.split(",") if p)
    return raw


def to_json(config: ServerConfig) -> str:
    """The whole configuration as JSON, to hand to server processes started by uvicorn."""
    import json
    from dataclasses import asdict

    return json.dumps(asdict(config))


def from_json(text: str) -> ServerConfig:
    import json

    return build_config(json.loads(text), {}, {})


def from_environment() -> ServerConfig:
    return build_config({}, dict(os.environ), {})
