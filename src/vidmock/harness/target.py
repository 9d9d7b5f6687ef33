"""The system under test, seen over HTTP: a recording client and the target's notion of time.

Every request goes through ``Target.request`` so each one can become a reproduction (curl) in a
failure. Time: if ``GET /_vidmock/clock`` says ``mode: virtual`` the target is vidmock on a
virtual clock and the harness moves time itself (``POST /_vidmock/clock/advance``); otherwise it
waits in real time. Either way checks read one "target time", so the same oracle works for both.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from .model import Exchange

CLOCK_PATH = "/_vidmock/clock"


class Target:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout, follow_redirects=False)
        self.exchanges: list[Exchange] = []
        self.virtual = False
        self.has_clock = False
        self._virtual_now = 0.0  # only the harness moves a virtual clock, so a cached copy is exact

    # -- time --------------------------------------------------------------------------------
    def detect_clock(self) -> str:
        """``virtual`` only when the target says so; anything else (404, HTML, error) is real time."""
        try:
            r = self.http.get(CLOCK_PATH, timeout=5)
            mode = r.json().get("mode") if r.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            mode = None
        self.virtual = mode == "virtual"
        # A scaled vidmock clock runs faster than the wall: read its time rather than ours.
        self.has_clock = mode in ("virtual", "scaled")
        if self.virtual:
            self._virtual_now = float(r.json()["now"])
        return "virtual" if self.virtual else ("scaled" if self.has_clock else "real")

    def now(self) -> float:
        if self.virtual:
            return self._virtual_now
        if self.has_clock:
            return float(self.http.get(CLOCK_PATH).json()["now"])
        return time.time()

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` of target time pass: advance a virtual clock, or sleep."""
        if self.virtual:
            r = self.http.post(f"{CLOCK_PATH}/advance", json={"seconds": seconds}, timeout=120)
            r.raise_for_status()
            self._virtual_now = float(r.json()["now"])
        else:
            time.sleep(seconds)

    # -- requests ----------------------------------------------------------------------------
    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.api_key}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        record: bool = True,
    ) -> Exchange:
        sent = {**(self.auth() if auth else {}), **(headers or {})}
        if json_body is not None:
            content = httpx.Request("POST", "/", json=json_body).content
            sent.setdefault("Content-Type", "application/json")
        clock = self.now()
        started = time.monotonic()
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        r = self.http.request(method, url, content=content, headers=sent)
        ex = Exchange(
            method, url, sent, content, r.status_code, dict(r.headers), r.content, time.monotonic() - started, clock
        )
        if record:
            self.exchanges.append(ex)
        return ex

    def get(self, path: str, **kw: Any) -> Exchange:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Exchange:
        return self.request("POST", path, **kw)

    def close(self) -> None:
        self.http.close()
