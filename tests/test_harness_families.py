"""Issue 15: every family has a precise check, and a broken gateway proves it.

Each defect in ``tests/broken/defects.py`` is caught by the check meant for it (and by few others);
the correct vidmock passes every check under several seeds, with no check skipped and no check
crashing. Targets run in-process on real loopback ports, on vidmock's virtual clock.
"""

from __future__ import annotations

from typing import Any

import pytest
from broken.defects import OTHER_KEY
from broken.defects_http import CREATE_DELAY
from broken.gateways import build

from vidmock.harness.model import Report
from vidmock.harness.pytest import run_checks, serve_app
from vidmock.harness.serve import free_port
from vidmock.media import MediaCache

KEY = "vm-dev-key"
FAMILIES = "B,C,D,F,G,H"  # everything but schemathesis (family A has its own tests)


def _check(media: MediaCache, variant: str | None, **kw: Any) -> Report:
    port = free_port()
    kw.setdefault("shrink_seconds", 1.0)
    kw.setdefault("lifecycle_examples", 3)
    kw.setdefault("families", FAMILIES)
    with serve_app(build(variant, port, media), port=port) as url:
        return run_checks(url, KEY, other_keys=[OTHER_KEY], **kw)


# (defect, the check meant to catch it, words its first finding says, other checks the defect may also trip)
CAUGHT = [
    ("cross_project_reads", "h1_projects_isolated", "another project reads the job: got 200", ()),
    ("ignores_x_api_key", "h2_x_api_key", "create with only x-api-key was not accepted", ()),
    ("auth_before_validation", "h3_validation_before_auth", "malformed JSON without a key: got 401", ()),
    ("content_token_unchecked", "h4_content_token", "content URL with no token: got 200", ()),
    ("content_token_ignores_expiry", "h4_content_token", "token past its 7-day expiry: got 200", ()),
    ("lone_secret_accepted", "f_lone_secret", "got 200", ()),
    ("bills_the_estimate", "b13_usage_priced", "is not its published price", ()),
    # The default release serves no Sora: the stuck job is Seedance's two-hour queue (still queued).
    ("never_times_out", "b11_gateway_timeout", "did not time out as documented: status 'queued'", ()),
    # An hour-long retry chain (every attempt refused) replays a timestamp that ends up stale: d3 too.
    ("replayed_retry", "c7_fresh_attempts", "byte-identical body", ("d3_timestamp_window",)),
    # The signed-URL checks then have nothing to probe: skipped with that reason, never passed.
    ("no_content_url", "b8_result_content", "has no content[0].url", ("c3_consistent_with_get",)),
    ("error_without_code", "b9_error_codes", "error code is None", ("c3_consistent_with_get", "b11_gateway_timeout")),
    ("wrong_content_type", "b12_content_headers", "video served with wrong headers", ()),
    ("create_201", "b1_create_returns_job", "answered 201", ()),
    ("new_id_per_attempt", "d4_id_stable_unique", "retry 2 changed the event id", ()),
    (
        "completed_at_is_created_at",
        "b7_timestamps",
        "completed_at - created_at = 0 s, but the job was still running",
        ("c3_consistent_with_get", "b11_gateway_timeout"),
    ),
    (
        "string_completed_at",
        "b2_schema_every_step",
        "violates the schema",
        ("c3_consistent_with_get", "b11_gateway_timeout"),
    ),
    ("first_attempt_late", "g2_first_attempt_latency", "s after the job's completed_at", ()),
    # Signed as sent, so d1 passes; the window check names the mistake (and c7 sees the steps ×1000).
    ("timestamp_millis", "d3_timestamp_window", "is in milliseconds: send unix seconds", ("c7_fresh_attempts",)),
    ("replayed_retry", "c7_fresh_attempts", "(reused_timestamp+replayed_body)", ("d3_timestamp_window",)),
    ("gives_up_early", "c6_retry_schedule", "4 attempts for 8 scripted failures", ("c5_retry_triggers",)),
    # One each for the checks that had no broken gateway (tests/broken/defects_more.py).
    ("progress_resets", "b6_progress", "bad progress 0 at status in_progress", ()),
    ("seedance_never_ends", "g3_jobs_end_within_budget", "seedance-no-callback still in_progress after 600 s", ()),
    ("webhook_data_without_content", "c3_consistent_with_get", "webhook data disagrees with GET", ()),
    ("seconds_defaulted", "f_missing_field", "got 200", ("h3_validation_before_auth",)),
    ("secret_echoed", "d6_secret_hygiene", "the callback secret is echoed in a response", ("b2_schema_every_step",)),
    ("range_416_bare", "f_bad_range", "not refused with 416", ()),
    (
        "events_always_completed",
        "c4_terminal_only_type_matches",
        "event type 'video.completed' for status 'failed'",
        ("c9_payload_schema",),
    ),
    ("event_without_object", "c9_payload_schema", "payload violates", ()),
    (
        "cross_wired_callbacks",
        "c1_only_when_subscribed",
        "webhook for another job delivered to this job's URL (cross-wired)",
        (
            "c2_one_terminal_event",
            "c3_consistent_with_get",
            "c4_terminal_only_type_matches",
            "d1_d2_signature",
            "c7_fresh_attempts",
            "g2_first_attempt_latency",
            # Each URL's scripted answers now meet another job's attempts: the per-job retry accounting
            # (which of them shows depends on the order jobs end in) is scrambled too.
            "c5_retry_triggers",
            "c6_retry_schedule",
            "d3_timestamp_window",
            "d4_id_stable_unique",
        ),
    ),
    ("size_unchecked", "f_bad_size", "got 200", ()),
    ("n_ignored", "f_n_not_one", "got 200", ()),
    ("last_frame_alone_accepted", "f_last_frame_alone", "got 200", ()),
    ("both_reference_fields_accepted", "f_two_reference_fields", "unexpected error message", ()),
    ("frames_with_references_accepted", "f_frames_with_references", "got 200", ()),
    ("bad_json_says_validation", "f_bad_json", "unexpected error message", ("h3_validation_before_auth",)),
    (
        "type_error_without_path",
        "f_wrong_type",
        "unexpected error message",
        ("f_missing_field", "h3_validation_before_auth"),
    ),
    ("empty_prompt_message", "f_empty_prompt", "unexpected error message", ()),
    ("lone_url_names_url", "f_lone_callback", "unexpected error message", ()),
    ("unknown_model_500", "f_unknown_model", "got 500", ()),
    ("unknown_content_500", "f_unknown_id_content", "got 500", ("h1_projects_isolated",)),
    ("no_key_is_403", "f_no_key", "got 403", ()),
    ("unknown_key_generic", "f_bad_key", "unexpected error message", ("h2_x_api_key",)),
    ("new_id_per_attempt", "d4_id_stable_unique", "carries a new event id", ()),
    # Every create takes CREATE_DELAY wall seconds, over a limit set below it (OPTIONS): on a loaded
    # machine a create only gets slower, so the check cannot pass by accident.
    ("slow_create", "g1_create_latency", "over the 0.1 s limit", ()),
]
# Harness options a defect's test needs (a small --create-latency-limit keeps the slow create's test fast).
OPTIONS: dict[str, dict[str, Any]] = {"slow_create": {"create_latency_limit": CREATE_DELAY / 2.5}}


@pytest.mark.parametrize(("variant", "check", "words", "also"), CAUGHT, ids=[c[0] for c in CAUGHT])
def test_each_defect_fails_its_own_check(
    media: MediaCache, variant: str, check: str, words: str, also: tuple[str, ...]
) -> None:
    # Only the families the check and its tolerated companions belong to (a check's family is its name's first
    # letter): the others cannot see the defect, and the check's own family must stay green around it.
    families = ",".join(sorted({name[0].upper() for name in (check, *also)}))
    report = _check(media, variant, families=families, **OPTIONS.get(variant, {}))
    result = report.result(check)
    assert result.verdict == "failed", f"{check} missed {variant}:\n{report.failures_text()}"
    assert words in result.findings[0].message, [f.message for f in result.findings]
    finding = result.findings[0]
    assert finding.expected and finding.actual and (finding.curl or finding.request)
    failed = {r.name for r in report.failed}
    assert failed <= {check, *also}, f"{variant} also tripped {failed - {check, *also}}"
    assert not any("check crashed" in r.detail for r in report.results)  # e.g. a string completed_at
    assert report.errors == []


def test_a_201_create_is_reported_once_and_every_later_check_still_runs(media: MediaCache) -> None:
    report = _check(media, "create_201")
    assert {r.name for r in report.failed} == {"b1_create_returns_job"}
    for name in ("c1_only_when_subscribed", "d1_d2_signature", "b8_result_content", "h4_content_token"):
        assert report.result(name).verdict == "passed", name


def test_no_content_url_skips_the_token_checks_with_a_reason(media: MediaCache) -> None:
    report = _check(media, "no_content_url")
    token = report.result("h4_content_token")
    assert token.verdict == "skipped" and "no completed job carried a signed content[0].url" in token.detail


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vidmock_passes_every_check_under_several_seeds(media: MediaCache, seed: int) -> None:
    report = _check(media, None, seed=seed, lifecycle_examples=None)
    assert report.ok, report.failures_text()
    assert not [r.name for r in report.results if r.verdict == "skipped"]
    for r in report.results:  # a pass names its evidence
        assert r.evidence, f"{r.name} passed on nothing"
    assert report.coverage["checked"] <= report.coverage["listed"]


def test_on_the_release_before_2026_03_the_stuck_job_and_the_moderated_job_are_soras(media: MediaCache) -> None:
    """The harness picks its models and scenarios from the served catalogue: where Sora is still offered,
    the gateway timeout is judged on Sora's in_progress-forever scenario and moderation on its code."""
    port = free_port()
    app = build(None, port, media, gateway_release="pre-2026-03")
    with serve_app(app, port=port) as url:
        report = run_checks(url, KEY, families="B", lifecycle_examples=1, shrink_seconds=1.0)
    assert report.ok, report.failures_text()
    assert "in_progress at +60 s, failed/timeout" in report.result("b11_gateway_timeout").evidence[0]
    assert "sora-moderated failed with code 'moderation_blocked'" in report.result("b9_error_codes").evidence


def test_one_key_skips_the_project_check_with_the_reason(media: MediaCache) -> None:
    port = free_port()
    with serve_app(build(None, port, media), port=port) as url:
        report = run_checks(url, KEY, families="H", lifecycle_examples=1, shrink_seconds=1.0)
    result = report.result("h1_projects_isolated")
    assert result.verdict == "skipped" and "only one --api-key" in result.detail


def test_models_are_discovered_from_the_catalogue_or_left_as_today() -> None:
    import random

    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from vidmock.harness.engine import discover_catalogue
    from vidmock.harness.lifecycle import job_specs
    from vidmock.harness.target import Target

    listed = {"object": "list", "data": [{"id": "veo-3.1-generate-preview", "object": "model"}, {"id": "sora-2"}]}
    app = Starlette(routes=[Route("/v1/models", lambda request: JSONResponse(listed))])
    with serve_app(app) as url:
        target = Target(url, KEY)
        catalogue = discover_catalogue(target)
        assert catalogue is not None and [m["id"] for m in catalogue] == ["veo-3.1-generate-preview", "sora-2"]
        target.close()
    with serve_app(Starlette()) as url:  # no /v1/models: 404, today's choices
        target = Target(url, KEY)
        assert discover_catalogue(target) is None
        target.close()
    today = job_specs(random.Random(0), vidmock=True, retries=True)
    narrowed = job_specs(random.Random(0), vidmock=True, retries=True, models=["sora-2"])
    assert {s.body.get("model") for s in narrowed} <= {None, "sora-2"}
    assert [s.label for s in narrowed] == [s.label for s in today]  # the same jobs, on models the target has
    moderated = next(s for s in narrowed if s.label == "sora-moderated")
    assert moderated.expect_code == "moderation_blocked"
