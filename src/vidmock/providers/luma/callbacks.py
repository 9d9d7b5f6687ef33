"""Luma ``callback_url`` (providers.md §10.4): Luma POSTs the Generation object on state changes.

"A POST request with Generation object will be sent to the callback URL when the generation is
dreaming, completed, or failed" (the SDK's ``callback_url`` docstring): one post per state the
generation enters, ``queued`` excepted, the body being the Generation exactly as
``GET /generations/{id}`` renders it at that moment (compact JSON), unsigned (no scheme is
documented): ``Content-Type: application/json`` only.

Retries (not in the reference; Luma's API docs): an answer other than success is retried up to 3
times with a 100 ms delay, each request with a 5 s timeout. Here a retry is made on the dispatcher's
next tick (within a second of virtual time), and any 2xx counts as success. A state passed through
between two ticks (1 s) is not reported: the timer reports what it sees.
"""

from __future__ import annotations

from ..base import EmulatorContext
from ..callbacks import CallbackDispatcher, RetryPolicy, object_callbacks
from .models import KIND, TERMINAL, Generation

SERVICE = "luma"
POLICY = RetryPolicy(max_attempts=4, first_delay=0.1, max_delay=0.1, timeout=5.0)
NOTIFIED = frozenset({"dreaming", "completed", "failed"})


def build_dispatcher(ctx: EmulatorContext, base_url: str) -> CallbackDispatcher:
    return object_callbacks(
        SERVICE,
        ctx,
        POLICY,
        kind=KIND,
        record=Generation.from_doc,
        terminal=TERMINAL,
        state=lambda job, now: job.state_at(now),
        render=lambda job, now: job.render(now, base_url),
        notified=NOTIFIED,
    )
