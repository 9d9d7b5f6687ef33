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


# Checks no broken gateway in tests/broken/ proves yet, and why.
NOT_PROVEN = {
    "a_engine_errors": "reports schemathesis' own errors (an unusable schema), not a gateway defect",
    "a_use_after_free": "the API has no DELETE (gateway.md §1): nothing can be freed",
    "a_missing_required_header": "the contract declares no required header besides auth (a_ignored_auth's)",
    "a_response_headers_conformance": "the contract documents only rate-limit and range headers, all optional",
    "a_negative_data_rejection": "schemathesis' negatives overlap the F probes, which catch first (zero_seconds_accepted)",
    "a_ensure_resource_availability": "schemathesis tolerates a 404 read right after create on this contract",
    "g1_create_latency": "a create slower than 10 s of wall time would make the suite slow; it is a wall-clock bound",
}


def test_every_check_is_proven_by_a_broken_gateway_or_says_why_not() -> None:
    from test_harness import CAUGHT as CAUGHT_A
    from test_harness_families import CAUGHT as CAUGHT_H

    proven = {c[2] for c in CAUGHT_A} | {c[1] for c in CAUGHT_H}
    names = {spec.name for spec in registry}
    assert not (set(NOT_PROVEN) - names), "NOT_PROVEN names an unknown check"
    assert not (proven & set(NOT_PROVEN)), "a check listed as not proven is proven: drop it from NOT_PROVEN"
    assert names - proven == set(NOT_PROVEN), sorted(names - proven - set(NOT_PROVEN))
