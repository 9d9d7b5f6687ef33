"""Video statuses: the set, the terminal subset, and the normalisation of upstream strings (§3).

The gateway itself does not enforce transitions: each poll overwrites the status with whatever the
upstream reports (§3 "Transitions"). The one rule it keeps, which this table encodes, is that a
terminal job is never polled again, so nothing moves it out of a terminal status.
"""

from __future__ import annotations

from typing import Any

STATUSES = ("queued", "in_progress", "completed", "failed", "canceled", "expired")
TERMINAL = frozenset({"completed", "failed", "canceled", "expired"})
ACTIVE = frozenset({"queued", "in_progress"})

# Allowed moves: from an active status to any status; from a terminal one, nowhere.
TRANSITIONS: dict[str, frozenset[str]] = {s: (frozenset(STATUSES) if s in ACTIVE else frozenset()) for s in STATUSES}

_NORMAL: dict[str, str] = {}
for _status, _aliases in {
    "queued": ("queued", "pending", "submitted", "waiting", "queuing"),
    "in_progress": ("in_progress", "in-progress", "processing", "running", "generating"),
    "completed": ("completed", "done", "succeeded", "success"),
    "failed": ("failed", "error"),
    "canceled": ("canceled", "cancelled"),
    "expired": ("expired",),
}.items():
    for _alias in _aliases:
        _NORMAL[_alias] = _status


def normalize(value: Any, *, recognise_done: bool = True) -> str:
    """``normalizeVideoStatus``: case-insensitive; anything unknown (or not a string) is ``queued``."""
    if not isinstance(value, str):
        return "queued"
    key = value.strip().lower()
    if key == "done" and not recognise_done:  # G5/W2 did not know "done"
        return "queued"
    return _NORMAL.get(key, "queued")


class IllegalTransition(Exception):
    pass


def check_transition(old: str, new: str) -> None:
    if new not in TRANSITIONS[old] and new != old:
        raise IllegalTransition(f"{old} -> {new}")
