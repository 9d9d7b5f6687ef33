"""The check registry: each check is a plain function registered with its family and name.

A check receives the evidence the drivers gathered (``Evidence``) and yields ``Finding``s (violations)
and ``Observed`` notes (what it looked at). It passes only with no finding and at least one
observation: yielding nothing at all means it saw nothing, which is reported as skipped. Raising ``Skip`` says the evidence does not allow a verdict (e.g. no
virtual clock to time retries) — reported as skipped, never as passed, so a green run means
something was actually checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import Outcome

if TYPE_CHECKING:
    from .evidence import Evidence

CheckFn = Callable[["Evidence"], Iterable[Outcome]]


class Skip(Exception):
    """The evidence does not support a verdict for this check."""


@dataclass(frozen=True)
class CheckSpec:
    family: str
    name: str
    title: str
    fn: CheckFn
    needs: str  # the driver whose evidence it reads: "http", "lifecycle" or "probes"
    rules: tuple[str, ...] = ()  # contract rule ids it proves (docs/spec/contract.md, ``rules.RULES``)


class Registry:
    def __init__(self) -> None:
        self._checks: dict[str, CheckSpec] = {}

    def check(
        self, *, family: str, name: str, title: str = "", needs: str = "lifecycle", rules: tuple[str, ...] = ()
    ) -> Callable[[CheckFn], CheckFn]:
        def decorate(fn: CheckFn) -> CheckFn:
            title_ = title or (fn.__doc__ or name).strip().splitlines()[0]
            self.add(CheckSpec(family, name, title_, fn, needs, rules))
            return fn

        return decorate

    def add(self, spec: CheckSpec) -> None:
        if spec.name in self._checks:
            raise ValueError(f"check {spec.name!r} registered twice")
        self._checks[spec.name] = spec

    def select(self, families: Iterable[str]) -> list[CheckSpec]:
        wanted = set(families)
        return [c for c in self._checks.values() if c.family in wanted]

    def __iter__(self) -> Iterator[CheckSpec]:
        return iter(self._checks.values())


# The harness's own checks register here when their modules are imported (see ``engine``).
registry = Registry()
