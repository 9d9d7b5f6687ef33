"""The scenario format: one YAML file per scenario, validated on load.

A scenario scripts what an upstream job does and how its API misbehaves, in terms every provider
understands; each provider renders it in its own protocol:

```yaml
name: sora-moderation-late            # must match the file name (without .yaml)
description: …                        # what happens
reproduces: …                         # the real behaviour, and where it is documented
provider: openai                      # optional: the provider it is written for
seed: 7                               # optional: default seed for the random choices below
timeline:                             # per-job statuses, seconds after submit; `at` may be a latency
  - {at: 0, status: queued}
  - {at: {uniform: [5, 20]}, status: in_progress, progress: 0}
  - {at: 120, status: failed}
outcome:                              # what the terminal step means (optional for completed)
  error: {code: moderation_blocked, message: "…"}
  safety_block: {reasons: ["…"], support_codes: ["58061214"]}   # Veo's success-shaped block
faults:                               # HTTP faults, consumed one per call ("pass" = behave normally)
  submit: [{status: 503}, {status: 503}, pass]
  poll: [{status: 429, retry_after: 30}]
  content: [{delay: 20}, {truncate: 1024}]
content: {expires_after: 3600}        # seconds after completion
```

A ``delay`` holds the answer for that many clock seconds. On the virtual clock, which cannot move
inside a request, it takes no time; a delay at least as long as the gateway's upstream timeout
(``upstream_timeout``, 30 s) is a timeout for the gateway on every clock.

Errors name the file, the key and what was expected.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STATUSES = ("queued", "in_progress", "completed", "failed", "canceled", "expired")
TERMINAL = frozenset({"completed", "failed", "canceled", "expired"})
OPERATIONS = ("submit", "poll", "content")
FAULT_KINDS = ("status", "reset", "hang", "delay", "malformed_json", "truncate")
DISTRIBUTIONS = ("uniform", "normal", "lognormal")


class ScenarioError(Exception):
    """A scenario file that does not follow the format: says which file, which key, what was expected."""

    def __init__(self, source: str, key: str, expected: str, got: Any = None) -> None:
        got_text = "" if got is None else f", got {got!r}"
        super().__init__(f"{source}: {key}: expected {expected}{got_text}")
        self.source, self.key, self.expected = source, key, expected


@dataclass(frozen=True)
class Duration:
    """Seconds: a fixed value or a seeded distribution."""

    fixed: float | None = None
    kind: str | None = None
    params: tuple[float, ...] = ()

    def sample(self, rng: random.Random) -> float:
        if self.fixed is not None:
            return self.fixed
        if self.kind == "uniform":
            return rng.uniform(self.params[0], self.params[1])
        if self.kind == "normal":
            return max(0.0, rng.gauss(self.params[0], self.params[1]))
        # lognormal given as [median, sigma]: median is what people quote for latency
        return rng.lognormvariate(math.log(self.params[0]), self.params[1])


@dataclass(frozen=True)
class Step:
    at: Duration
    status: str
    progress: int | None = None


@dataclass(frozen=True)
class Fault:
    kind: str  # one of FAULT_KINDS
    status: int | None = None
    body: Any = None
    retry_after: float | None = None
    seconds: float | None = None  # delay
    bytes: int | None = None  # truncate
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    reproduces: str
    provider: str | None = None
    seed: int | None = None
    timeline: tuple[Step, ...] = ()
    error: dict[str, Any] | None = None
    safety_block: dict[str, Any] | None = None
    faults: dict[str, tuple[Fault | None, ...]] = field(default_factory=dict)
    content_expires_after: float | None = None
    source: str = ""


def load_file(path: Path) -> Scenario:
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ScenarioError(source, "(file)", f"valid YAML ({exc})") from exc
    scenario = parse(data, source)
    if scenario.name != path.stem:
        raise ScenarioError(source, "name", f"the file name {path.stem!r}", scenario.name)
    return scenario


def parse(data: Any, source: str) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(source, "(top level)", "a mapping")
    known = {"name", "description", "reproduces", "provider", "seed", "timeline", "outcome", "faults", "content"}
    for key in data:
        if key not in known:
            raise ScenarioError(source, str(key), f"one of {', '.join(sorted(known))}")
    name = _text(data, "name", source)
    timeline = tuple(_step(s, f"timeline[{i}]", source) for i, s in enumerate(_list(data, "timeline", source)))
    outcome = data.get("outcome") or {}
    if not isinstance(outcome, dict):
        raise ScenarioError(source, "outcome", "a mapping with error and/or safety_block", outcome)
    error = outcome.get("error")
    if error is not None and (not isinstance(error, dict) or not isinstance(error.get("code"), str)):
        raise ScenarioError(source, "outcome.error", "a mapping with a string 'code' (and 'message')", error)
    safety = outcome.get("safety_block")
    if safety is not None and not isinstance(safety, dict):
        raise ScenarioError(source, "outcome.safety_block", "a mapping with 'reasons' and 'support_codes'", safety)
    faults_raw = data.get("faults") or {}
    if not isinstance(faults_raw, dict):
        raise ScenarioError(source, "faults", f"a mapping of {', '.join(OPERATIONS)} to lists", faults_raw)
    faults: dict[str, tuple[Fault | None, ...]] = {}
    for op, seq in faults_raw.items():
        if op not in OPERATIONS:
            raise ScenarioError(source, f"faults.{op}", f"one of {', '.join(OPERATIONS)}")
        if not isinstance(seq, list):
            raise ScenarioError(source, f"faults.{op}", "a list of faults or 'pass'", seq)
        faults[op] = tuple(_fault(f, f"faults.{op}[{i}]", source) for i, f in enumerate(seq))
    content = data.get("content") or {}
    if not isinstance(content, dict):
        raise ScenarioError(source, "content", "a mapping with expires_after", content)
    expires = content.get("expires_after")
    if expires is not None and not _is_number(expires):
        raise ScenarioError(source, "content.expires_after", "a number of seconds", expires)
    seed = data.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ScenarioError(source, "seed", "an integer", seed)
    provider = data.get("provider")
    if provider is not None and not isinstance(provider, str):
        raise ScenarioError(source, "provider", "a provider id such as openai or google-vertex", provider)
    return Scenario(
        name=name,
        description=_text(data, "description", source),
        reproduces=_text(data, "reproduces", source),
        provider=provider,
        seed=seed,
        timeline=timeline,
        error=error,
        safety_block=safety,
        faults=faults,
        content_expires_after=None if expires is None else float(expires),
        source=source,
    )


def _text(data: dict[str, Any], key: str, source: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError(source, key, "a non-empty string", value)
    return value


def _list(data: dict[str, Any], key: str, source: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ScenarioError(source, key, "a list", value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def duration(value: Any, key: str, source: str) -> Duration:
    if _is_number(value):
        return Duration(fixed=float(value))
    if isinstance(value, dict) and len(value) == 1:
        kind, params = next(iter(value.items()))
        if kind in DISTRIBUTIONS and isinstance(params, list) and len(params) == 2 and all(map(_is_number, params)):
            return Duration(kind=kind, params=(float(params[0]), float(params[1])))
    raise ScenarioError(source, key, "seconds (a number) or {uniform|normal|lognormal: [a, b]}", value)


def _step(value: Any, key: str, source: str) -> Step:
    if not isinstance(value, dict):
        raise ScenarioError(source, key, "a mapping with at, status and optional progress", value)
    status = value.get("status")
    if status not in STATUSES:
        raise ScenarioError(source, f"{key}.status", f"one of {', '.join(STATUSES)}", status)
    progress = value.get("progress")
    if progress is not None and (
        not isinstance(progress, int) or isinstance(progress, bool) or not 0 <= progress <= 100
    ):
        raise ScenarioError(source, f"{key}.progress", "an integer from 0 to 100", progress)
    return Step(duration(value.get("at"), f"{key}.at", source), status, progress)


def _fault(value: Any, key: str, source: str) -> Fault | None:
    if value == "pass":
        return None
    if not isinstance(value, dict):
        raise ScenarioError(source, key, "'pass' or a mapping such as {status: 503}", value)
    if "status" in value:
        status = value["status"]
        if not isinstance(status, int) or not 100 <= status <= 599:
            raise ScenarioError(source, f"{key}.status", "an HTTP status code", status)
        retry = value.get("retry_after")
        if retry is not None and not _is_number(retry):
            raise ScenarioError(source, f"{key}.retry_after", "a number of seconds", retry)
        return Fault(
            "status",
            status=status,
            body=value.get("body"),
            retry_after=retry,
            code=value.get("code"),
            message=value.get("message"),
        )
    for kind in ("reset", "hang", "malformed_json"):
        if value.get(kind) is True:
            return Fault(kind)
    if "delay" in value:
        if not _is_number(value["delay"]):
            raise ScenarioError(source, f"{key}.delay", "a number of seconds", value["delay"])
        return Fault("delay", seconds=float(value["delay"]))
    if "truncate" in value:
        size = value["truncate"]
        if not isinstance(size, int) or size < 0:
            raise ScenarioError(source, f"{key}.truncate", "a byte count", size)
        return Fault("truncate", bytes=size)
    raise ScenarioError(
        source, key, "one of status, reset: true, hang: true, malformed_json: true, delay, truncate", value
    )
