"""``vidmock check``: a conformance harness for any implementation of the LLMGateway video API.

Drivers gather evidence (schemathesis, a seeded lifecycle run with a webhook receiver, a hypothesis
state machine over the job lifecycle, error probes); checks registered on ``registry`` judge it;
``engine.run`` yields events for reporters.
Exports are lazy: ``vidmock.harness.cli`` is imported by every ``vidmock`` command and must not
pull in schemathesis.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CheckResult", "Finding", "Options", "Report", "Skip", "registry", "run", "run_to_report"]
_WHERE = {
    "Options": "engine",
    "run": "engine",
    "run_to_report": "engine",
    "CheckResult": "model",
    "Finding": "model",
    "Report": "model",
    "Skip": "registry",
    "registry": "registry",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
