"""A job's plan: the scenario resolved for one job with its seed, stored on the provider's record.

Every random choice is drawn once, at submit, from ``random.Random(seed)``, so the record alone says
what the job will do and the same seed gives the same run. ``state_at`` is a pure function of the
time since submit: jobs advance with the clock, never because they are polled.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from .model import TERMINAL, Scenario


@dataclass
class JobPlan:
    scenario: str | None
    seed: int
    steps: list[tuple[float, str, int | None]]  # (seconds after submit, status, progress)
    error: dict[str, Any] | None = None
    safety_block: dict[str, Any] | None = None
    content_expires_after: float | None = None
    faults: dict[str, list[dict[str, Any] | None]] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "steps": [list(step) for step in self.steps],
            "error": self.error,
            "safety_block": self.safety_block,
            "content_expires_after": self.content_expires_after,
            "faults": self.faults,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> JobPlan:
        steps = [(float(a), str(s), p) for a, s, p in doc["steps"]]
        return cls(**{**doc, "steps": steps})

    @property
    def outcome(self) -> str | None:
        """The terminal status this job reaches, or None if it never does (stuck)."""
        last = self.steps[-1][1] if self.steps else None
        return last if last in TERMINAL else None

    @property
    def finishes_at(self) -> float | None:
        return self.steps[-1][0] if self.outcome else None

    def state_at(self, elapsed: float) -> tuple[str, int]:
        """(status, progress) ``elapsed`` seconds after submit; progress is interpolated between steps."""
        index = 0
        for i, (at, _, _) in enumerate(self.steps):
            if at <= elapsed:
                index = i
        at, status, progress = self.steps[index]
        if status == "completed":
            return status, 100
        if status in TERMINAL:
            return status, progress if progress is not None else 100
        base = progress if progress is not None else 0
        if status == "in_progress" and index + 1 < len(self.steps):
            nxt_at, nxt_status, nxt_progress = self.steps[index + 1]
            target = 100 if nxt_status == "completed" else (nxt_progress if nxt_progress is not None else base)
            if nxt_at > at and target > base:
                # Never reach the target before the step itself: 99 at most while still running.
                value = base + (target - base) * (elapsed - at) / (nxt_at - at)
                return status, min(int(value), 99)
        return status, base


def default_plan(latency: float, seed: int, queued_for: float | None = None) -> JobPlan:
    """Queued briefly, then in progress with rising progress, then completed at ``latency``."""
    queued = min(30.0, 0.1 * latency) if queued_for is None else queued_for
    return JobPlan(None, seed, [(0.0, "queued", 0), (queued, "in_progress", 0), (latency, "completed", 100)])


def resolve(scenario: Scenario, seed: int, default_latency: float) -> JobPlan:
    """Draw every random choice of ``scenario`` for one job."""
    rng = random.Random(f"{scenario.name}:{seed}")
    if scenario.timeline:
        steps: list[tuple[float, str, int | None]] = []
        for step in scenario.timeline:
            at = step.at.sample(rng)
            at = max(at, steps[-1][0]) if steps else at  # a timeline never runs backwards
            steps.append((round(at, 3), step.status, step.progress))
    else:
        steps = default_plan(default_latency, seed).steps
    faults = {
        op: [None if f is None else {k: v for k, v in asdict(f).items() if v is not None} for f in seq]
        for op, seq in scenario.faults.items()
    }
    return JobPlan(
        scenario.name, seed, steps, scenario.error, scenario.safety_block, scenario.content_expires_after, faults
    )
