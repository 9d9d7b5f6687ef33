"""The ``vidmock_receiver`` fixture's object: a webhook receiver on a loopback port that verifies each
delivery against a known secret, records it, and answers with the statuses you choose.

It is ``vidmock listen``'s ``Receiver`` (``vidmock.listen``) served on a free port, with the server
clock's ``wall_time`` as its time: the gateway signs with the real send time in every clock mode.
If ``vidmock.listen`` is not installed, a minimal standard-library receiver with the same surface
takes its place.

Under ``vidmock_respx`` the same receiver is reached with no socket at all (``asgi_app`` or
``handle``).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_SECRET = "whsec_vidmock-test-receiver"
PATH = "/webhooks"


class WebhookReceiver:
    """``url`` and ``secret`` go into the create request (``callback_url``, ``callback_secret``);
    ``deliveries`` (each with ``headers``, ``body``, ``verdict.ok``) and ``events()`` tell what
    arrived; ``respond_with(500, 500, 204)`` fails twice, then succeeds."""

    def __init__(
        self, *, secret: str = DEFAULT_SECRET, scheme: str = "llmgateway", now: Callable[[], float] | None = None
    ) -> None:
        self.secret, self.scheme = secret, scheme
        self._stack = contextlib.ExitStack()
        self.url = ""
        try:
            from ..listen import Receiver, running
        except ModuleNotFoundError as exc:
            if exc.name != "vidmock.listen":
                raise
            self.listen: Any = None
            self._minimal = MinimalReceiver(secret, scheme, now)
            self.url = self._stack.enter_context(self._minimal.running()) + PATH
            self.asgi_app: Any = None
        else:
            self.listen = Receiver(secret, scheme=scheme, now=now)
            self.url = self._stack.enter_context(running(self.listen)) + PATH
            self.asgi_app = self.listen.app

    @property
    def kind(self) -> str:
        return "vidmock.listen" if self.listen is not None else "minimal"

    @property
    def deliveries(self) -> list[Any]:
        return self.listen.deliveries if self.listen is not None else self._minimal.deliveries

    def events(self) -> list[Any]:
        """The JSON bodies received, in order."""
        return [json.loads(d.body) for d in self.deliveries]

    def respond_with(self, status: int, *then: int) -> WebhookReceiver:
        """Answer ``status`` from now on; with more statuses, answer them in order, the last one for
        good: ``respond_with(500, 500, 204)``."""
        statuses = [status, *then]
        if self.listen is not None:
            from ..listen import ResponseScript

            self.listen.script = ResponseScript(statuses[:-1], default=statuses[-1])
        else:
            self._minimal.script(statuses[:-1], statuses[-1])
        return self

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> int:
        """In-process delivery for the minimal receiver (``vidmock.listen`` is routed as ASGI)."""
        return self._minimal.handle(method, path, headers, body)

    def close(self) -> None:
        self._stack.close()


# -- the fallback ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MinimalVerdict:
    ok: bool
    reason: str
    message: str


@dataclass(frozen=True)
class MinimalDelivery:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: str
    verdict: MinimalVerdict
    status: int  # what the receiver answered


class MinimalReceiver:
    """Records requests, verifies them with ``vidmock.webhooks.verify``, answers by script."""

    def __init__(self, secret: str, scheme: str, now: Callable[[], float] | None) -> None:
        import time

        self.secret, self.scheme, self.now = secret, scheme, now or time.time
        self.deliveries: list[MinimalDelivery] = []
        self._steps: list[int] = []
        self._default = 200
        self._lock = threading.Lock()

    def script(self, steps: list[int], default: int) -> None:
        with self._lock:
            self._steps, self._default = list(steps), default

    def handle(self, method: str, path: str, headers: Any, body: bytes) -> int:
        from ..webhooks import VerificationError, verify

        lowered = {k.lower(): v for k, v in headers}
        try:
            verify(self.scheme, body, lowered, self.secret, now=self.now())
            verdict = MinimalVerdict(True, "ok", "The signature is valid for the raw body.")
        except VerificationError as exc:
            verdict = MinimalVerdict(False, exc.reason, exc.message)
        with self._lock:
            status = self._steps.pop(0) if self._steps else self._default
            self.deliveries.append(
                MinimalDelivery(method, path, lowered, body.decode("utf-8", "replace"), verdict, status)
            )
        return status

    @contextlib.contextmanager
    def running(self) -> Any:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status = receiver.handle(self.command, self.path, self.headers.items(), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        thread = threading.Thread(target=httpd.serve_forever, name="vidmock-receiver", daemon=True)
        thread.start()
        try:
            port = httpd.server_address[1]
            yield f"http://127.0.0.1:{port}"
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)
