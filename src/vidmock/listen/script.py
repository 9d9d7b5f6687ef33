"""Response scripts: what the receiver answers to each delivery, as data consumed one step per call.

In the style of respx's ``side_effect`` lists: a script is a list of steps, each answering one
delivery, and once the list is used up ``default`` answers every further one. A step is one of

* ``500`` (any status 200–599): answer that status with an empty body;
* ``"hang"``: never answer, until ``Receiver.close()`` releases it (the sender's timeout fires);
* ``{"status": 302, "location": "https://…"}``: a redirect (senders must not follow it);
* ``{"status": 429, "retry_after": 30}``: with a ``Retry-After`` header;
* ``{"status": 200, "body": "…"}``: with a body.

``per_event=True`` gives every event id its own copy of the script, which is what "fail twice,
then succeed" usually means once several jobs deliver at once; otherwise the steps are shared by
every delivery in arrival order.

The compact CLI form (``--respond``) is a comma-separated list of tokens::

    STEP    := STATUS | STATUS ":" ARG | "hang"
    TOKEN   := STEP | COUNT "*" STEP          e.g. 3*500 = 500,500,500
    ARG     := the Location for a 3xx, Retry-After seconds for a 429 or 503, the body otherwise

so ``500,500,hang,302:https://elsewhere.test/,429:30,410,200:thanks``. An ARG cannot contain a comma.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

StepSpec = Union[int, str, Mapping[str, Any], "Step"]

GRAMMAR = """\
response script (--respond): comma-separated steps, one per delivery; then 200 for every other one
  500               answer that status (200-599) with an empty body
  hang              never answer (the sender's 30 s timeout fires); released on shutdown
  302:URL           a redirect with Location URL (any 3xx)
  429:30            Retry-After: 30 (also 503:SECONDS)
  200:TEXT          answer with body TEXT (any other status)
  3*500             repeat a step: 500,500,500
example: --respond "3*500,hang,302:https://elsewhere.test/,429:30,410,200"
--per-event: every event id runs through its own copy of the script (fail N times, then succeed)"""

_COUNT = re.compile(r"([0-9]{1,4})\*(.*)", re.S)
_STATUS = re.compile(r"[0-9]{3}")
_KEYS = frozenset({"status", "location", "retry_after", "body"})
_RETRY_AFTER_STATUSES = frozenset({429, 503})


class ScriptError(ValueError):
    """An invalid script; the message names the offending token or step."""


@dataclass(frozen=True)
class Step:
    """One scripted answer. ``status is None`` means hang."""

    status: int | None
    location: str | None = None
    retry_after: int | None = None
    body: str = ""

    @property
    def hang(self) -> bool:
        return self.status is None

    def describe(self) -> str:
        """The step in the compact CLI form."""
        if self.status is None:
            return "hang"
        arg = self.location or (str(self.retry_after) if self.retry_after is not None else self.body)
        return f"{self.status}:{arg}" if arg else str(self.status)


HANG = Step(None)


def _status(value: Any, where: str) -> int:
    # bool is an int subclass: True would otherwise be status 1.
    if isinstance(value, bool) or not isinstance(value, int) or not 200 <= value <= 599:
        raise ScriptError(f"{where}: expected a status code 200-599 or 'hang', got {value!r}")
    return value


def step_from(spec: StepSpec, where: str = "step") -> Step:
    """One step from its data form (int, "hang", a dict, a compact token, or a Step)."""
    if isinstance(spec, Step):
        return spec
    if isinstance(spec, str):
        return parse_token(spec, where)
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - _KEYS)
        if unknown:
            raise ScriptError(f"{where}: unknown key(s) {', '.join(unknown)}; expected {sorted(_KEYS)}")
        status = _status(spec.get("status"), where)
        location, retry_after, body = spec.get("location"), spec.get("retry_after"), spec.get("body", "")
        if location is not None and not isinstance(location, str):
            raise ScriptError(f"{where}: location must be a string")
        if retry_after is not None and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
        ):
            raise ScriptError(f"{where}: retry_after must be a non-negative integer (seconds)")
        if not isinstance(body, str):
            raise ScriptError(f"{where}: body must be a string")
        return Step(status, location, retry_after, body)
    return Step(_status(spec, where))


def parse_token(token: str, where: str = "token") -> Step:
    text = token.strip()
    if text.lower() == "hang":
        return HANG
    code, sep, arg = text.partition(":")
    if not _STATUS.fullmatch(code):
        raise ScriptError(
            f"invalid response script {where} {token!r}: expected a status code "
            "200-599, 'hang', STATUS:ARG or COUNT*STEP"
        )
    status = _status(int(code), f"invalid response script {where} {token!r}")
    if not sep:
        return Step(status)
    if 300 <= status < 400:
        return Step(status, location=arg or None)
    if status in _RETRY_AFTER_STATUSES:
        if not arg.isascii() or not arg.isdigit():
            raise ScriptError(f"invalid response script {where} {token!r}: Retry-After must be whole seconds")
        return Step(status, retry_after=int(arg))
    return Step(status, body=arg)


def parse_script(text: str) -> list[Step]:
    """The compact CLI form (see the module docstring) as a list of steps."""
    steps: list[Step] = []
    if not text.strip():
        return steps
    for position, raw in enumerate(text.split(","), start=1):
        where = f"token {position}"
        match = _COUNT.fullmatch(raw.strip())
        if match:
            count = int(match.group(1))
            if count < 1:
                raise ScriptError(f"invalid response script {where} {raw!r}: a repeat count must be at least 1")
            steps.extend([parse_token(match.group(2), where)] * count)
        else:
            steps.append(parse_token(raw, where))
    return steps


class ResponseScript:
    """Steps consumed one per delivery (per event id when ``per_event``), then ``default``.

    Thread-safe: a receiver served by uvicorn in a background thread and a test reading
    ``remaining`` from the main thread share it.
    """

    def __init__(
        self, steps: Sequence[StepSpec] | str = (), *, default: StepSpec = 200, per_event: bool = False
    ) -> None:
        if isinstance(steps, str):
            self.steps: tuple[Step, ...] = tuple(parse_script(steps))
        else:
            self.steps = tuple(step_from(s, f"step {i}") for i, s in enumerate(steps, start=1))
        self.default = step_from(default, "default")
        self.per_event = per_event
        self._used: dict[str, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, text: str, *, per_event: bool = False) -> ResponseScript:
        return cls(parse_script(text), per_event=per_event)

    def next(self, event_id: str | None) -> Step:
        """The step for this delivery, consuming it."""
        key = (event_id or "") if self.per_event else ""
        with self._lock:
            used = self._used.get(key, 0)
            self._used[key] = used + 1
        return self.steps[used] if used < len(self.steps) else self.default

    def remaining(self, event_id: str | None = None) -> int:
        key = (event_id or "") if self.per_event else ""
        with self._lock:
            return max(0, len(self.steps) - self._used.get(key, 0))

    def describe(self) -> str:
        steps = ",".join(s.describe() for s in self.steps) or "(none)"
        scope = "per event" if self.per_event else "global"
        return f"{steps}, then {self.default.describe()} ({scope})"

    def __repr__(self) -> str:
        return f"ResponseScript({self.describe()!r})"
