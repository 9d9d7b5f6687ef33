"""Server options: one dataclass, filled from defaults, a YAML file, ``VIDMOCK_*`` variables and flags.

Everything is explicit state handed to ``build_app``; nothing here is global.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

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
    content_secret: str = "llmgateway-dev-video-content-secret"
    control_token: str | None = None  # required for /_vidmock/ when bound beyond loopback
    poll_interval: float = 5.0  # VIDEO_JOB_POLL_INTERVAL_SECONDS
    job_timeout: float = 3600.0  # VIDEO_JOB_TIMEOUT_SECONDS
    worker_batch: int | None = None  # jobs claimed per loop; None = all due (real gateway: 25)
    max_body_bytes: int = 64 * 1024 * 1024
    # Routing metrics the gateway scores providers with (§5.1 "weighted-score"); others count as 99.5.
    provider_uptime: dict[str, float] = field(default_factory=lambda: {"avalanche": 70.0})
    scenario: str | None = None  # server-wide default scenario
    provider_scenarios: dict[str, str] = field(default_factory=dict)  # provider -> default scenario
    scenarios_dir: str | None = None  # a folder of scenario YAML files; default: the bundled catalogue
    upstream_timeout: float = 30.0  # the gateway's timeout for upstream calls (clock seconds)
    openai_extended: bool = False  # Sora: also accept 16/20 s and 1080p (newer guide text, providers.md §1.2)
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
    # -- retention (issue 17.2) --
    # Terminal jobs, their webhook attempts and idle provider records are forgotten this many clock
    # seconds after they end: 7 days, the life of the content URL token (gateway.md §1.6), after
    # which a finished job's video can no longer be fetched anyway. 0 keeps everything.
    retention_seconds: float = 7 * 24 * 3600.0

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def with_(self, **changes: Any) -> ServerConfig:
        return replace(self, **changes)


class ConfigError(Exception):
    pass


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


def build_config(file_values: dict[str, Any], env: dict[str, str], flags: dict[str, Any]) -> ServerConfig:
    """Defaults < config file < environment < command-line flags."""
    by_name = {f.name: f for f in fields(ServerConfig)}
    values: dict[str, Any] = {}
    for key, value in file_values.items():
        name = key.replace("-", "_")
        if name not in by_name:
            raise ConfigError(f"config: unknown option '{key}'")
        values[name] = value
    for name, f in by_name.items():
        raw = env.get(_ENV_PREFIX + name.upper())
        if raw is not None and name not in (
            "projects",
            "provider_urls",
            "latency",
            "provider_scenarios",
            "provider_uptime",
        ):
            values[name] = _coerce(name, raw, f.default)
    values.update({k: v for k, v in flags.items() if v is not None})
    if "projects" in values:
        projects = values["projects"]
        if not isinstance(projects, (list, tuple)):
            raise ConfigError("projects: expected a list")
        values["projects"] = tuple(p if isinstance(p, Project) else Project.from_dict(p) for p in projects)
    if "disabled_providers" in values:
        values["disabled_providers"] = tuple(values["disabled_providers"])
    config = ServerConfig(**values)
    if config.clock not in ("real", "scaled", "virtual"):
        raise ConfigError(f"clock: expected real, scaled or virtual, got {config.clock!r}")
    if not 0 <= config.retention_seconds < float("inf"):
        raise ConfigError(f"retention_seconds: expected a number of seconds >= 0, got {config.retention_seconds!r}")
    return config


_FLOATS = {"speed", "start_time", "poll_interval", "job_timeout", "upstream_timeout", "retention_seconds"}
_INTS = {"port", "seed", "worker_batch", "max_body_bytes"}


def _coerce(name: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if name in _INTS:
            return int(raw)
        if name in _FLOATS:
            return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{_ENV_PREFIX}{name.upper()}: {exc}") from exc
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
