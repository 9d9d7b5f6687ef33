"""Differential mode (issue 15 item 7): the same seeded requests to two targets, every difference in
status, message, field set, types and timing, grouped and de-duplicated.

Two vidmocks of the same configuration differ in nothing; vidmock against a broken gateway differs in
exactly that defect. Two gateway releases differ in exactly the rows of README "Gateway releases" that a
create, a poll and a listing can see.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from broken.gateways import build

from vidmock.cli import main as vidmock_main
from vidmock.harness.differ import DiffReport, differential, listed
from vidmock.harness.pytest import serve_app
from vidmock.harness.serve import free_port
from vidmock.media import MediaCache

KEY = "vm-dev-key"


@contextmanager
def _two(
    media: MediaCache, a: str | None, b: str | None, releases: tuple[str | None, str | None] = (None, None)
) -> Iterator[tuple[str, str]]:
    with ExitStack() as stack:
        urls = []
        for variant, release in zip((a, b), releases, strict=True):
            port = free_port()
            config = {"gateway_release": release} if release else {}
            urls.append(stack.enter_context(serve_app(build(variant, port, media, **config), port=port)))
        yield urls[0], urls[1]


def _diff(
    media: MediaCache,
    a: str | None,
    b: str | None,
    seed: int = 0,
    releases: tuple[str | None, str | None] = (None, None),
) -> DiffReport:
    with _two(media, a, b, releases) as (url_a, url_b):
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


UNSUPPORTED = (
    "Unsupported video model. Use a video-capable model from /v1/models, optionally prefixed with a configured "
    "provider like openai/ or google-vertex/."
)


def _gone(model: str) -> str:
    return f"Model {model} has been deactivated and is no longer available"


def _release_table() -> list[tuple[str, str, str, str, str]]:
    """README "Gateway releases", A = pre-2026-03, B = 2026-12, as (kind, step, path, A, B)."""
    rows: list[tuple[str, str, str, str, str]] = []
    # Sora: active and priced before, 410 now; listed before, absent now (each id, pinned or not).
    for model in ("openai/sora-2", "openai/sora-2-pro", "sora-2", "sora-2-pro"):
        rows += [
            ("model", "GET /v1/models", model, "listed", "absent"),
            ("status", f"POST /v1/videos [model {model}]", "", "200", "410"),
            ("message", f"POST /v1/videos [model {model}]", "", "-", _gone(model)),
        ]
    for label in ("sora", "sora-moderated"):  # the lifecycle's seeded Sora jobs
        rows += [
            ("status", f"POST /v1/videos [{label}]", "", "200", "410"),
            ("message", f"POST /v1/videos [{label}]", "", "-", _gone("sora-2")),
        ]
    # Avalanche: present before (a pin on both Veo models), an unsupported model now.
    for model in ("avalanche/veo-3.1-fast-generate-preview", "avalanche/veo-3.1-generate-preview"):
        rows += [
            ("model", "GET /v1/models", model, "listed", "absent"),
            ("status", f"POST /v1/videos [model {model}]", "", "200", "400"),
            ("message", f"POST /v1/videos [model {model}]", "", "-", UNSUPPORTED),
        ]
    # grok-imagine-video-1-5: offered only by the newest.
    for model in ("grok-imagine-video-1-5", "xai/grok-imagine-video-1-5"):
        rows += [
            ("model", "GET /v1/models", model, "absent", "listed"),
            ("status", f"POST /v1/videos [model {model}]", "", "400", "200"),
            ("message", f"POST /v1/videos [model {model}]", "", UNSUPPORTED, "-"),
        ]
    # Veo 3.1 Fast, 4k silent, 4 s: $0.35/s before, $0.30/s now.
    completed = "GET /v1/videos/{id} [veo-fast-4k-silent, completed]"
    rows += [
        ("usage", completed, "usage.cost", "1.4000", "1.2000"),
        ("usage", completed, "usage.cost_details.video_output_cost", "1.4000", "1.2000"),
    ]
    return sorted(rows)


@pytest.mark.parametrize("seed", [0, 3])
def test_two_releases_differ_exactly_as_the_release_table_says(media: MediaCache, seed: int) -> None:
    report = _diff(media, None, None, seed, releases=("pre-2026-03", "2026-12"))
    got = sorted(
        (g.difference.kind, g.difference.step, g.difference.path, g.difference.a, g.difference.b) for g in report.groups
    )
    assert got == _release_table(), report.text()
    # Each create once; the completed read of the priced job twice (the poll that saw it end, the re-read).
    counts = {(g.difference.kind, g.difference.path): g.count for g in report.groups if g.difference.kind == "usage"}
    assert counts == {("usage", "usage.cost"): 2, ("usage", "usage.cost_details.video_output_cost"): 2}
    assert all(g.count == 1 for g in report.groups if g.difference.kind != "usage")


def test_two_servers_of_the_older_release_do_not_differ(media: MediaCache) -> None:
    report = _diff(media, None, None, releases=("pre-2026-03", "pre-2026-03"))
    assert report.ok, report.text()
    assert report.steps > 40


def test_a_malformed_listing_yields_what_it_can_and_never_raises() -> None:
    assert listed(None) == {} and listed({"data": "x"}) == {} and listed({"data": [1, {"id": 2}]}) == {}
    body = {
        "data": [
            {"id": "m", "per_request_limits": "x", "providers": [{"providerId": "p", "supportedVideoSizes": [3]}, 7]},
            {"id": "n", "per_request_limits": {"max_video_duration_seconds": "6"}, "providers": "x"},
        ]
    }
    assert listed(body) == {
        "m": {"prompt": "a fox", "seconds": 8, "model": "m"},
        "p/m": {"prompt": "a fox", "seconds": 8, "model": "p/m"},
        "n": {"prompt": "a fox", "seconds": 6, "model": "n"},
    }
