"""`vidmock listen` and `vidmock.listen.Receiver`: verify, record and answer by script (issue 5 part 3)."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import Message

from vidmock.listen import Receiver, ResponseScript, ScriptError, Step, running
from vidmock.listen.display import format_line
from vidmock.listen.script import HANG, StepSpec, parse_script
from vidmock.webhooks import sign

SECRET = "whsec_my-secret"
NOW = 1773600000.0
JOB = "vid_abc123"


def event(job: str = JOB, type_: str = "video.completed", ts: int = int(NOW)) -> dict[str, Any]:
    return {
        "object": "event",
        "id": f"evt_{job}",
        "type": type_,
        "created_at": ts,
        "data": {"id": job, "object": "video", "status": "completed", "prompt": "café ☕"},
    }


def signed(
    payload: dict[str, Any], secret: str = SECRET, ts: int = int(NOW), scheme: str = "llmgateway"
) -> tuple[bytes, dict[str, str]]:
    """Compact JSON, non-ASCII kept, as the gateway sends it (JSON.stringify)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", **sign(scheme, secret, payload["id"], ts, body)}
    return body, headers


def _client(receiver: Receiver) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app), base_url="http://receiver.test")


async def post(
    receiver: Receiver,
    payload: dict[str, Any] | None = None,
    *,
    path: str = "/hooks/video",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    **sign_kw: Any,
) -> httpx.Response:
    if body is None or headers is None:
        body, headers = signed(payload or event(), **sign_kw)
    async with _client(receiver) as c:
        return await c.post(path, content=body, headers=headers)


# -- verification ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_valid_delivery_is_recorded_with_everything() -> None:
    receiver = Receiver(SECRET, now=lambda: NOW + 2)
    body, headers = signed(event())
    r = await post(
        receiver,
        path="/hooks/video?x=1",
        body=body,
        headers={**headers, "Authorization": "Bearer sk-very-secret-token"},
    )
    assert r.status_code == 200
    (d,) = receiver.deliveries
    assert (d.index, d.received_at, d.method, d.path) == (1, NOW + 2, "POST", "/hooks/video?x=1")
    assert (d.event_id, d.event_type, d.job_id, d.attempt) == (f"evt_{JOB}", "video.completed", JOB, 1)
    assert d.verdict.ok is True and d.verdict.reason == "ok" and d.verdict.likely_mistake is None
    assert d.body.encode() == body  # the raw text, non-ASCII intact
    assert d.headers["webhook-signature"] == headers["webhook-signature"]
    assert d.headers["webhook-id"] == f"evt_{JOB}"
    assert d.headers["authorization"] == "Bearer sk-v…"
    assert "sk-very-secret-token" not in json.dumps(receiver.to_json())
    assert (d.answered.status, d.answered.hang) == (200, False)


@pytest.mark.anyio
async def test_a_reserialised_body_is_named_as_the_mistake() -> None:
    receiver = Receiver(SECRET, now=lambda: NOW)
    _, headers = signed(event())
    tampered = json.dumps(event()).encode()  # what json.loads + json.dumps does to the raw bytes
    r = await post(receiver, body=tampered, headers=headers)
    assert r.status_code == 200  # the script decides the answer; the verdict is for the developer
    verdict = receiver.deliveries[0].verdict
    assert verdict.ok is False and verdict.reason == "no_matching_signature"
    assert verdict.likely_mistake == "body_reserialised"
    assert "raw" in verdict.message
    assert "INVALID body_reserialised" in format_line(receiver.deliveries[0])


@pytest.mark.anyio
async def test_a_changed_byte_fails_and_a_wrong_secret_is_not_explained_away() -> None:
    receiver = Receiver(SECRET, now=lambda: NOW)
    body, headers = signed(event())
    await post(receiver, body=body.replace(b"completed", b"complete!"), headers=headers)
    await post(receiver, event(), secret="whsec_someone-else")
    for d in receiver.deliveries:
        assert d.verdict.ok is False and d.verdict.reason == "no_matching_signature"
        assert d.verdict.likely_mistake is None and "right secret" in d.verdict.message
    assert SECRET not in json.dumps(receiver.to_json())
    assert receiver.to_json()["secrets"] == ["whse…"]


@pytest.mark.anyio
async def test_secret_decoded_standard_style_is_named() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    receiver = Receiver(secret, now=lambda: NOW)
    await post(receiver, event(), secret=secret, scheme="standard")  # sender decoded the key
    assert receiver.deliveries[0].verdict.likely_mistake == "secret_base64_decoded"


@pytest.mark.anyio
async def test_stale_and_future_timestamps_on_the_injected_clock() -> None:
    clock = {"now": NOW}
    receiver = Receiver(SECRET, now=lambda: clock["now"])
    await post(receiver, event(), ts=int(NOW) - 301)
    await post(receiver, event(), ts=int(NOW) + 301)
    await post(receiver, event(), ts=int(NOW) - 300)  # the window is inclusive
    old, new, edge = receiver.deliveries
    assert (old.verdict.reason, old.verdict.likely_mistake) == ("timestamp_too_old", "stale_timestamp")
    assert "signature itself is valid" in old.verdict.message
    assert (new.verdict.reason, new.verdict.likely_mistake) == ("timestamp_too_new", "future_timestamp")
    assert edge.verdict.ok is True
    clock["now"] = NOW + 10_000  # the same delivery, judged later on the receiver's clock
    await post(receiver, event())
    assert receiver.deliveries[-1].verdict.likely_mistake == "stale_timestamp"
    assert receiver.deliveries[-1].received_at == NOW + 10_000


@pytest.mark.anyio
async def test_tolerance_none_and_rotation_and_no_secret() -> None:
    lenient = Receiver(["whsec_old", SECRET], tolerance=None, now=lambda: NOW + 86400)
    await post(lenient, event())
    assert lenient.deliveries[0].verdict.ok is True
    blind = Receiver(None, now=lambda: NOW)
    await post(blind, body=b"not json", headers={})
    d = blind.deliveries[0]
    assert (d.verdict.ok, d.verdict.reason, d.verdict.label) == (None, "unverified", "unverified")
    assert (d.event_id, d.event_type, d.job_id) == (None, None, None)
    assert list(blind.summary()) == ["(no event id)"]


@pytest.mark.anyio
async def test_missing_headers_and_other_schemes() -> None:
    receiver = Receiver(SECRET, now=lambda: NOW)
    await post(receiver, body=json.dumps(event()).encode(), headers={"Content-Type": "application/json"})
    d = receiver.deliveries[0]
    assert d.verdict.likely_mistake == "missing_signature_headers"
    assert d.event_id == f"evt_{JOB}"  # read from the body when no header carries it
    stripe = Receiver("whsec_stripe", scheme="stripe", now=lambda: NOW)
    await post(stripe, event(), secret="whsec_stripe", scheme="stripe")
    assert stripe.deliveries[0].verdict.ok is True
    with pytest.raises(ValueError, match="unknown webhook scheme"):
        Receiver(SECRET, scheme="slack")
    with pytest.raises(ValueError, match="whsec_ \\+ base64") as err:
        Receiver("whsec_not-base64!", scheme="standard")  # unusable key: refused up front
    assert "not-base64" not in str(err.value)


@pytest.mark.anyio
async def test_get_is_not_a_delivery() -> None:
    receiver = Receiver(SECRET, now=lambda: NOW)
    async with _client(receiver) as c:
        assert (await c.get("/hooks")).status_code == 405
    assert receiver.deliveries == []


# -- response scripts -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_per_event_script_fails_each_event_twice_then_succeeds() -> None:
    receiver = Receiver(SECRET, script=ResponseScript([500, 500, 200], per_event=True), now=lambda: NOW)
    order = ["a", "b", "a", "a", "b", "b", "a"]
    statuses = [(await post(receiver, event(job))).status_code for job in order]
    assert statuses == [500, 500, 500, 200, 500, 200, 200]
    assert [(d.job_id, d.attempt) for d in receiver.deliveries] == [
        ("a", 1),
        ("b", 1),
        ("a", 2),
        ("a", 3),
        ("b", 2),
        ("b", 3),
        ("a", 4),
    ]
    summary = receiver.summary()
    assert summary["evt_a"]["attempts"] == 4 and summary["evt_a"]["statuses"] == [500, 500, 200, 200]
    assert summary["evt_b"]["final_verdict"]["ok"] is True
    assert summary["evt_b"]["verdicts"] == ["ok"] * 3


@pytest.mark.anyio
async def test_global_script_is_shared_in_arrival_order() -> None:
    receiver = Receiver(SECRET, script=[500, 200], now=lambda: NOW)
    statuses = [(await post(receiver, event(job))).status_code for job in ("a", "b", "a")]
    assert statuses == [500, 200, 200]
    assert receiver.script.remaining() == 0


@pytest.mark.anyio
async def test_redirect_retry_after_gone_and_body_steps() -> None:
    script: list[StepSpec] = [
        {"status": 302, "location": "https://elsewhere.test/hook"},
        {"status": 429, "retry_after": 30},
        {"status": 410},
        {"status": 200, "body": "thanks"},
        "503:7",
    ]
    receiver = Receiver(SECRET, script=script, now=lambda: NOW)
    moved, busy, gone, ok, unavailable = [await post(receiver, event()) for _ in range(5)]
    assert moved.status_code == 302 and moved.headers["location"] == "https://elsewhere.test/hook"
    assert busy.status_code == 429 and busy.headers["retry-after"] == "30"
    assert gone.status_code == 410
    assert ok.status_code == 200 and ok.text == "thanks"
    assert unavailable.status_code == 503 and unavailable.headers["retry-after"] == "7"
    answered = [d.answered for d in receiver.deliveries]
    assert answered[0].headers == {"location": "https://elsewhere.test/hook"}
    assert [a.status for a in answered] == [302, 429, 410, 200, 503]
    assert (await post(receiver, event())).status_code == 200  # the default once the script is used up


@pytest.mark.anyio
async def test_hang_never_answers_until_close() -> None:
    receiver = Receiver(SECRET, script=["hang"], now=lambda: NOW)
    pending = asyncio.create_task(post(receiver, event()))
    (d,) = await receiver.wait_async(1)  # recorded (and shown) before it hangs
    assert (d.answered.status, d.answered.hang) == (None, True)
    assert not pending.done() and receiver.hanging == 1
    receiver.close()
    assert (await pending).status_code == 503
    assert receiver.hanging == 0
    assert "hang" in format_line(d)
    assert (await post(receiver, event())).status_code == 200
    after = Receiver(SECRET, script=["hang"], now=lambda: NOW)
    after.close()  # a closed receiver no longer hangs
    assert (await post(after, event())).status_code == 503


@pytest.mark.anyio
async def test_a_hang_ends_when_the_sender_gives_up() -> None:
    receiver = Receiver(SECRET, script=["hang"], now=lambda: NOW)
    body, headers = signed(event())
    # The sender's timeout fired: after the body, the next ASGI message is the disconnect.
    messages: list[Message] = [{"type": "http.request", "body": body, "more_body": False}, {"type": "http.disconnect"}]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/hooks",
        "raw_path": b"/hooks",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("receiver.test", 80),
        "client": ("127.0.0.1", 9),
        "root_path": "",
    }
    await asyncio.wait_for(receiver(scope, receive, send), timeout=10)  # returns: nothing held
    assert receiver.hanging == 0 and receiver.deliveries[0].answered.hang


def test_compact_script_grammar() -> None:
    assert parse_script("500,500,hang,302:https://x.test/a?b=1,429:30,410,200:ok") == [
        Step(500),
        Step(500),
        HANG,
        Step(302, location="https://x.test/a?b=1"),
        Step(429, retry_after=30),
        Step(410),
        Step(200, body="ok"),
    ]
    assert parse_script("3*500, 200") == [Step(500)] * 3 + [Step(200)]
    assert parse_script(" ") == []
    script = ResponseScript.parse("2*500,hang", per_event=True)
    assert script.describe() == "500,500,hang, then 200 (per event)"
    assert [script.next("e1").status for _ in range(4)] == [500, 500, None, 200]
    assert script.next("e2").status == 500 and script.remaining("e2") == 2


@pytest.mark.parametrize(
    "text, bad",
    [
        ("500,abc,200", "token 2 'abc'"),
        ("500,,200", "token 2 ''"),
        ("99", "token 1 '99'"),
        ("600", "token 1 '600'"),
        ("429:soon", "token 1 '429:soon'"),
        ("0*500", "token 1 '0*500'"),
        ("2*nope", "token 1 'nope'"),
        ("1xx", "token 1 '1xx'"),
    ],
)
def test_invalid_script_text_names_the_bad_token(text: str, bad: str) -> None:
    with pytest.raises(ScriptError, match=bad.replace("*", r"\*")):
        ResponseScript.parse(text)


@pytest.mark.parametrize(
    "steps, match",
    [
        ([{"status": 302, "loc": "x"}], "step 1: unknown key"),
        ([200, True], "step 2"),
        ([{"status": 429, "retry_after": -1}], "retry_after"),
        ([199], "step 1"),
        ([{"body": "x"}], "step 1"),
    ],
)
def test_invalid_script_data_names_the_bad_step(steps: list[Any], match: str) -> None:
    with pytest.raises(ScriptError, match=match):
        ResponseScript(steps)


# -- the record -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_to_json_and_write(tmp_path: Path) -> None:
    receiver = Receiver(SECRET, script="500", now=lambda: NOW)
    await post(receiver, event())
    await post(receiver, event())
    path = tmp_path / "record.json"
    receiver.write(path)
    saved = json.loads(path.read_text())
    assert saved == json.loads(json.dumps(receiver.to_json()))
    assert saved["scheme"] == "llmgateway" and saved["script"] == "500, then 200 (global)"
    first = saved["deliveries"][0]
    assert first["verdict"] == {
        "ok": True,
        "reason": "ok",
        "likely_mistake": None,
        "message": "The signature is valid for the raw body.",
    }
    assert first["answered"] == {"status": 500, "hang": False, "headers": {}, "body": ""}
    assert saved["summary"][f"evt_{JOB}"]["statuses"] == [500, 200]
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]  # no temporary file left behind


# -- over a real socket ---------------------------------------------------------------------------


def test_running_serves_on_a_loopback_socket() -> None:
    receiver = Receiver(SECRET, script=[500], now=lambda: NOW)
    with running(receiver) as url:
        assert url.startswith("http://127.0.0.1:")
        body, headers = signed(event())
        assert httpx.post(f"{url}/hooks", content=body, headers=headers).status_code == 500
        assert httpx.post(f"{url}/hooks", content=body, headers=headers).status_code == 200
    assert [d.attempt for d in receiver.deliveries] == [1, 2]
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{url}/hooks", content=body, headers=headers)


def test_running_releases_a_hang_on_exit() -> None:
    receiver = Receiver(SECRET, script=["hang"], now=lambda: NOW)
    results: list[int] = []
    with running(receiver) as url:
        body, headers = signed(event())
        worker = threading.Thread(
            target=lambda: results.append(
                httpx.post(f"{url}/hooks", content=body, headers=headers, timeout=30).status_code
            )
        )
        worker.start()
        receiver.wait(1)
    worker.join(10)
    assert results == [503]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lines(stream: Any) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for raw in iter(stream.readline, b""):
            lines.put(raw.decode())
        lines.put("")  # EOF

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _until(lines: queue.Queue[str], needle: str, seen: list[str]) -> str:
    while True:
        line = lines.get(timeout=20)
        seen.append(line)
        if not line:
            raise AssertionError("vidmock listen exited:\n" + "".join(seen))
        if needle in line:
            return line


def test_vidmock_listen_command(tmp_path: Path) -> None:
    port, record = _free_port(), tmp_path / "deliveries.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vidmock",
            "listen",
            "--port",
            str(port),
            "--secret",
            SECRET,
            "--record",
            str(record),
            "--respond",
            "500,200",
            "--tolerance",
            "none",
        ],  # signed at NOW, not wall time
        env={k: v for k, v in os.environ.items() if k != "VIDMOCK_WEBHOOK_SECRET"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seen: list[str] = []
    try:
        assert proc.stderr is not None
        lines = _lines(proc.stderr)
        banner = _until(lines, "receiving webhooks on", seen)
        assert f"http://127.0.0.1:{port}/" in banner and "whse…" in banner and "500,200" in banner
        assert "tolerance none" in banner
        body, headers = signed(event())
        url = f"http://127.0.0.1:{port}/hooks/video"
        assert httpx.post(url, content=body, headers=headers, timeout=10).status_code == 500
        first = _until(lines, f"evt_{JOB}", seen)
        assert "video.completed" in first and JOB in first and "#1" in first and "ok -> 500" in first
        assert httpx.post(url, content=body + b" ", headers=headers, timeout=10).status_code == 200
        second = _until(lines, f"evt_{JOB}", seen)
        assert "#2" in second and "INVALID" in second  # a byte appended after signing
        saved = json.loads(record.read_text())  # written before the answer went out
        assert [d["attempt"] for d in saved["deliveries"]] == [1, 2]
        assert [d["answered"]["status"] for d in saved["deliveries"]] == [500, 200]
        assert [d["verdict"]["ok"] for d in saved["deliveries"]] == [True, False]
        assert saved["deliveries"][0]["body"].encode() == body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        rest = proc.stderr.read().decode() if proc.stderr else ""
        for pipe in (proc.stdout, proc.stderr):
            if pipe:
                pipe.close()  # else a ResourceWarning (an error in this suite) when it is collected
    assert proc.returncode == 0
    assert SECRET not in "".join(seen) + rest


def test_vidmock_listen_rejects_a_bad_script(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vidmock", "listen", "--respond", "500,teapot"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "token 2 'teapot'" in done.stderr
