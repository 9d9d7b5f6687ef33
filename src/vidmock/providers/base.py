"""The contract between the gateway core and each provider.

A provider is a ``ProviderPlugin``: an emulator (an ASGI app speaking the provider's own wire
format) and a client (how the gateway talks to that wire format). The gateway core only knows this
module, so adding a provider is a new package plus one registry line, never a core change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, TypeVar

import httpx
from starlette.types import ASGIApp

from ..clock import Clock
from ..config import ServerConfig
from ..gateway.domain.catalogue import Mapping
from ..gateway.domain.request import CreateRequest
from ..ids import IdFactory
from ..journal import Journal
from ..jsonutil import loads
from ..media import MediaCache
from ..scenarios import ScenarioEngine
from ..scenarios.plan import JobPlan
from ..store import Store


@dataclass(frozen=True)
class PreparedImage:
    """An image input as the gateway forwards it: bytes as base64 with its MIME type."""

    mime_type: str
    base64: str
    source: str  # "data" (decoded from a data: URL) or "placeholder" (an http(s) URL vidmock cannot fetch)


@dataclass(frozen=True)
class SubmitContext:
    request: CreateRequest
    mapping: Mapping
    request_id: str
    first_frame: PreparedImage | None = None
    last_frame: PreparedImage | None = None
    references: tuple[PreparedImage, ...] = ()


@dataclass(frozen=True)
class SubmitResult:
    upstream_id: str
    status: str  # the upstream's own status string, normalised by the gateway
    progress: int
    raw: dict[str, Any]


@dataclass(frozen=True)
class PollResult:
    status: str  # upstream status string
    progress: int | None = None
    error: dict[str, Any] | None = None
    content_url: str | None = None
    storage_uri: str | None = None
    inline: bytes | None = None
    content_type: str | None = None
    expires_at: float | None = None
    completed_at: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)


class UpstreamError(Exception):
    """A submit-time upstream failure, carrying the status the gateway answers with (§6)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PollFailure(Exception):
    """A poll that failed (network error or non-2xx); counts towards the poll-error limit (§4.1).

    For a non-2xx answer, ``status`` and ``body`` (parsed JSON, else the text) let the gateway word the
    message as its release does (changes-2026-12.md §2.2) and spot a moderation verdict (§2.1)."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class ProviderClient(Protocol):
    provider: str

    async def submit(self, http: httpx.AsyncClient, ctx: SubmitContext) -> SubmitResult: ...

    async def poll(self, http: httpx.AsyncClient, upstream_id: str, job: dict[str, Any]) -> PollResult: ...

    def content_path(self, upstream_id: str) -> str | None:
        """Where the gateway streams content from when the job has no content URL and no inline
        bytes (openai, minimax and xai in §1.5); None when the provider has no such route."""
        ...

    def content_headers(self) -> dict[str, str]:
        """The gateway's own provider credential for ``content_path`` (never the caller's)."""
        ...


class KeyedClient:
    """What most provider clients share: one static credential, sent in one header on every call.

    A subclass names its provider, its default key (the emulator's development key) and, where the
    provider's auth differs from ``Authorization: Bearer``, the header and scheme (fal's ``Key``,
    Gemini's ``x-goog-api-key``)."""

    provider: str
    default_token: str
    auth_header = "Authorization"
    auth_scheme: str | None = "Bearer"

    def __init__(self, token: str | None = None) -> None:
        self.token = self.default_token if token is None else token

    def _headers(self) -> dict[str, str]:
        value = self.token if self.auth_scheme is None else f"{self.auth_scheme} {self.token}"
        return {self.auth_header: value}


@dataclass(frozen=True)
class EmulatorLimits:
    """Bounds on what one request may make an emulator hold (options; see ``kit.limits``). The body
    limit defaults to the gateway's own (``ServerConfig.max_body_bytes``, 64 MiB)."""

    max_body_bytes: int = 64 * 1024 * 1024
    max_multipart_parts: int = 64  # a video create has a handful of fields and a few images
    max_part_bytes: int = 32 * 1024 * 1024
    max_part_headers: int = 8  # python-multipart's default per part


@dataclass
class EmulatorContext:
    """What an emulator gets: the shared clock, store, ids and media; nothing global."""

    clock: Clock
    store: Store
    ids: IdFactory
    media: MediaCache
    journal: Journal
    config: ServerConfig
    scenarios: ScenarioEngine = None  # type: ignore[assignment]  # filled in __post_init__
    standalone: str | None = None  # the provider served alone at the root (`serve --provider`)
    limits: EmulatorLimits = None  # type: ignore[assignment]  # filled in __post_init__

    def __post_init__(self) -> None:
        if self.scenarios is None:
            self.scenarios = make_engine(self.config, self.store)
        if self.limits is None:
            self.limits = EmulatorLimits(max_body_bytes=self.config.max_body_bytes)

    def public_url(self, provider: str) -> str:
        """The externally reachable base of a provider emulator, for URLs it hands out."""
        if provider == self.standalone:
            return self.config.base_url
        return f"{self.config.base_url}/providers/{provider}"


def make_engine(config: ServerConfig, store: Store) -> ScenarioEngine:
    from pathlib import Path

    directory = Path(config.scenarios_dir) if config.scenarios_dir else None
    return ScenarioEngine.from_directory(
        directory, store, seed=config.seed, default=config.scenario, provider_defaults=config.provider_scenarios
    )


R = TypeVar("R", bound="PlannedRecord")


class PlannedRecord:
    """What every provider's job record shares (a mixin for its dataclass): it is stored as a
    document and moves along the JobPlan its scenario gave it."""

    plan: dict[str, Any] | None  # the scenario's JobPlan as a document (None: the provider's default plan)

    @classmethod
    def from_doc(cls: type[R], doc: dict[str, Any]) -> R:
        return cls(**doc)

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = asdict(self)  # type: ignore[call-overload]  # a dataclass mixin
        return doc

    def job_plan(self) -> JobPlan:
        """The record's plan; a provider whose records may carry none overrides this with its default."""
        if self.plan is None:
            raise ValueError(f"{type(self).__name__} has no plan and no default plan")
        return JobPlan.from_doc(self.plan)


@dataclass(frozen=True)
class ProviderPlugin:
    name: str  # the gateway's provider id, e.g. "google-vertex"
    build_emulator: Callable[[EmulatorContext], ASGIApp]
    build_client: Callable[[ServerConfig], ProviderClient]


# -- helpers every client shares ----------------------------------------------------------------

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def upstream_json(response: httpx.Response) -> dict[str, Any]:
    """The gateway's ``fetchUpstreamJson`` (gateway.md §6): raise UpstreamError the way the gateway maps it."""
    raw = response.content  # JSON is UTF-8 (RFC 8259): no charset sniffing on the hot path
    try:
        body: Any = loads(raw) if raw else {}
    except ValueError:
        body = None
    if not response.is_success:
        if not isinstance(body, dict):
            raise UpstreamError(response.status_code, response.text)
        err = body.get("error")
        message = err.get("message") if isinstance(err, dict) else None
        if not isinstance(message, str):
            message = f"Upstream provider error ({response.status_code})"
        raise UpstreamError(response.status_code, message)
    if not isinstance(body, dict):
        raise UpstreamError(502, response.text or "Upstream provider returned an empty response")
    msg, code = body.get("msg"), body.get("code")
    if isinstance(msg, str) and msg and isinstance(code, (int, float)) and not isinstance(code, bool) and code != 200:
        raise UpstreamError(int(code) if 400 <= code <= 599 else 502, msg)
    return body


async def poll_request(http: httpx.AsyncClient, method: str, url: Any, **kwargs: Any) -> dict[str, Any]:
    """One status call: a network error or a bad answer is a PollFailure (gateway.md §4.1), else the JSON body."""
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise PollFailure(str(exc) or type(exc).__name__) from exc
    return poll_json(response)


def poll_json(response: httpx.Response) -> dict[str, Any]:
    """A status-call body, or PollFailure for a non-2xx or a body that is not a JSON object."""
    if not response.is_success:
        try:
            answer: Any = loads(response.content)
        except (ValueError, RecursionError):
            answer = response.text
        raise PollFailure(
            f"Upstream status request failed with {response.status_code} {REASONS.get(response.status_code, '')}".rstrip(),
            response.status_code,
            answer,
        )
    try:
        body = loads(response.content)
    except (ValueError, RecursionError) as exc:
        raise PollFailure(f"Upstream status response was not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise PollFailure("Upstream status response was not a JSON object")
    return body


def pending_or_failed_operation(op: dict[str, Any], failed: str) -> PollResult | None:
    """A Google long-running operation (the Gemini API and Vertex, providers.md §2.3, §3.3) that is not
    done, or done with an ``error``, as the gateway reads it; None when it is done with a response,
    whose shape differs between the two APIs. ``failed`` is the gateway's message when Google gave none."""
    if op.get("done") is not True:
        return PollResult("in_progress", 50, raw=op)
    error = op.get("error")
    if not isinstance(error, dict):
        return None
    message = error.get("message") if isinstance(error.get("message"), str) else None
    return PollResult(
        "failed", 100, error={"code": str(error.get("code")), "message": message or failed, "details": error}, raw=op
    )
