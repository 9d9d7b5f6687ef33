"""How ``vidmock serve`` runs uvicorn: bounded connections, headers and timeouts, a raised file limit,
and an access log without secrets (issue 12; README "Reliability").

Network timeouts are wall time by nature, so they live here, in the server layer, and never in
domain code (which only reads ``clock.Clock``). What uvicorn 0.55 offers is used as is:

* ``limit_concurrency``: connections (and tasks) beyond ``max_connections`` get uvicorn's 503;
* ``timeout_keep_alive``: an idle keep-alive connection is closed after ``keep_alive_timeout``.

What it does not offer is added by ``GuardedHttpToolsProtocol``, a subclass of uvicorn's default
protocol that keeps its parser and adds, per connection:

* a header budget: the request line and headers beyond ``max_header_bytes``, or more than
  ``max_headers`` fields, end the request with uvicorn's own ``400 Invalid HTTP request received.``
  and close the connection (httptools has no limit of its own; h11's is request-line + headers);
* a header timeout: complete headers must arrive within ``header_timeout`` wall seconds of the
  connection (or of the request's first byte on a kept-alive connection); a client that connects
  and sends nothing, or trickles its headers (slowloris), is closed;
* a body timeout: a request body that stalls for ``body_timeout`` wall seconds between chunks is
  cut off (the app sees a disconnect); the app's own time to answer is never limited here.

A slow client is one transport closed; every other connection is untouched.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
import resource
from dataclasses import dataclass
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import ServerConfig
from .masking import mask_query, mask_text

log = logging.getLogger("vidmock.serving")


@dataclass(frozen=True)
class Limits:
    max_header_bytes: int
    max_headers: int
    header_timeout: float
    body_timeout: float

    @classmethod
    def of(cls, config: ServerConfig) -> Limits:
        return cls(config.max_header_bytes, config.max_headers, config.header_timeout, config.body_timeout)


class HeaderLimitExceeded(Exception):
    """Raised inside a parser callback: httptools turns it into a parser error, which uvicorn answers
    with ``400 Invalid HTTP request received.`` and a closed connection."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, limits: Limits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.header_bytes = 0
        self.header_count = 0
        self.reading: str | None = "headers"  # what the connection waits for: headers, body or None
        self.read_timer: asyncio.TimerHandle | None = None

    # -- timers ------------------------------------------------------------------------------------
    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.read_timer = self.loop.call_later(seconds, self._read_timed_out)

    def _disarm(self) -> None:
        if self.read_timer is not None:
            self.read_timer.cancel()
            self.read_timer = None

    def _read_timed_out(self) -> None:
        self.read_timer = None
        if self.reading is not None and not self.transport.is_closing():
            log.info("vidmock: closing a connection that sent no complete %s in time", self.reading)
            self.transport.close()

    # -- uvicorn's protocol hooks --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_bytes = self.header_count = 0
        if self.reading != "headers" or self.read_timer is None:
            self.reading = "headers"
            self._arm(self.limits.header_timeout)

    def on_url(self, url: bytes) -> None:
        self.header_bytes += len(url)
        if self.header_bytes > self.limits.max_header_bytes:
            raise HeaderLimitExceeded("request line too long")
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value) + 4
        self.header_count += 1
        if self.header_bytes > self.limits.max_header_bytes or self.header_count > self.limits.max_headers:
            raise HeaderLimitExceeded("too many header bytes or fields")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.reading = "body"
        self._arm(self.limits.body_timeout)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._arm(self.limits.body_timeout)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self.reading = None
        self._disarm()
        super().on_message_complete()


def protocol_factory(config: ServerConfig) -> Any:
    """uvicorn's ``http=``: a partial of a module-level class, so ``--workers`` can pickle it."""
    return functools.partial(GuardedHttpToolsProtocol, limits=Limits.of(config))


class MaskSecrets(logging.Filter):
    """Masks credentials in log records: the query of an access-log line (the signed content
    ``token=``, Vertex's ``key=``) and every URL in any other message."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            path = str(args[2])
            if "?" in path:
                base, _, query = path.partition("?")
                record.args = (args[0], args[1], f"{base}?{mask_query(query)}", args[3], args[4])
            return True
        if args:
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                return True
            masked = mask_text(message)
            if masked != message:
                record.msg, record.args = masked, ()
        elif isinstance(record.msg, str):
            record.msg = mask_text(record.msg)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with ``MaskSecrets`` on every handler (a dict, so each
    ``--workers`` process builds its own filter)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"mask_secrets": {"()": f"{__name__}.MaskSecrets"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["mask_secrets"]
    return config


def uvicorn_options(config: ServerConfig) -> dict[str, Any]:
    """The keyword arguments ``uvicorn.run`` takes for this configuration's limits."""
    return {
        "http": protocol_factory(config),
        "limit_concurrency": config.max_connections,
        "timeout_keep_alive": config.keep_alive_timeout,
        "log_config": log_config(),
    }


def raise_fd_limit() -> tuple[int, int]:
    """Raise the soft file-descriptor limit to the hard one where the system allows (the default
    1,024 lets ~1,000 idle sockets lock every new client out); returns the (soft, hard) in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            log.warning("vidmock: could not raise the open-file limit above %d", soft)
    return resource.getrlimit(resource.RLIMIT_NOFILE)
