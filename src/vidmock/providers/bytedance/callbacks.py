"""Seedance ``callback_url`` (providers.md §4.5): Ark POSTs the task when its status changes.

The body is the task object exactly as ``GET …/tasks/{id}`` returns it at that moment (same shape as
the GET response, per the reference; unverified), as compact JSON, unsigned (no scheme is
documented): ``Content-Type: application/json`` only.

Choices where the reference is silent (webhooks.md §6.1: retry policy "unknown"):

* One post per status the task enters, the initial ``queued`` included (Ark's docs list ``queued``
  among the callback statuses), then ``running`` and the terminal one (``succeeded``, ``failed``,
  ``expired`` or ``cancelled``). A status the task passes through between two timer ticks (1 s) is
  not reported: the timer reports what it sees.
* Each post is retried on a non-2xx answer or a network error, 10 s doubling, 4 attempts in all
  (10 s, 20 s, 40 s), 10 s timeout; 3xx is a failure, not followed. Retries carry the same body, so
  a late retry of ``running`` can arrive after ``succeeded``: order is not guaranteed, receivers
  should compare ``updated_at``.
"""

from __future__ import annotations

from ..base import EmulatorContext
from ..callbacks import CallbackDispatcher, RetryPolicy, object_callbacks
from .models import KIND, Task

SERVICE = "bytedance"
POLICY = RetryPolicy(max_attempts=4, first_delay=10.0, max_delay=40.0, timeout=10.0)
TERMINAL = frozenset({"succeeded", "failed", "expired", "cancelled"})


def build_dispatcher(ctx: EmulatorContext, base_url: str) -> CallbackDispatcher:
    return object_callbacks(
        SERVICE,
        ctx,
        POLICY,
        kind=KIND,
        record=Task.from_doc,
        terminal=TERMINAL,
        state=lambda job, now: job.status_at(now)[0],
        render=lambda job, now: job.render(now, base_url),
    )
