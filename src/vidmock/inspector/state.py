"""What the page's live refresh polls: a version of everything the inspector shows.

The version changes when the virtual clock moves (``/_vidmock/clock/advance`` from anywhere), a
job's status, progress or webhook state changes, a webhook attempt is made, or a request arrives.
On a real or scaled clock the time alone does not change it (the page would re-render every poll);
the header's clock text is sent along and updated in place instead.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ..gateway.domain.jobs import JOB_KIND
from .layout import clock_text
from .request_log import RequestSource

if TYPE_CHECKING:
    from ..server import Runtime


def version(runtime: Runtime, requests: RequestSource) -> str:
    h = hashlib.blake2b(digest_size=10)
    if runtime.clock.mode == "virtual":
        h.update(repr(runtime.clock.now()).encode())
    jobs = sorted(runtime.store.all(JOB_KIND), key=lambda d: str(d.get("id")))
    for d in jobs:
        fields = (
            d.get("id"),
            d.get("status"),
            d.get("progress"),
            d.get("callback_status"),
            len(d.get("history") or ()),
        )
        h.update(repr(fields).encode())
    for row in runtime.webhooks.rows():
        h.update(repr((row.get("id"), row.get("status"), row.get("last_tried_at"), row.get("next_retry_at"))).encode())
    entries = runtime.journal.entries
    h.update(repr((len(entries), id(entries[-1]) if entries else None)).encode())
    rows = requests()
    h.update(repr((len(rows), sorted(rows[-1].items()) if rows else None)).encode())
    return h.hexdigest()


def state(runtime: Runtime, requests: RequestSource) -> dict[str, Any]:
    clock = runtime.clock
    return {
        "version": version(runtime, requests),
        "mode": clock.mode,
        "now": clock.now(),
        "clock": clock_text(clock),
    }
