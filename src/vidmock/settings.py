"""Checking server options before anything starts: type, range and known names, every problem at once.

``build_config`` (config.py) gathers raw values from the config file, ``VIDMOCK_*`` variables and
flags, remembering where each came from; ``check`` then judges them all against ``ServerConfig``'s
annotations plus the ranges and names below, and returns every problem, so one run of ``vidmock
serve`` tells a user everything to fix (exit code 2), each naming the key as the user wrote it and
the expected form.

Hand-written rather than pydantic: the types come straight from the ``ServerConfig`` dataclass (so
an option another module adds is checked with no extra code), and the messages name the key the way
the user spelled it (``--speed``, ``VIDMOCK_PORT``, ``port`` in a file), which a validation library
would have to be taught anyway.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .webhooks import SCHEMES

# Ranges: a predicate and the words a message uses for it.
Rule = tuple[Callable[[float], bool], str]
POSITIVE: Rule = (lambda v: v > 0, "> 0")
RANGES: dict[str, Rule] = {
    "port": (lambda v: 1 <= v <= 65535, "from 1 to 65535"),
    "speed": POSITIVE,
    "start_time": (lambda v: v >= 0, ">= 0 (unix seconds)"),
    "seed": (lambda v: v >= 0, ">= 0"),
    "poll_interval": POSITIVE,
    "job_timeout": POSITIVE,
    "upstream_timeout": POSITIVE,
    "worker_batch": (lambda v: v >= 1, ">= 1"),
    "max_body_bytes": POSITIVE,
}

URLS = ("public_url", "gcs_endpoint", "provider_urls")


def known_names(providers: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Options whose value must be one of a known set. Provider ids come from the caller (the
    registry is two layers up); with none given, provider names are not checked."""
    names = {"clock": ("real", "scaled", "virtual"), "webhook_scheme": tuple(sorted(SCHEMES))}
    if providers:
        for key in ("disabled_providers", "provider_urls", "provider_scenarios"):  # lists, or the keys
            names[key] = tuple(sorted(providers))
    return names


@dataclass(frozen=True)
class Problem:
    key: str  # as the user wrote it: --speed, VIDMOCK_PORT, port (in FILE)
    expected: str
    got: Any = None
    shown: bool = True  # False when the key already says what was given

    def __str__(self) -> str:
        return f"{self.key}: expected {self.expected}" + (f", got {self.got!r}" if self.shown else "")


class SettingsError(Exception):
    """One or more options are wrong; ``str()`` lists them all, one a line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{len(problems)} {noun} in the server options:\n{lines}")


def label(name: str, origin: str) -> str:
    """How the user spelled option ``name`` given its ``origin`` (flag, env, or a file path)."""
    if origin == "flag":
        return "--" + name.replace("_", "-")
    if origin == "env":
        return "VIDMOCK_" + name.upper()
    return f"{name} (in {origin})" if origin else name


def check(
    values: Mapping[str, Any], origins: Mapping[str, str], hints: Mapping[str, Any], providers: Sequence[str] = ()
) -> list[Problem]:
    """Every problem with ``values`` (option name -> raw value) against ``hints`` (the dataclass's
    resolved annotations). ``projects`` is checked by ``Project.from_dict``."""
    problems: list[Problem] = []
    names = known_names(providers)
    for name, value in values.items():
        if name == "projects" or name not in hints:
            continue
        key = label(name, origins.get(name, ""))
        expected = _type_problem(hints[name], value)
        if expected is not None:
            problems.append(Problem(key, expected, value))
            continue
        rule = RANGES.get(name)
        if rule is not None and value is not None and not rule[0](value):
            problems.append(Problem(key, f"a number {rule[1]}", value))
        if name in URLS and value is not None:
            urls = list(value.values()) if isinstance(value, dict) else [value]
            bad = [u for u in urls if not str(u).startswith(("http://", "https://"))]
            if bad:
                problems.append(Problem(key, "an http:// or https:// URL", bad[0]))
        allowed = names.get(name)
        if allowed is not None and value is not None:
            given = list(value) if isinstance(value, (dict, list, tuple)) else [value]
            unknown = [v for v in given if v not in allowed]
            if unknown:
                form = "one of" if name in ("clock", "webhook_scheme") else "provider ids among"
                problems.append(Problem(key, f"{form} {', '.join(allowed)}", unknown[0]))
    return problems


def _type_problem(hint: Any, value: Any) -> str | None:
    """None when ``value`` fits ``hint``; otherwise the expected form in words."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is types.UnionType or origin is typing.Union:
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _type_problem(inner[0], value) if len(inner) == 1 else None
    if hint is bool:
        return None if isinstance(value, bool) else "true or false"
    if hint is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else "a whole number"
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return None if ok else "a finite number"
    if hint is str:
        return None if isinstance(value, str) else "a string"
    if origin is dict:
        if not isinstance(value, dict):
            return "a mapping"
        for v in value.values():
            wrong = _type_problem(args[1], v)
            if wrong is not None:
                return f"a mapping whose values are each {wrong}"
        return None
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return "a list"
        for v in value:
            wrong = _type_problem(args[0], v)
            if wrong is not None:
                return f"a list whose items are each {wrong}"
        return None
    return None  # a type this checker does not know: ServerConfig takes it as given
