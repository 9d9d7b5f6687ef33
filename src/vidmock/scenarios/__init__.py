"""Scripted latencies and failures: the scenario format, the catalogue, and per-job plans."""

from .engine import (
    HEADER,
    SEED_HEADER,
    ScenarioEngine,
    UnknownScenario,
    bundled_directory,
    load_directory,
    with_legacy_marker,
)
from .model import Scenario, ScenarioError, load_file, parse
from .plan import JobPlan, default_plan

__all__ = [
    "HEADER",
    "SEED_HEADER",
    "JobPlan",
    "Scenario",
    "ScenarioEngine",
    "ScenarioError",
    "UnknownScenario",
    "bundled_directory",
    "default_plan",
    "load_directory",
    "load_file",
    "parse",
    "with_legacy_marker",
]
