"""Choosing a scenario for a job, resolving it into a plan, and handing out its faults in order.

Choice, strongest first: the ``X-Vidmock-Scenario`` request header, a ``[scenario:NAME]`` marker in
the prompt, the provider's default, the server's default (``--scenario`` or set at run time through
``/_vidmock/scenario``). A scenario that names a ``provider`` applies to that provider only. ``X-Vidmock-Seed`` fixes the seed; otherwise it derives from the server seed
and the job, so a run is reproducible either way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..config import ServerConfig
from ..store import Store
from .model import Scenario, ScenarioError, load_file
from .plan import JobPlan, default_plan, resolve

HEADER = "x-vidmock-scenario"
SEED_HEADER = "x-vidmock-seed"
MARKER = re.compile(r"\[scenario:([A-Za-z0-9_.-]+)\]")
SEED_VALUE = re.compile(r"-?[0-9]{1,19}", re.ASCII)


def with_legacy_marker(prompt: str, markers: Mapping[str, str], catalogue: Mapping[str, Any]) -> str:
    """The prompt the engine sees when a provider also honours its own older prompt markers (OpenAI's
    and Seedance's ``[vidmock:…]``): a marker found becomes ``[scenario:NAME]`` when that scenario is
    in the catalogue; an explicit ``[scenario:…]`` marker (or the header) still wins."""
    if "[scenario:" in prompt:
        return prompt
    for marker, name in markers.items():
        if marker in prompt and name in catalogue:
            return f"{prompt} [scenario:{name}]"
    return prompt


def bundled_directory() -> Path:
    """The catalogue shipped with vidmock (the top-level ``scenarios/`` folder)."""
    return Path(__file__).resolve().parent.parent / "scenario_files"


def load_directory(directory: Path, load: Callable[[Path], Scenario] = load_file) -> dict[str, Scenario]:
    """Every scenario file in ``directory``; ``load`` may be a caching loader (``SharedSetup.loader``)."""
    catalogue: dict[str, Scenario] = {}
    for path in sorted(directory.glob("*.yaml")):
        scenario = load(path)
        catalogue[scenario.name] = scenario
    return catalogue


class UnknownScenario(Exception):
    pass


class ScenarioEngine:
    def __init__(
        self,
        catalogue: dict[str, Scenario],
        store: Store,
        seed: int = 0,
        default: str | None = None,
        provider_defaults: Mapping[str, str] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.store = store
        self.seed = seed
        self.default: str | None = None
        self.provider_defaults: dict[str, str] = {}
        self.set_default(default)
        for provider, name in (provider_defaults or {}).items():
            self.set_default(name, provider)

    @classmethod
    def from_directory(
        cls, directory: Path | None, store: Store, load: Callable[[Path], Scenario] = load_file, **kw: Any
    ) -> ScenarioEngine:
        path = directory or bundled_directory()
        return cls(load_directory(path, load) if path.is_dir() else {}, store, **kw)

    @classmethod
    def for_config(
        cls, config: ServerConfig, store: Store, load: Callable[[Path], Scenario] = load_file
    ) -> ScenarioEngine:
        """The engine a server runs: the configured catalogue (or the bundled one), seed and defaults."""
        return cls.from_directory(
            Path(config.scenarios_dir) if config.scenarios_dir else None,
            store,
            load,
            seed=config.seed,
            default=config.scenario,
            provider_defaults=config.provider_scenarios,
        )

    def get(self, name: str) -> Scenario:
        try:
            return self.catalogue[name]
        except KeyError:
            raise UnknownScenario(f"unknown scenario {name!r}; `vidmock scenarios list` shows them") from None

    def set_default(self, name: str | None, provider: str | None = None) -> None:
        if name is not None:
            self.get(name)
        if provider is None:
            self.default = name
        elif name is None:
            self.provider_defaults.pop(provider, None)
        else:
            self.provider_defaults[provider] = name

    def requested(self, headers: Mapping[str, str], prompt: str) -> list[str]:
        """The scenarios this one request names itself (header, then prompt marker); not defaults."""
        marker = MARKER.search(prompt or "")
        return [n for n in (headers.get(HEADER) or None, marker.group(1) if marker else None) if n is not None]

    def select(self, provider: str, headers: Mapping[str, str], prompt: str) -> tuple[str | None, int | None]:
        marker = MARKER.search(prompt or "")
        candidates = (
            headers.get(HEADER) or None,
            marker.group(1) if marker else None,
            self.provider_defaults.get(provider),
            self.default,
        )
        name = None
        for candidate in candidates:
            # A scenario written for another provider leaves this one alone (after a fallback, the
            # second provider behaves normally) and the next, weaker choice applies instead.
            if candidate is not None and self.get(candidate).provider in (None, provider):
                name = candidate
                break
        raw_seed = headers.get(SEED_HEADER)
        # ASCII digits only, at most 19 (a 64-bit seed): ``str.isdigit`` also accepts "²" and "٣",
        # which ``int`` refuses, and 5,000 digits pass it but not ``int`` (issue 12). Else ignored.
        seed = int(raw_seed) if raw_seed and SEED_VALUE.fullmatch(raw_seed.strip()) else None
        return name, seed

    def plan(
        self, provider: str, headers: Mapping[str, str], prompt: str, default_latency: float, job_key: str
    ) -> JobPlan:
        name, seed = self.select(provider, headers, prompt)
        if seed is None:
            scenario_seed = self.catalogue[name].seed if name else None
            base = self.seed if scenario_seed is None else scenario_seed
            seed = int.from_bytes(hashlib.blake2b(f"{base}:{job_key}".encode(), digest_size=4).digest(), "big")
        if name is None:
            return default_plan(default_latency, seed)
        return resolve(self.catalogue[name], seed, default_latency)

    def take_fault(self, faults: Mapping[str, list[Any]], operation: str, key: str) -> dict[str, Any] | None:
        """The next fault of ``operation`` for ``key`` (a job, or a scenario for submits); None = normal."""
        sequence = faults.get(operation) or []
        if not sequence:
            return None
        n = self.store.next_counter(f"fault:{key}:{operation}")
        return sequence[n - 1] if n <= len(sequence) else None

    def submit_fault(self, provider: str, headers: Mapping[str, str], prompt: str) -> dict[str, Any] | None:
        name, _ = self.select(provider, headers, prompt)
        if name is None:
            return None
        plan = resolve(self.catalogue[name], 0, 0.0)
        return self.take_fault(plan.faults, "submit", f"{provider}:{name}")


__all__ = ["ScenarioEngine", "ScenarioError", "UnknownScenario", "HEADER", "SEED_HEADER", "load_directory"]
