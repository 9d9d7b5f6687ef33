"""The contract table (docs/spec/contract.md) is complete and fully covered: every rule listed has a
check that proves it or a reason it cannot be checked against a black box; every rule a check names is
listed; the table, the rule registry in code and the checks' declarations agree."""

from __future__ import annotations

from pathlib import Path

from vidmock.harness import engine  # noqa: F401  (importing the engine registers every check)
from vidmock.harness.registry import registry
from vidmock.harness.rules import BY_ID, RULES, coverage, proving

TABLE = Path(__file__).resolve().parents[1] / "docs" / "spec" / "contract.md"


def _rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 5 and cells[0] not in ("rule", "---"):
            assert cells[0] not in rows, f"rule {cells[0]} listed twice"
            rows[cells[0]] = cells
    return rows


def test_every_rule_in_the_table_has_a_check_or_a_reason() -> None:
    rows, proved = _rows(), proving(registry)
    assert rows, "no table found"
    for rule, (_, text, source, checks, why) in rows.items():
        assert rule in BY_ID, f"{rule} is in the table but not in rules.RULES"
        named = [c.strip(" `") for c in checks.split(",") if c.strip(" `—")]
        if not named:
            assert why, f"{rule} has no check and no reason it cannot be checked"
        assert sorted(named) == sorted(proved[rule]), f"{rule}: table says {named}, checks say {proved[rule]}"
        assert (text, source, why) == (
            BY_ID[rule].text.replace("|", "/"),
            BY_ID[rule].source,
            BY_ID[rule].unchecked or "",
        )


def test_no_check_names_an_unknown_rule() -> None:
    rows = _rows()
    for spec in registry:
        for rule in spec.rules:
            assert rule in rows, f"{spec.name} names {rule}, which docs/spec/contract.md does not list"


def test_the_table_lists_exactly_the_registry_and_states_the_coverage() -> None:
    assert list(_rows()) == [r.id for r in RULES]
    cov = coverage(registry)
    unchecked = [r for r in RULES if r.unchecked]
    assert cov == {"checked": len(RULES) - len(unchecked), "listed": len(RULES)}
    assert f"today {cov['checked']}/{cov['listed']}" in TABLE.read_text()


def test_every_check_is_proven_by_a_broken_gateway() -> None:
    """Each registered check fails on at least one deliberately broken gateway (tests/broken/): a check
    no defect can trip proves nothing, and is not registered (checks_http.NOT_RUN says which are not)."""
    from test_harness import CAUGHT as CAUGHT_A
    from test_harness_families import CAUGHT as CAUGHT_H

    proven = {c[2] for c in CAUGHT_A} | {c[1] for c in CAUGHT_H}
    names = {spec.name for spec in registry}
    assert not proven - names, f"CAUGHT names unknown checks: {sorted(proven - names)}"
    assert names <= proven, f"checks no broken gateway proves: {sorted(names - proven)}"
