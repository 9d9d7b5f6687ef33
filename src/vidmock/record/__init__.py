"""Record and replay: proxy a provider's real API, record each job's exchanges, and write a scenario
file (the format of ``vidmock.scenarios``) that replays the job's timeline, faults and error offline.

``proxy`` forwards and records; ``scenario`` turns one job's exchanges into a scenario; ``cli`` is
``vidmock record``. Secrets are never written: the scenario format has no place for headers, and the
recorded headers are masked in memory.
"""

from .proxy import Exchange, Recorder
from .scenario import build_scenarios, write_scenarios

__all__ = ["Exchange", "Recorder", "build_scenarios", "write_scenarios"]
