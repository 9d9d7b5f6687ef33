"""The live view of ``vidmock listen``: one plain-text line per delivery, for a terminal or a CI log.

No colours and no cursor tricks: CI logs keep every line, and ``grep`` works on them.
"""

from __future__ import annotations

import time
from typing import TextIO

from .record import Delivery

MESSAGE_LIMIT = 160  # keep a line readable; the full message is in the JSON record

HEADER = "time      event                              type             job                        attempt  verdict -> answered"


def _clock(at: float) -> str:
    # UTC: the virtual clock's epoch is arbitrary, local time would only add confusion.
    return time.strftime("%H:%M:%S", time.gmtime(at))


def format_line(d: Delivery) -> str:
    answered = "hang" if d.answered.hang else str(d.answered.status)
    line = (
        f"{_clock(d.received_at)}  {d.event_id or '-':<34} {d.event_type or '-':<16} "
        f"{d.job_id or '-':<26} #{d.attempt:<7} {d.verdict.label} -> {answered}"
    )
    if d.verdict.ok is False:
        message = d.verdict.message
        if len(message) > MESSAGE_LIMIT:
            message = message[: MESSAGE_LIMIT - 1] + "…"
        line += f"  ({message})"
    return line


def print_delivery(d: Delivery, stream: TextIO) -> None:
    print(format_line(d), file=stream, flush=True)
