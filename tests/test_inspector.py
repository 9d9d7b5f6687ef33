"""The web inspector at /_vidmock/ui: its HTML in-process, then the real thing in headless Chromium."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH, KEY

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
def _job_ids(html: str) -> list[str]:
    return re.findall(r'<tr class="job" data-id="([^"]+)"', html)


# The pages are exercised on Sora and Veo jobs (Sora has the richest upstream: webhooks, remix, content
# routes), so these apps emulate the gateway release that still serves Sora (issue 14).
pytestmark = pytest.mark.gateway_release("pre-2026-03")


def _copied(html: str) -> list[str]:
    """The commands behind each copy-as-curl button, as the browser reads the attribute."""
    return [unescape(c) for c in re.findall(r'<button type="button" class="copy" data-copy="([^"]*)"', html)]


@pytest.mark.anyio
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
    assert _job_ids(html) == [second, first]  # newest first
    assert "openai/sora-2" in html and "google-vertex/veo-3.1-generate-preview" in html
    assert '<span class="scenario">—</span>' in html  # no scenario: a dash
    assert '<td class="prompt" title="two">two</td>' in html  # the prompt, from the provider's submit
    job = (await client.get(f"/_vidmock/ui/jobs/{second}")).text
    assert "whsec_do-not-show" not in job and "whse…ow" in job  # the callback secret, masked
    assert "<script>alert" not in job and "x=&lt;script&gt;alert(1)&lt;/script&gt;" in job  # escaped
    assert "abcdefghijkl" not in job  # a token= query parameter, masked
    assert "https://" not in job.split("<script>")[0].split("<style>")[0]  # no CDN, nothing external
    assert (await client.get("/_vidmock/ui/")).status_code == 200
    missing = await client.get("/_vidmock/ui/jobs/nope")
    assert missing.status_code == 404 and "No job" in missing.text


@pytest.mark.anyio
async def test_a_script_in_a_prompt_is_shown_as_text(client: httpx.AsyncClient) -> None:
    prompt = '<script>alert("p")</script><img src=x onerror=alert(2)> "quoted" & more'
    vid = (await client.post("/v1/videos", json={"prompt": prompt, "seconds": 4}, headers=AUTH)).json()["id"]
    shown = "&lt;script&gt;alert(&quot;p&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &quot;quoted&quot; &amp; more"
    for url in ("/_vidmock/ui", f"/_vidmock/ui/jobs/{vid}", f"/_vidmock/ui?q={prompt}"):
        html = (await client.get(url)).text
        body = html.split("<main>")[1].split("</main>")[0]
        assert "<script" not in body and "<img" not in body, url  # the only script is the page's own
        assert shown in body, url
    # The search box echoes the query escaped, inside its attribute.
    assert f'value="{shown}"' in (await client.get("/_vidmock/ui", params={"q": prompt})).text


@pytest.mark.anyio
async def test_filter_and_search_are_server_side_query_parameters(client: httpx.AsyncClient, runtime: Any) -> None:
    async def create(prompt: str, model: str | None = None, scenario: str | None = None) -> str:
        body = {"prompt": prompt, "seconds": 4, **({"model": model} if model else {})}
        headers = {**AUTH, **({"X-Vidmock-Scenario": scenario} if scenario else {})}
        created = await client.post("/v1/videos", json=body, headers=headers)
        assert created.status_code == 200, created.text
        await runtime.advance(1)
        return str(created.json()["id"])

    fox = await create("a red fox in snow")
    cat = await create("a grey cat on a sofa", "sora-2")
    blocked = await create("a blocked cat", "sora-2", "sora-moderation-blocked")
    await runtime.advance(30)

    async def ids(**params: str) -> list[str]:
        page = await client.get("/_vidmock/ui", params=params)
        assert page.status_code == 200
        return _job_ids(page.text)

    assert await ids() == [blocked, cat, fox]
    assert await ids(provider="openai") == [blocked, cat]
    assert await ids(provider="google-vertex") == [fox]
    assert await ids(model="openai/sora-2") == [blocked, cat]
    assert await ids(status="failed") == [blocked]
    assert await ids(q="CAT") == [blocked, cat]  # case-insensitive, over the prompt (not Vertex's "locations/")
    assert await ids(q="grey sofa") == [cat]  # every word must match
    assert await ids(q=fox[:10]) == [fox]  # over the job id
    upstream = runtime.store.get("gateway.job", fox)["upstream_id"]
    assert await ids(q=upstream.rsplit("/", 1)[1]) == [fox]  # an upstream id, as a provider's log shows it
    assert await ids(q="cat", status="failed") == [blocked]
    assert await ids(status="bogus") == []
    html = (await client.get("/_vidmock/ui", params={"provider": "openai", "q": "fox"})).text
    assert _job_ids(html) == [] and "No job matches these filters." in html
    assert '<small id="job-count">0 of 3</small>' in html
    # The form shows what is chosen, so the filtered page is a link one can share.
    openai = (await client.get("/_vidmock/ui", params={"provider": "openai"})).text
    assert '<option value="openai" selected>openai</option>' in openai
    assert '<small id="job-count">2 of 3</small>' in openai


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
    assert "submit:" in html and "predictLongRunning" in html
    assert 'id="download" href="http://127.0.0.1:4001/v1/videos/logs/' in html
    assert "?token=eyJ" in html and "key=vidmock" not in html  # link works; shown text and journal masked


@pytest.mark.anyio
async def test_identical_polls_collapse_into_one_row(client: httpx.AsyncClient, runtime: Any) -> None:
    vid = (await client.post("/v1/videos", json={"prompt": "fox", "seconds": 4}, headers=AUTH)).json()["id"]
    await runtime.advance(95)
    polls = [e for e in runtime.journal.entries if "fetchPredictOperation" in e.path]
    assert len(polls) == 18  # every 5 s for 90 s: what the timeline used to list row by row
    html = (await client.get(f"/_vidmock/ui/jobs/{vid}")).text
    timeline = html.split('id="timeline"')[1].split("</table>")[0]
    # The first poll (the job still queued) and the last (done) differ from the 16 in between.
    assert timeline.count('<tr class="event upstream') == 4  # submit, poll, the run, poll
    (run,) = re.findall(r'<tr class="event upstream collapsed" data-count="(\d+)">', timeline)
    assert run == "16"
    assert "poll × 16, 5 s apart, from t=+10 s to t=+85 s:" in timeline
    assert "at t=+10 s, +15 s, +20 s, +25 s, +30 s, +35 s, +40 s, +45 s, +50 s, +55 s, +60 s, +65 s" in timeline
    assert timeline.count("fetchPredictOperation") == 3 * 2 + 3  # each row: the call, its curl, its request body


def test_collapse_keeps_order_and_breaks_on_any_difference() -> None:
    from vidmock.inspector.timeline import Event, Run, collapse, run_summary

    def poll(at: float, same: str) -> Event:
        return Event(at, 1, "upstream x", "poll:", "", same=(same,))

    items = [poll(5, "a"), poll(10, "a"), poll(15, "a"), poll(20, "b"), Event(21, 2, "status", "s", ""), poll(25, "b")]
    out = collapse(items)
    assert [type(x).__name__ for x in out] == ["Run", "Event", "Event", "Event"]
    run = out[0]
    assert isinstance(run, Run) and [e.at for e in run.events] == [5, 10, 15]
    assert run_summary(run, 0) == "× 3, 5 s apart, from t=+5 s to t=+15 s"
    uneven = Run([poll(1, "a"), poll(3.5, "a"), poll(8.5, "a")])
    assert run_summary(uneven, 0) == "× 3, 2.5 s to 5 s apart, from t=+1 s to t=+8.5 s"
    assert collapse([Event(1, 0, "status", "s", ""), Event(1, 0, "status", "s", "")])[1].what == "s"  # no key: kept


@pytest.mark.anyio
async def test_copy_as_curl_masks_every_secret_as_a_variable(client: httpx.AsyncClient, runtime: Any) -> None:
    vid = (
        await client.post(
            "/v1/videos",
            json={
                "prompt": 'it\'s a "fox" for $HOME',
                "seconds": 4,
                "callback_url": "http://127.0.0.1:9/hooks",
                "callback_secret": "whsec_curl-secret",
            },
            headers={**AUTH, "X-Vidmock-Scenario": "veo-rai-celebrity"},
        )
    ).json()["id"]
    sora = (
        await client.post("/v1/videos", json={"prompt": "cat", "seconds": 4, "model": "sora-2"}, headers=AUTH)
    ).json()
    await runtime.advance(20)
    html = (await client.get(f"/_vidmock/ui/jobs/{vid}")).text
    create, *upstream = _copied(html)
    seed = runtime.store.get("gateway.job", vid)["seed"]
    assert create == (
        "curl -sS -X POST http://127.0.0.1:4001/v1/videos \\\n"
        '  -H "Authorization: Bearer ${VIDMOCK_API_KEY}" \\\n'
        "  -H 'Content-Type: application/json' \\\n"
        "  -H 'x-vidmock-scenario: veo-rai-celebrity' \\\n"
        f"  -H 'x-vidmock-seed: {seed}' \\\n"
        """  --data-raw '{"model":"google-vertex/veo-3.1-generate-preview","prompt":"it'"'"'s a \\"fox\\" for $HOME","""
        """"seconds":4,"size":"1280x720","callback_url":"http://127.0.0.1:9/hooks","callback_secret":"'"${VIDMOCK_CALLBACK_SECRET}"'"}'"""
    )
    submit = upstream[0]
    assert submit.startswith(
        "curl -sS -X POST "
        '"http://127.0.0.1:4001/providers/google-vertex/v1/projects/vidmock-project/locations/us-central1/publishers/'
        'google/models/veo-3.1-generate-001:predictLongRunning?key=${GOOGLE_VERTEX_API_KEY}"'
    )
    assert "-H 'content-type: application/json'" in submit and "host:" not in submit
    for command in [create, *upstream]:
        assert (
            KEY not in command and "whsec_curl-secret" not in command and "…" not in command
        )  # nothing masked-looking
    openai = (await client.get(f"/_vidmock/ui/jobs/{sora['id']}")).text
    poll = _copied(openai)[2]
    assert poll.startswith("curl -sS http://127.0.0.1:4001/providers/openai/v1/videos/video_")
    assert '-H "authorization: Bearer ${OPENAI_API_KEY}"' in poll


def test_a_curl_argument_survives_the_shell(tmp_path: Path) -> None:
    """What the shell makes of each quoted argument is the text, with the variable's value in place."""
    from vidmock.inspector.curl import shell_arg, var

    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    cases = [
        ("plain", "plain"),
        ('it\'s "quoted" $HOME `x` \\ !', 'it\'s "quoted" $HOME `x` \\ !'),
        ("Bearer " + var("SECRET_ONE"), "Bearer s3cr et"),
        ('{"a":"' + var("SECRET_ONE") + '","b":"$HOME\'s"}', '{"a":"s3cr et","b":"$HOME\'s"}'),
        ("x=" + var("SECRET_ONE") + "tail", "x=s3cr ettail"),
        ("@@VAR:SECRET_ONE@@ ${SECRET_ONE}", "@@VAR:SECRET_ONE@@ ${SECRET_ONE}"),  # text cannot forge a variable
    ]
    for given, expected in cases:
        out = subprocess.run(
            [bash, "-c", "printf %s " + shell_arg(given)],
            env={"SECRET_ONE": "s3cr et", "HOME": "/nowhere"},
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout == expected, (given, shell_arg(given))


@pytest.mark.anyio
async def test_requests_panel_reads_a_pluggable_source(runtime: Any) -> None:
    """The Requests panel takes any callable returning rows; the journal of upstream calls is the default."""
    from starlette.applications import Starlette

    from vidmock.inspector import RequestRow, inspector_routes

    rows: list[RequestRow] = [
        RequestRow(method="POST", path="/v1/videos", status=400, time=1773600000.0, surface="gateway", error="bad <b>"),
        *(
            RequestRow(
                method="GET", path="/v1/videos/v1", status=200, time=1773600001.0 + i, surface="gateway", error=None
            )
            for i in range(5)
        ),
        RequestRow(method="GET", path="/<img src=x>", status=404, time=1773600009.0, surface="openai", error=None),
        # The same poll minutes later is a row of its own, not the tail of the earlier run.
        RequestRow(method="GET", path="/v1/videos/v1", status=200, time=1773600200.0, surface="gateway", error=None),
    ]
    app = Starlette(routes=inspector_routes(runtime, requests=lambda: rows))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001") as c:
        html = (await c.get("/_vidmock/ui")).text
        panel = html.split('id="requests"')[1].split("</table>")[0]
        assert re.findall(r'<tr class="request[^"]*" data-count="(\d+)"', panel) == ["1", "1", "5", "1"]  # newest first
        assert "× 5 over 4 s" in panel
        assert '<div class="error">bad &lt;b&gt;</div>' in panel and "&lt;img src=x&gt;" in panel
        only = (await c.get("/_vidmock/ui", params={"provider": "openai"})).text
        assert re.findall(r'<tr class="request[^"]*" data-count="(\d+)"', only) == ["1"]


@pytest.mark.anyio
async def test_requests_panel_defaults_to_the_upstream_journal(client: httpx.AsyncClient, runtime: Any) -> None:
    await client.post("/v1/videos", json={"prompt": "cat", "seconds": 4, "model": "sora-2"}, headers=AUTH)
    await client.post(
        "/v1/videos",
        json={"prompt": "cat", "seconds": 4, "model": "sora-2"},
        headers={**AUTH, "X-Vidmock-Scenario": "sora-submit-429-burst"},
    )
    await runtime.advance(30)
    html = (await client.get("/_vidmock/ui")).text
    panel = html.split('id="requests"')[1].split("</table>")[0]
    assert "<td>openai</td>" in panel and "POST /v1/videos" in panel and "GET /v1/videos/video_" in panel
    # The rejected submit (no job was made) is there, with the provider's message.
    assert (
        '<td>openai</td><td><code>POST /v1/videos</code><div class="error">Rate limit reached for videos per min '
        "(RPM). Please try again later. Visit https://platform.openai.com/account/rate-limits to learn more.</div>"
        '</td><td><span class="http bad">429</span></td></tr>'
    ) in panel


@pytest.mark.anyio
async def test_live_state_changes_when_the_clock_or_a_job_does(client: httpx.AsyncClient, runtime: Any) -> None:
    async def state() -> dict[str, Any]:
        got = await client.get("/_vidmock/ui/state")
        assert got.status_code == 200 and got.headers["cache-control"] == "no-store"
        return dict(got.json())

    first = await state()
    assert first["mode"] == "virtual" and first["clock"] == "virtual clock · 2026-03-15 18:40:00Z"
    assert (await state())["version"] == first["version"]  # nothing happened: nothing to re-render
    page = (await client.get("/_vidmock/ui")).text
    assert f'data-version="{first["version"]}"' in page  # the page knows which state it shows
    await client.post("/_vidmock/clock/advance", json={"seconds": 5})  # as another process would
    moved = await state()
    assert moved["version"] != first["version"] and moved["now"] == first["now"] + 5
    await client.post("/v1/videos", json={"prompt": "cat", "seconds": 4}, headers=AUTH)
    assert (await state())["version"] != moved["version"]


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
        state = (await c.get("/_vidmock/ui/state")).json()
        again = (await c.get("/_vidmock/ui/state")).json()
    assert 'id="advance"' not in html and 'id="live"' in html
    assert state["mode"] == "real" and state["version"] == again["version"]  # time passing alone re-renders nothing


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
        [
            sys.executable,
            "-m",
            "vidmock",
            "serve",
            "--clock",
            "virtual",
            "--gateway-release",
            "pre-2026-03",
            "--port",
            str(port),
        ],
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
        if proc.stdout:
            proc.stdout.close()  # else a ResourceWarning (an error in this suite) when it is collected


def _non_trivial_png(path: Path, width: int) -> None:
    """A real picture of the page: a PNG exactly as wide as the window (nothing overflowed), tall
    enough to hold the page, and not one flat colour."""
    import av

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000, len(data)
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        assert frame.width == width and frame.height >= 400, (frame.width, frame.height)
        gray = frame.reformat(format="gray")
        plane = gray.planes[0]
        values = set(bytes(plane))
    assert len(values) > 16, f"the screenshot is nearly one colour: {sorted(values)[:20]}"


def _no_overflow(page: Any) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: scrollWidth {widths[0]} > innerWidth {widths[1]}"


def _open_every_details(page: Any) -> int:
    return int(
        page.evaluate(
            "document.querySelectorAll('details').forEach(d => d.open = true) || document.querySelectorAll('details[open]').length"
        )
    )


def test_inspector_in_chromium(served: str, tmp_path: Path) -> None:
    """One user session: filter the jobs, watch them finish while someone else advances the clock,
    open a job with every detail expanded, copy its create request as curl and run it."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    expect = playwright_api.expect
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    expect.set_options(timeout=30_000)  # a deadline against a hang, not a speed target: expect polls the DOM
    receiver = WebhookReceiver(secret="whsec_browser")
    try:
        with httpx.Client(base_url=served, headers={"Authorization": "Bearer vm-dev-key"}, timeout=30) as api:
            created = api.post(
                "/v1/videos",
                json={
                    "prompt": "a red fox in snow",
                    "seconds": 4,
                    "callback_url": receiver.url + "?" + "&".join(f"long-parameter-{i}=value-{i}" for i in range(40)),
                    "callback_secret": receiver.secret,
                },
            )
            assert created.status_code == 200, created.text
            vid = created.json()["id"]
            cats = [
                api.post("/v1/videos", json={"prompt": f"a cat, take {i}", "seconds": 4, "model": "sora-2"}).json()[
                    "id"
                ]
                for i in range(2)
            ]
            with playwright_api.sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    context = browser.new_context(
                        viewport={"width": 1280, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
                    )
                    page = context.new_page()
                    page.goto(f"{served}/_vidmock/ui")
                    rows = page.locator("#jobs tr.job")
                    expect(rows).to_have_count(3)
                    expect(page.locator("#requests tr.request").first).to_be_visible()
                    page.evaluate("window.sameDocument = true")  # gone if anything below reloads the page

                    # Filters narrow the rows in place, and the URL follows so the view can be shared.
                    page.select_option("#f-provider", "openai")
                    expect(rows).to_have_count(2)
                    expect(page).to_have_url(f"{served}/_vidmock/ui?provider=openai")
                    page.fill("#q", "take 1")
                    expect(rows).to_have_count(1)
                    expect(rows.first).to_have_attribute("data-id", cats[1])
                    page.fill("#q", "")
                    page.select_option("#f-provider", "")
                    expect(rows).to_have_count(3)

                    # Live refresh: the clock advanced by someone else (a test, curl) shows up by itself.
                    fox = page.locator(f'tr.job[data-id="{vid}"] .status')
                    expect(fox).to_have_text("queued")
                    advanced = api.post("/_vidmock/clock/advance", json={"seconds": 95})
                    assert advanced.status_code == 200, advanced.text
                    expect(fox).to_have_text("completed")
                    expect(page.locator("#clock")).to_contain_text("18:41:35Z")
                    # ...and the header's own control advances it too, still without a reload.
                    page.click("button.quick[data-seconds='30']")
                    expect(page.locator("#clock")).to_contain_text("18:42:05Z")
                    assert page.evaluate("window.sameDocument") is True

                    page.click(f'tr.job[data-id="{vid}"] a.job-link')
                    page.wait_for_url(f"**/_vidmock/ui/jobs/{vid}")
                    attempts = page.locator("#webhooks tr.attempt")
                    expect(attempts).to_have_count(1)
                    expect(attempts.first.locator(".response")).to_have_text("200")
                    expect(attempts.first.locator(".verdict")).to_have_text("valid llmgateway signature")
                    expect(page.locator("#timeline tr.event.upstream").first).to_contain_text("submit")
                    expect(page.locator("#timeline tr.collapsed")).to_contain_text("poll × 16, 5 s apart")
                    href = page.get_attribute("#download", "href")
                    assert href and href.startswith(f"{served}/v1/videos/logs/")
                    assert httpx.get(href, timeout=30).content[4:8] == b"ftyp"  # the link downloads the MP4

                    # Every detail open: long URLs and bodies wrap or scroll in their own box.
                    opened = _open_every_details(page)
                    assert opened >= 6
                    for selector in ("#timeline", "#webhooks", "dl.summary", "button.copy"):
                        expect(page.locator(selector).first).to_be_visible()
                    _no_overflow(page)
                    page.set_viewport_size({"width": 760, "height": 900})
                    _no_overflow(page)
                    page.set_viewport_size({"width": 1280, "height": 900})

                    # Live refresh on the job page keeps open what the user opened.
                    page.evaluate("window.sameDocument = true")
                    api.post("/_vidmock/clock/advance", json={"seconds": 5})
                    expect(page.locator("#clock")).to_contain_text("18:42:10Z")
                    state = api.get("/_vidmock/ui/state").json()
                    expect(page.locator("body")).to_have_attribute("data-version", state["version"])
                    assert page.evaluate("document.querySelectorAll('details[open]').length") == opened
                    assert page.evaluate("window.sameDocument") is True

                    # Copy as curl: the clipboard gets a command with variables, which runs as it is.
                    page.locator(".create button.copy").click()
                    expect(page.locator(".create button.copy")).to_have_text("copied")
                    command = page.evaluate("navigator.clipboard.readText()")
                    assert "${VIDMOCK_API_KEY}" in command and "vm-dev-key" not in command
                    assert "whsec_browser" not in command and "${VIDMOCK_CALLBACK_SECRET}" in command
                    ran = subprocess.run(
                        ["bash", "-c", command],
                        env={**os.environ, "VIDMOCK_API_KEY": "vm-dev-key", "VIDMOCK_CALLBACK_SECRET": "whsec_again"},
                        capture_output=True,
                        text=True,
                        timeout=60,
                    )
                    again = json.loads(ran.stdout)
                    assert again["status"] == "queued" and again["model"] == "google-vertex/veo-3.1-generate-preview"
                    assert (
                        api.get(f"/_vidmock/jobs/{again['id']}").json()["seed"]
                        == api.get(f"/_vidmock/jobs/{vid}").json()["seed"]
                    )  # the same seed: the same timeline

                    # An upstream call's command reaches the emulator as the gateway's call did.
                    poll = page.locator("#timeline tr.collapsed button.copy").get_attribute("data-copy")
                    assert poll and "${GOOGLE_VERTEX_API_KEY}" in poll and "vidmock-vertex-key" not in poll
                    ran = subprocess.run(
                        ["bash", "-c", poll],
                        env={**os.environ, "GOOGLE_VERTEX_API_KEY": "any-key"},
                        capture_output=True,
                        text=True,
                        timeout=60,
                    )
                    assert json.loads(ran.stdout)["name"].endswith(
                        api.get(f"/_vidmock/jobs/{vid}").json()["upstream_id"]
                    )

                    shot = tmp_path / "job.png"
                    page.screenshot(path=str(shot), full_page=True)
                    _non_trivial_png(shot, width=1280)
                    index = tmp_path / "index.png"
                    page.goto(f"{served}/_vidmock/ui")
                    expect(page.locator("#requests")).to_be_visible()
                    page.screenshot(path=str(index), full_page=True)
                    _non_trivial_png(index, width=1280)
                    if os.environ.get("VIDMOCK_KEEP_SCREENSHOT"):
                        shutil.copy(shot, os.environ["VIDMOCK_KEEP_SCREENSHOT"])
                        shutil.copy(index, os.environ["VIDMOCK_KEEP_SCREENSHOT"] + ".index.png")
                finally:
                    browser.close()
        assert len(receiver.deliveries) == 1
    finally:
        receiver.close()
