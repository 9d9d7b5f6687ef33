"""The web inspector at /_vidmock/ui: its HTML in-process, then the real thing in headless Chromium."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH

from vidmock.testing.receiver import WebhookReceiver

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# -- the HTML, in-process --------------------------------------------------------------------------
@pytest.mark.anyio
@pytest.mark.gateway_release("pre-2026-03")  # creates a Sora job (issue 14)
async def test_jobs_newest_first_with_dashes_and_no_secrets(client: httpx.AsyncClient, runtime: Any) -> None:
    hook = "http://127.0.0.1:9/hooks?x=<script>alert(1)</script>&token=abcdefghijkl"
    first = (await client.post("/v1/videos", json={"prompt": "one", "seconds": 4}, headers=AUTH)).json()["id"]
    await runtime.advance(1)
    second = (
        await client.post(
            "/v1/videos",
            json={
                "prompt": "two",
                "seconds": 4,
                "model": "sora-2",
                "callback_url": hook,
                "callback_secret": "whsec_do-not-show",
            },
            headers=AUTH,
        )
    ).json()["id"]
    page = await client.get("/_vidmock/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.index(second) < html.index(first)  # newest first
    assert "openai/sora-2" in html and "google-vertex/veo-3.1-generate-preview" in html
    assert '<td class="scenario">—</td>' in html  # no scenario: a dash
    job = (await client.get(f"/_vidmock/ui/jobs/{second}")).text
    assert "whsec_do-not-show" not in job and "whse…ow" in job  # the callback secret, masked
    assert "<script>alert" not in job and "x=&lt;script&gt;alert(1)&lt;/script&gt;" in job  # escaped
    assert "abcdefghijkl" not in job  # a token= query parameter, masked
    assert "https://" not in job.split("<script>")[0].split("<style>")[0]  # no CDN, nothing external
    assert (await client.get("/_vidmock/ui/")).status_code == 200
    missing = await client.get("/_vidmock/ui/jobs/nope")
    assert missing.status_code == 404 and "No job" in missing.text


@pytest.mark.anyio
async def test_job_page_timeline_verdicts_and_download(
    client: httpx.AsyncClient, runtime: Any, respx_mock: Any
) -> None:
    hook = "https://receiver.example.test/hooks"
    respx_mock.post(hook).mock(side_effect=[httpx.Response(500, text="down"), httpx.Response(204)])
    vid = (
        await client.post(
            "/v1/videos",
            json={"prompt": "fox", "seconds": 4, "callback_url": hook, "callback_secret": "whsec_timeline"},
            headers=AUTH,
        )
    ).json()["id"]
    before = (await client.get(f"/_vidmock/ui/jobs/{vid}")).text
    assert 'id="download-pending"' in before and "none yet" in before
    await runtime.advance(95 + 35)
    html = (await client.get(f"/_vidmock/ui/jobs/{vid}")).text
    assert html.count('class="attempt"') == 2
    assert html.count("valid llmgateway signature") == 4  # two attempts, each in the table and the timeline
    assert '<span class="http bad">500</span>' in html and '<span class="http ok">204</span>' in html
    assert html.count("poll:") >= 17 and "submit:" in html and "predictLongRunning" in html
    assert 'id="download" href="http://127.0.0.1:4001/v1/videos/logs/' in html
    assert "?token=eyJ" in html and "key=vidmock" not in html  # link works; shown text and journal masked


@pytest.mark.anyio
async def test_a_tampered_attempt_gets_an_invalid_verdict(
    client: httpx.AsyncClient, runtime: Any, respx_mock: Any
) -> None:
    hook = "https://receiver.example.test/hooks"
    respx_mock.post(hook).respond(204)
    vid = (
        await client.post(
            "/v1/videos",
            json={"prompt": "fox", "seconds": 4, "callback_url": hook, "callback_secret": "whsec_real"},
            headers=AUTH,
        )
    ).json()["id"]
    await runtime.advance(95)
    (row,) = runtime.webhooks.rows(vid)
    row["request_body"] = row["request_body"].replace('"completed"', '"failed"')
    runtime.store.put("gateway.webhook", row["id"], row)
    html = (await client.get(f"/_vidmock/ui/jobs/{vid}")).text
    assert "invalid (no_matching_signature)" in html


@pytest.mark.anyio
async def test_advance_control_only_on_the_virtual_clock(make_app: Any) -> None:
    from conftest import test_config

    app = make_app(test_config(clock="real"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as c:
        html = (await c.get("/_vidmock/ui")).text
    assert 'id="advance"' not in html and 'id="live"' in html


# -- in a real browser ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``vidmock serve --clock virtual`` as a user starts it."""
    port = _free_port()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vidmock", "serve", "--clock", "virtual", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                httpx.get(f"{base}/_vidmock/health", timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout and proc.poll() is not None else ""
                    pytest.fail(f"vidmock serve did not start:\n{out}")
                time.sleep(0.05)  # waiting for a subprocess to bind: wall time is all there is
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _non_trivial_png(path: Path) -> None:
    import av

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, len(data)
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        assert frame.width >= 800 and frame.height >= 400
        gray = frame.reformat(format="gray")
        plane = gray.planes[0]
        values = set(bytes(plane))
    assert len(values) > 16, f"the screenshot is nearly one colour: {sorted(values)[:20]}"


def test_inspector_in_chromium(served: str, tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    receiver = WebhookReceiver(secret="whsec_browser")
    try:
        with httpx.Client(base_url=served, headers={"Authorization": "Bearer vm-dev-key"}, timeout=30) as api:
            created = api.post(
                "/v1/videos",
                json={
                    "prompt": "a red fox in snow",
                    "seconds": 4,
                    "callback_url": receiver.url,
                    "callback_secret": receiver.secret,
                },
            )
            assert created.status_code == 200, created.text
            vid = created.json()["id"]
            with playwright_api.sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 900})
                    page.goto(f"{served}/_vidmock/ui")
                    row = page.locator(f'tr.job[data-id="{vid}"]')
                    playwright_api.expect(row.locator(".status")).to_have_text("queued")
                    page.fill("#advance-seconds", "95")
                    with page.expect_navigation():
                        page.click("#advance")
                    playwright_api.expect(row.locator(".status")).to_have_text("completed")
                    assert api.get(f"/v1/videos/{vid}").json()["status"] == "completed"
                    page.click(f'tr.job[data-id="{vid}"] a.job-link')
                    page.wait_for_url(f"**/_vidmock/ui/jobs/{vid}")
                    attempts = page.locator("#webhooks tr.attempt")
                    playwright_api.expect(attempts).to_have_count(1)
                    playwright_api.expect(attempts.first.locator(".response")).to_have_text("200")
                    playwright_api.expect(attempts.first.locator(".verdict")).to_have_text("valid llmgateway signature")
                    playwright_api.expect(page.locator("#timeline tr.event.upstream").first).to_contain_text("submit")
                    href = page.get_attribute("#download", "href")
                    assert href and href.startswith(f"{served}/v1/videos/logs/")
                    assert httpx.get(href, timeout=30).content[4:8] == b"ftyp"  # the link downloads the MP4
                    shot = tmp_path / "job.png"
                    page.screenshot(path=str(shot), full_page=True)
                    _non_trivial_png(shot)
                    if os.environ.get("VIDMOCK_KEEP_SCREENSHOT"):
                        shutil.copy(shot, os.environ["VIDMOCK_KEEP_SCREENSHOT"])
                finally:
                    browser.close()
        assert len(receiver.deliveries) == 1
    finally:
        receiver.close()
