"""Kling ``callback_url`` (providers.md §5.5): Kling POSTs the task to it on every status change.

The body is the task object itself, flat, as the callback protocol lists it
(``{task_id, task_status, task_status_msg, task_info, created_at, updated_at, task_result}``, times in
ms): exactly the ``data`` of ``GET /v1/videos/{type}/{task_id}`` at that moment, compact JSON,
``Content-Type: application/json``, unsigned (no signature is documented).

Choices where the reference is silent:

* One post per status the task enters, ``submitted`` included (the protocol lists it among the
  callback statuses), then ``processing`` and ``succeed`` or ``failed``. A status the task passes
  through between two timer ticks (1 s) is not reported.
* A post is retried on a non-2xx answer or a network error: 10 s doubling, 4 attempts in all, 10 s
  timeout; a 3xx is a failure, not followed. A retry carries the same body, so order is not
  guaranteed: receivers compare ``updated_at`` (or re-query the task, as Kling's docs advise).
"""

from __future__ import annotations

from ..base import EmulatorContext
from ..callbacks import CallbackDispatcher, RetryPolicy, object_callbacks
from .models import KIND, TERMINAL, Task

SERVICE = "kling"
POLICY = RetryPolicy(max_attempts=4, first_delay=10.0, max_delay=40.0, timeout=10.0)


def build_dispatcher(ctx: EmulatorContext, base_url: str) -> CallbackDispatcher:
    return object_callbacks(
        SERVICE,
        ctx,
        POLICY,
        kind=KIND,
        record=Task.from_doc,
        terminal=TERMINAL,
        state=lambda job, now: job.status_at(now),
        render=lambda job, now: job.render(now, base_url),
    )
