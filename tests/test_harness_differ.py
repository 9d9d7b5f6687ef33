"""Differential mode (issue 15 item 7): the same seeded requests to two targets, every difference in
status, message, field set, types and timing, grouped and de-duplicated.

Two vidmocks of the same configuration differ in nothing; vidmock against a broken gateway differs in
exactly that defect. (Two gateway releases, once ``--gateway-release`` lands: the same test with the
release table's differences as the expected groups.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from broken.gateways import build

from vidmock.cli import main as vidmock_main
from vidmock.harness.differ import DiffReport, differential
from vidmock.harness.pytest import serve_app
from vidmock.harness.serve import free_port
from vidmock.media import MediaCache

KEY = "vm-dev-key"


@contextmanager
def _two(media: MediaCache, a: str | None, b: str | None) -> Iterator[tuple[str, str]]:
    with ExitStack() as stack:
        urls = []
        for variant in (a, b):
            port = free_port()
            urls.append(stack.enter_context(serve_app(build(variant, port, media), port=port)))
        yield urls[0], urls[1]


def _diff(media: MediaCache, a: str | None, b: str | None, seed: int = 0) -> DiffReport:
    with _two(media, a, b) as (url_a, url_b):
        result = differential(url_a, KEY, url_b, KEY, seed=seed)
    assert isinstance(result, DiffReport), result
    return result


@pytest.mark.parametrize("seed", [0, 7])
def test_two_vidmocks_of_the_same_configuration_do_not_differ(media: MediaCache, seed: int) -> None:
    report = _diff(media, None, None, seed)
    assert report.ok, report.text()
    assert report.steps > 40  # probes, creates, polls and downloads were all compared


def test_a_201_create_is_one_status_group(media: MediaCache) -> None:
    report = _diff(media, None, "create_201")
    kinds = {(g.difference.kind, g.difference.a, g.difference.b) for g in report.groups}
    assert kinds == {("status", "200", "201")}, report.text()
    assert all(g.difference.step.startswith("POST /v1/videos [") for g in report.groups)


def test_a_missing_content_url_is_a_field_difference_on_completed_reads_only(media: MediaCache) -> None:
    report = _diff(media, None, "no_content_url")
    assert report.groups, "the defect went unseen"
    for g in report.groups:
        d = g.difference
        assert (d.kind, d.a, d.b) == ("field", "present", "absent"), report.text()
        assert d.path.startswith("content") and ", completed]" in d.step
    assert any(g.count > 1 for g in report.groups)  # de-duplicated: one group per step template and path
    # How a release test reads: the table's differences, nothing beyond them, none missing.
    table = [("field", "content")]
    assert report.beyond(table) == [] and report.unmatched(table) == []
    assert report.unmatched([("field", "usage")]) == [("field", "usage")]


def test_error_messages_are_compared_with_ids_masked(media: MediaCache) -> None:
    report = _diff(media, None, "lone_secret_accepted")
    statuses = [g for g in report.groups if g.difference.kind == "status"]
    assert [(g.difference.step, g.difference.a, g.difference.b) for g in statuses] == [
        ("POST /v1/videos [lone callback_secret]", "400", "200")
    ], report.text()


def test_cli_against(media: MediaCache, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _two(media, None, "create_201") as (url_a, url_b):
        out = tmp_path / "diff.json"
        code = vidmock_main(["check", "--base-url", url_a, "--api-key", KEY, "--against", url_b, "--json", str(out)])
    assert code == 1
    assert "status   POST /v1/videos [" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["ok"] is False and {g["kind"] for g in data["groups"]} == {"status"}
