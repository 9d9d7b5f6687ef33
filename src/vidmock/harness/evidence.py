"""What the drivers gathered, handed to every check: jobs and their observations, webhook
deliveries, error probes, schemathesis results, and the published contract's schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from .model import Exchange, Finding
from .pricing import Prices
from .receiver import Delivery
from .target import Target

STATUSES = ("queued", "in_progress", "completed", "failed", "canceled", "expired")
TERMINAL = frozenset({"completed", "failed", "canceled", "expired"})
RANK = {"queued": 0, "in_progress": 1, **dict.fromkeys(TERMINAL, 2)}


@dataclass
class JobSpec:
    label: str
    body: dict[str, Any]
    callback: bool = True
    script: list[int] = field(default_factory=list)  # scripted receiver answers before a 204
    expect_code: str | None = None  # the error code a failed job of this kind must carry (gateway.md §6)
    headers: dict[str, str] = field(default_factory=dict)  # extra request headers (a vidmock scenario)


@dataclass
class JobRun:
    spec: JobSpec
    create: Exchange
    job_id: str | None = None
    token: str | None = None
    secret: str | None = None
    polls: list[Exchange] = field(default_factory=list)  # every GET of the job, in order
    early_content: list[Exchange] = field(default_factory=list)  # content GETs before `completed` was seen
    # Full content GETs after completion (no Range, or a Range overridden by If-Range): all the same bytes.
    downloads: list[Exchange] = field(default_factory=list)
    ranges: dict[str, Exchange] = field(default_factory=dict)  # Range header -> exchange, after a download
    signed: Exchange | None = None  # content[0].url without a key
    terminal_seen_at: float | None = None  # target time of the first terminal read

    def videos(self) -> list[tuple[Exchange, dict[str, Any]]]:
        return [(ex, body) for ex in self.polls if ex.status == 200 and isinstance(body := ex.json(), dict)]


@dataclass
class HttpResults:
    """Schemathesis' verdicts, by check name: how many times each ran, and its failures."""

    runs: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[Finding]] = field(default_factory=dict)
    errors: list[Finding] = field(default_factory=list)  # schemathesis' own errors (a_engine_errors)
    elapsed: float = 0.0


class Schemas:
    """Validators for the contract's component schemas (OpenAPI 3.1 is JSON Schema 2020-12)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self._cache: dict[str, Any] = {}

    def located(self, name: str, value: Any) -> list[tuple[tuple[str | int, ...], str]]:
        """Each violation as (instance path, message)."""
        if name not in self._cache:
            root = {"$ref": f"#/components/schemas/{name}", "components": self.spec.get("components", {})}
            self._cache[name] = jsonschema_rs.validator_for(root)
        return [(tuple(e.instance_path), str(e.message)) for e in self._cache[name].iter_errors(value)]

    def errors(self, name: str, value: Any) -> list[str]:
        return [f"{'/'.join(map(str, path)) or '(root)'}: {msg}" for path, msg in self.located(name, value)]


@dataclass
class Evidence:
    target: Target
    schemas: Schemas
    seed: int
    budget: float
    is_vidmock: bool
    jobs: list[JobRun] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    probes: dict[str, Exchange] = field(default_factory=dict)
    http: HttpResults | None = None
    # Findings a driver judged itself, by check name: the lifecycle state machine checks invariants
    # after every step and hands over the minimal failing sequence for each check it saw violated.
    extra_findings: dict[str, list[Finding]] = field(default_factory=dict)
    started_at: float = 0.0  # target time when the lifecycle driver started
    other_keys: list[str] = field(default_factory=list)  # keys of other projects (--api-key repeated)
    long_checks: bool = False  # opt-in: checks that take an hour of real time on a real clock
    create_latency_limit: float = 10.0  # wall seconds a create may take (G1; --create-latency-limit)
    models: list[str] | None = None  # ids from GET /v1/models, None when the target does not serve it
    prices: dict[str, list[Prices]] | None = None  # the price tables GET /v1/models publishes (V-PRICES)
    # The access driver's requests by name (auth forms, validation order, cross-project, tokens).
    access: dict[str, Exchange] = field(default_factory=dict)
    access_skips: dict[str, str] = field(default_factory=dict)  # why a group of access probes did not run
    timeout_job: JobRun | None = None  # a job held past the gateway timeout (vidmock scenario)
    scenario_jobs: list[JobRun] = field(default_factory=list)  # jobs made to fail a known way (vidmock)

    @property
    def virtual(self) -> bool:
        return self.target.virtual

    def job_deliveries(self, job: JobRun) -> list[Delivery]:
        return [d for d in self.deliveries if job.token is not None and d.token == job.token]
