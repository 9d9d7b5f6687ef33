"""Fail fast: before any check, make sure the target is reachable, is the video API, and takes the keys.

Without this a dead port or a rejected key cascades through every family (hundreds of lines, tracebacks,
and checks that "pass" on nothing). One request per key answers all three questions: ``GET
/v1/videos/<an id that cannot exist>`` must be a 404 in the error envelope (gateway.md §1.3, §1.4);
a 401 means the key was refused (§1.1); anything else is not the API. The result is one paragraph.
"""

from __future__ import annotations

import httpx

from .contract import message_of
from .target import Target

PROBE = "/v1/videos/vid_vidmock_preflight_0"
NOTHING_RUN = "No check was run."


def _mask(key: str) -> str:
    return key[:4] + "…" if len(key) > 6 else "…"


def preflight(target: Target, keys: list[str]) -> str | None:
    """None when every key can talk to the API, else the paragraph that says why not."""
    for key in keys:
        try:
            r = target.http.get(PROBE, headers=target.auth(key), timeout=10)
        except httpx.HTTPError as exc:
            return (
                f"Cannot reach {target.base_url}: {type(exc).__name__}: {exc or 'no answer'}. Is the gateway "
                "running, and is --base-url its origin (scheme, host and port, without /v1)? " + NOTHING_RUN
            )
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code == 401:
            return (
                f"The target rejected the API key {_mask(key)}: 401 {message_of(body) or r.text[:200]!r}. Pass "
                "a key of an active project on this gateway with --api-key. " + NOTHING_RUN
            )
        # Lenient on purpose: a 404 with any JSON object is the API answering (whether its error body is the
        # envelope is a check's verdict, f_unknown_id's); HTML, a 200 or a redirect is some other server.
        if r.status_code != 404 or not isinstance(body, dict):
            snippet = r.text[:160].replace("\n", " ")
            return (
                f"{target.base_url} does not look like the LLMGateway video API: GET {PROBE} answered "
                f"{r.status_code} ({r.headers.get('content-type', 'no content type')}) {snippet!r}, where the "
                'API answers 404 {"error": {...}} (gateway.md §1.4). Check --base-url: it is the origin, '
                "without /v1. " + NOTHING_RUN
            )
    return None
