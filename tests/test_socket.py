"""vidmock as a user runs it: `vidmock serve` in a subprocess, over a real loopback socket."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest
from liveserver import LiveServer

AUTH = {"Authorization": "Bearer vm-dev-key"}


def _serve(tmp_path: Path, *args: str) -> Iterator[str]:
    with LiveServer(tmp_path, *args) as server:
        yield server.base


@pytest.fixture
def virtual_server(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, "--clock", "virtual")


def test_serve_virtual_end_to_end(virtual_server: str) -> None:
    with httpx.Client(base_url=virtual_server, timeout=10) as c:
        r = c.post("/v1/videos", json={"prompt": "fox", "seconds": 4, "size": "720x1280", "audio": False}, headers=AUTH)
        assert r.status_code == 200, r.text
        vid = r.json()["id"]
        assert r.headers["x-request-id"]
        clock = c.post("/_vidmock/clock/advance", json={"seconds": 95}).json()
        assert clock["mode"] == "virtual" and clock["now"] == 1773600000 + 95
        video = c.get(f"/v1/videos/{vid}", headers=AUTH).json()
        assert video["status"] == "completed"
        url = video["content"][0]["url"]
        assert url.startswith(virtual_server + "/v1/videos/logs/")
        data = httpx.get(url, timeout=10).content  # the signed URL needs no key
        with av.open(io.BytesIO(data)) as container:
            ctx = container.streams.video[0].codec_context
            assert (ctx.width, ctx.height) == (720, 1280)
            assert len(container.streams.audio) == 0
        part = c.get(f"/v1/videos/{vid}/content", headers={**AUTH, "Range": "bytes=0-9"})
        assert part.status_code == 206 and part.content == data[:10]
        assert part.headers["content-range"] == f"bytes 0-9/{len(data)}"
        assert c.get("/openapi.yaml").content == Path("openapi.yaml").read_bytes()
        calls = c.get("/_vidmock/calls", params={"service": "google-vertex"}).json()["calls"]
        assert calls[0]["path"].endswith("veo-3.1-generate-001:predictLongRunning")
        assert calls[0]["headers"]["x-request-id"] == r.headers["x-request-id"]


def test_serve_scaled_clock_runs_a_two_minute_render(tmp_path: Path) -> None:
    config = tmp_path / "vidmock.yaml"
    config.write_text("latency:\n  veo-3.1-generate-001: 120\n")
    for base in _serve(tmp_path, "--speed", "60", "--config", str(config)):
        with httpx.Client(base_url=base, timeout=10) as c:
            sent = time.monotonic()
            video = c.post("/v1/videos", json={"prompt": "fox", "seconds": 4}, headers=AUTH).json()
            assert video["status"] in ("queued", "in_progress")
            deadline = time.monotonic() + 120  # bounds a hang only: at x60 the render takes 2 s of wall time
            while video["status"] != "completed" and time.monotonic() < deadline:
                time.sleep(0.1)
                video = c.get(f"/v1/videos/{video['id']}", headers=AUTH).json()
            seen = time.monotonic()
            assert video["status"] == "completed"
            took = video["completed_at"] - video["created_at"]
            # Scripted 120 s of clock time: never sooner, however fast the machine. The clock runs at
            # x60 of wall time, so no more clock time passed than 60 times the wall time this test saw
            # (+1 s: the timestamps are whole seconds). How much more than 120 s depends on the machine.
            assert 120 <= took <= 60 * (seen - sent) + 1


def test_sigkill_with_sqlite_store_loses_nothing(tmp_path: Path) -> None:
    store = str(tmp_path / "state.sqlite")
    ids = []
    first = LiveServer(tmp_path, "--clock", "virtual", "--store", store)
    with httpx.Client(base_url=first.base, timeout=10) as c:
        for seconds in (4, 6):
            r = c.post("/v1/videos", json={"prompt": "fox", "seconds": seconds}, headers=AUTH)
            assert r.status_code == 200
            ids.append(r.json()["id"])
        c.post("/_vidmock/clock/advance", json={"seconds": 10})
    first.kill()  # SIGKILL: no shutdown handler runs
    for base in _serve(tmp_path, "--clock", "virtual", "--store", store):
        with httpx.Client(base_url=base, timeout=10) as c:
            assert c.get("/_vidmock/clock").json()["now"] == 1773600000 + 10  # virtual time resumed
            for vid in ids:
                assert c.get(f"/v1/videos/{vid}", headers=AUTH).json()["status"] == "in_progress"
            c.post("/_vidmock/clock/advance", json={"seconds": 90})
            for vid in ids:
                video = c.get(f"/v1/videos/{vid}", headers=AUTH).json()
                assert video["status"] == "completed"
                assert c.get(f"/v1/videos/{vid}/content", headers=AUTH).status_code == 200
            # New ids continue the sequence rather than reissuing one.
            r = c.post("/v1/videos", json={"prompt": "fox", "seconds": 4}, headers=AUTH)
            assert r.json()["id"] not in ids


def test_gateway_reaches_a_provider_over_http_when_configured(tmp_path: Path) -> None:
    """Two servers: B's gateway calls A's Vertex emulator over a real socket (provider_urls)."""
    for provider_base in _serve(tmp_path, "--clock", "virtual"):
        config = tmp_path / "b.yaml"
        config.write_text(f"provider_urls:\n  google-vertex: {provider_base}/providers/google-vertex\n")
        for gateway in _serve(tmp_path, "--clock", "virtual", "--config", str(config)):
            with httpx.Client(timeout=10) as c:
                r = c.post(f"{gateway}/v1/videos", json={"prompt": "fox", "seconds": 4}, headers=AUTH)
                assert r.status_code == 200, r.text
                vid = r.json()["id"]
                calls = c.get(f"{provider_base}/_vidmock/calls").json()["calls"]
                assert calls[0]["path"].endswith(":predictLongRunning")
                c.post(f"{provider_base}/_vidmock/clock/advance", json={"seconds": 95})  # the render finishes
                c.post(f"{gateway}/_vidmock/clock/advance", json={"seconds": 5})  # the worker polls A
                video = c.get(f"{gateway}/v1/videos/{vid}", headers=AUTH).json()
                assert video["status"] == "completed"
                assert c.get(f"{gateway}/v1/videos/{vid}/content", headers=AUTH).content[4:8] == b"ftyp"


def test_serve_one_provider_on_its_own_port(tmp_path: Path) -> None:
    for base in _serve(tmp_path, "--clock", "virtual", "--provider", "bytedance"):
        with httpx.Client(base_url=base, timeout=10) as c:
            r = c.post(
                "/api/v3/contents/generations/tasks",
                headers={"Authorization": "Bearer k"},
                json={
                    "model": "dreamina-seedance-2-0-260128",
                    "content": [{"type": "text", "text": "a fox"}],
                    "duration": 5,
                },
            )
            assert r.status_code == 200, r.text
            task = r.json()["id"]
            c.post("/_vidmock/clock/advance", json={"seconds": 3600})
            got = c.get(f"/api/v3/contents/generations/tasks/{task}", headers={"Authorization": "Bearer k"}).json()
            assert got["status"] == "succeeded"
            video = httpx.get(got["content"]["video_url"], timeout=10)
            assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    bad = subprocess.run([sys.executable, "-m", "vidmock", "serve", "--provider", "nope"], capture_output=True)
    assert bad.returncode == 2 and b"--provider: expected one of alibaba," in bad.stderr


def test_several_worker_processes_share_one_job_space(tmp_path: Path) -> None:
    from vidmock.listen import Receiver, running

    receiver = Receiver("whsec_multi")
    store = str(tmp_path / "shared.sqlite")
    config = tmp_path / "w.yaml"
    config.write_text("latency:\n  veo-3.1-generate-001: 8\n")
    # Claims and the webhook timeout are clock time (30 s), so at x4 they last 7.5 s of wall time: long
    # enough that a loaded machine does not see a claim expire mid-poll or an attempt time out, which
    # would rightly send a second delivery (at x60 they were half a second).
    speed = 4
    with running(receiver) as hook:
        args = ("--workers", "2", "--store", store, "--speed", str(speed), "--config", str(config))
        for base in _serve(tmp_path, *args):
            pids = set()
            with httpx.Client(base_url=base, timeout=10):
                ids = []
                for i in range(8):
                    # A new connection each time, so the kernel spreads them over both processes.
                    r = httpx.post(
                        f"{base}/v1/videos",
                        headers=AUTH,
                        timeout=10,
                        json={
                            "prompt": f"fox {i}",
                            "seconds": 4,
                            "callback_url": f"{hook}/hook",
                            "callback_secret": "whsec_multi",
                        },
                    )
                    assert r.status_code == 200, r.text
                    ids.append(r.json()["id"])
                for _ in range(500):  # until both processes have answered; bounds a hang only
                    pids.add(httpx.get(f"{base}/_vidmock/health", timeout=5).json()["pid"])
                    if len(pids) == 2:
                        break
                deadline = time.monotonic() + 120  # bounds a hang only
                while time.monotonic() < deadline:
                    states = [httpx.get(f"{base}/v1/videos/{v}", headers=AUTH, timeout=5).json()["status"] for v in ids]
                    if all(s == "completed" for s in states) and len(receiver.deliveries) >= len(ids):
                        break
                    time.sleep(0.2)
                assert states == ["completed"] * len(ids)
                time.sleep(2 * 5.0 / speed)  # a second send of a claimed row would come within two 5 s loop periods
            assert len(pids) == 2
            events = [d.event_id for d in receiver.deliveries]
            assert sorted(events) == sorted(f"evt_{v}" for v in ids)  # exactly one delivery per job
            assert all(d.verdict.ok for d in receiver.deliveries)


def test_worker_processes_serve_the_chosen_provider_emulator(tmp_path: Path) -> None:
    # `--workers` once ignored `--provider` and served the gateway: this token would then be refused (401)
    # and the answer would be the gateway's job object, not Sora's.
    store = str(tmp_path / "shared.sqlite")
    for base in _serve(tmp_path, "--workers", "2", "--provider", "openai", "--store", store, "--speed", "4"):
        auth = {"Authorization": "Bearer sk-anything"}
        created = httpx.post(f"{base}/v1/videos", headers=auth, json={"prompt": "fox", "model": "sora-2"}, timeout=10)
        assert created.status_code == 200, created.text
        video = created.json()
        assert video["object"] == "video" and video["id"].startswith("video_"), video
        for _ in range(6):  # new connections, spread over both processes: one store behind them
            again = httpx.get(f"{base}/v1/videos/{video['id']}", headers=auth, timeout=10)
            assert again.status_code == 200 and again.json()["id"] == video["id"], again.text


def test_vertex_output_bucket_over_a_socket(tmp_path: Path) -> None:
    """A bucket from a config file: the job's video lives in the GCS stand-in, downloaded through the
    gateway and through a URL signed the way GCS V4 signs (checked by the stand-in) over loopback."""
    from vidmock.gateway.domain.jobs import SerializeOptions, signed_gcs_url
    from vidmock.gcs import HmacKey

    config = tmp_path / "vidmock.yaml"
    config.write_text("vertex_output_bucket: gs://acme-videos/out\ngcs_hmac_secret: from-the-config\n")
    for base in _serve(tmp_path, "--clock", "virtual", "--config", str(config)):
        with httpx.Client(base_url=base, timeout=10) as c:
            vid = c.post("/v1/videos", json={"prompt": "fox", "seconds": 4}, headers=AUTH).json()["id"]
            c.post("/_vidmock/clock/advance", json={"seconds": 95})
            via_gateway = c.get(f"/v1/videos/{vid}/content", headers=AUTH)
            assert via_gateway.status_code == 200 and via_gateway.content[4:8] == b"ftyp"
            reads = c.get("/_vidmock/calls", params={"service": "gcs"}).json()["calls"]
            assert len(reads) == 1 and reads[0]["path"].startswith("/providers/gcs/acme-videos/out/")
            storage_uri = "gs://acme-videos/out/" + reads[0]["path"].split("/providers/gcs/acme-videos/out/", 1)[1]
            now = c.get("/_vidmock/clock").json()["now"]
            opts = SerializeOptions(base, "x", gcs_key=HmacKey("GOOG1EVIDMOCKHMACKEY", "from-the-config"))
            signed = signed_gcs_url(storage_uri, now, opts)
            assert signed is not None and c.get(signed).content == via_gateway.content
            wrong = SerializeOptions(base, "x", gcs_key=HmacKey("GOOG1EVIDMOCKHMACKEY", "vidmock-gcs-hmac-secret"))
            refused = c.get(signed_gcs_url(storage_uri, now, wrong) or "")
            assert refused.status_code == 403 and b"SignatureDoesNotMatch" in refused.content
