"""Security (issue 12 items 2 and 5): random content secret, non-empty control token, loopback by
parsing, IPv6 hosts, callbacks that never reach the control plane, secrets masked everywhere."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import AUTH
from conftest import test_config as config_for
from liveserver import LiveServer

from vidmock.cli import main
from vidmock.config import ConfigError, ServerConfig, build_config
from vidmock.control import ControlGuard
from vidmock.masking import mask_query, mask_url
from vidmock.netaddr import SELF_CALL, SelfCallGuard, is_loopback
from vidmock.providers.callbacks import dispatcher_of
from vidmock.server import build_app
from vidmock.serving import MaskSecrets

pytestmark = pytest.mark.anyio

VEO = {"prompt": "a fox", "seconds": 4}


def asgi(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4001")


# -- the content secret ----------------------------------------------------------------------------
def test_the_content_secret_is_random_per_start_unless_configured(media: Any) -> None:
    one = build_app(config_for(), media=media).state.vidmock.config.content_secret
    two = build_app(config_for(), media=media).state.vidmock.config.content_secret
    assert one and two and one != two
    assert one != "llmgateway-dev-video-content-secret"
    fixed = build_app(config_for(content_secret="mine"), media=media).state.vidmock.config.content_secret
    assert fixed == "mine"


async def test_with_a_store_signed_urls_survive_a_restart(tmp_path: Path, media: Any) -> None:
    config = config_for(store=str(tmp_path / "s.sqlite"))
    app = build_app(config, media=media)
    async with asgi(app) as client:
        vid = (await client.post("/v1/videos", json=VEO, headers=AUTH)).json()["id"]
        await app.state.vidmock.advance(600)
        url = (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()["content"][0]["url"]
    await app.state.vidmock.aclose()
    again = build_app(config, media=media)
    assert again.state.vidmock.config.content_secret == app.state.vidmock.config.content_secret
    async with asgi(again) as client:
        assert (await client.get(url.removeprefix("http://127.0.0.1:4001"))).status_code == 200
    await again.state.vidmock.aclose()


# -- the control token and loopback ----------------------------------------------------------------------
def test_an_empty_control_token_is_a_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--control-token", ""]) == 2
    assert "control_token: must not be empty" in capsys.readouterr().err
    with pytest.raises(ConfigError):
        build_config({"control_token": "  "}, {}, {})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("localhost.example.com", False),
        ("127.example.com", False),
        ("::1.example", False),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.1", False),
    ],
)
def test_loopback_is_decided_by_parsing(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert ControlGuard(None, host, "t").open is loopback


async def test_a_host_named_like_localhost_gets_the_guard(media: Any) -> None:
    app = build_app(config_for(host="localhost.example.com"), media=media)
    async with asgi(app) as client:
        r = await client.post("/_vidmock/reset")
    assert r.status_code == 403


def test_ipv6_host_urls_use_brackets() -> None:
    assert ServerConfig(host="::1", port=4001).base_url == "http://[::1]:4001"
    assert ServerConfig(host="127.0.0.1", port=4001).base_url == "http://127.0.0.1:4001"


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_serve_on_ipv6_loopback_without_public_url(tmp_path: Path) -> None:
    with LiveServer(tmp_path, "--clock", "virtual", host="::1") as server:
        r = httpx.post(f"{server.base}/v1/videos", json=VEO, headers={"Authorization": "Bearer vm-dev-key"})
        assert r.status_code == 200, r.text
        httpx.post(f"{server.base}/_vidmock/clock/advance", json={"seconds": 600})
        video = httpx.get(f"{server.base}/v1/videos/{r.json()['id']}", headers={"Authorization": "Bearer vm-dev-key"})
        url = video.json()["content"][0]["url"]
        assert url.startswith(f"http://[::1]:{server.port}/v1/videos/logs/")
        assert httpx.get(url).status_code == 200


# -- callbacks never reach the control plane ----------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:4001/_vidmock/reset",
        "http://localhost:4001/_vidmock/reset",
        "http://LOCALHOST.:4001/_vidmock/clock/advance",
        "http://[::1]:4001/_vidmock/reset",
        "http://127.1:4001/_vidmock/reset",
        "http://2130706433:4001/_vidmock/reset",
        "http://[::ffff:127.0.0.1]:4001/_vidmock/reset",
        "http://0.0.0.0:4001/_vidmock/reset",
        "http://127.0.0.1:4001/%5Fvidmock/reset",
        "http://127.0.0.1:4001/v1/../_vidmock/reset",
        "http://127.0.0.1:4001//_vidmock//reset",
        "http://127.0.0.1:4001/_vidmock",
        "https://mock.example.com/_vidmock/reset",
    ],
)
def test_self_callbacks_are_refused_whatever_the_alias(url: str) -> None:
    guard = SelfCallGuard("127.0.0.1", 4001, "https://mock.example.com")
    assert guard(url) == SELF_CALL


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:4002/_vidmock/reset",  # another server
        "http://127.0.0.1:4001/hooks/_vidmock",  # not the control plane
        "http://127.0.0.1:4001/_vidmockery",
        "https://hooks.example/_vidmock/reset",
        "http://☃..com/",
    ],
)
def test_other_callbacks_pass_the_guard(url: str) -> None:
    assert SelfCallGuard("127.0.0.1", 4001)(url) is None


async def test_a_callback_to_this_servers_reset_wipes_nothing(make_app: Callable[..., Any]) -> None:
    app = make_app()
    runtime = app.state.vidmock
    own = "http://127.0.0.1:4001/_vidmock/reset"  # the in-process app's own address (config.port)
    async with asgi(app) as client:
        r = await client.post("/v1/videos", json={**VEO, "callback_url": own, "callback_secret": "s"}, headers=AUTH)
        vid = r.json()["id"]
        body = {
            "model": "seedance-1-0-lite-t2v-250428",
            "content": [{"type": "text", "text": "x"}],
            "callback_url": own,
        }
        ark = await client.post(
            "/providers/bytedance/api/v3/contents/generations/tasks", json=body, headers={"Authorization": "Bearer k"}
        )
        assert ark.status_code == 200
        await runtime.advance(600)
        assert (await client.get(f"/v1/videos/{vid}", headers=AUTH)).json()["status"] == "completed"
    rows = runtime.webhooks.rows()
    assert rows and rows[0]["error"] == SELF_CALL and rows[0]["status"] == "retrying"
    ark_rows = dispatcher_of(runtime.emulators["bytedance"]).rows()
    assert ark_rows and all(row["error"] == SELF_CALL for row in ark_rows if row["error"])


def test_over_a_socket_a_callback_to_reset_wipes_nothing(tmp_path: Path) -> None:
    with LiveServer(tmp_path, "--clock", "virtual") as server:
        key = {"Authorization": "Bearer vm-dev-key"}
        own = f"http://127.0.0.1:{server.port}/_vidmock/reset"
        r = httpx.post(
            f"{server.base}/v1/videos", json={**VEO, "callback_url": own, "callback_secret": "s"}, headers=key
        )
        other = httpx.post(f"{server.base}/v1/videos", json=VEO, headers=key).json()["id"]
        for _ in range(4):
            assert httpx.post(f"{server.base}/_vidmock/clock/advance", json={"seconds": 300}).status_code == 200
        jobs = httpx.get(f"{server.base}/_vidmock/jobs").json()["jobs"]
        assert {j["id"] for j in jobs} == {r.json()["id"], other}
        rows = httpx.get(f"{server.base}/_vidmock/webhooks").json()["deliveries"]
        assert rows and all(row["error"] == SELF_CALL for row in rows if row["error"])


# -- secrets masked everywhere ------------------------------------------------------------------------------
def test_masking_helpers() -> None:
    assert mask_url("https://h.example/cb?token=abcdefghijkl&x=1") == "https://h.example/cb?token=abcd…kl&x=1"
    assert mask_url("https://user:supersecretpw@h.example/") == "https://user:supe…pw@h.example/"
    assert mask_query("key=AIzaSyABCDEFGH&alt=json") == "key=AIza…GH&alt=json"


async def test_control_plane_dumps_mask_secrets(make_app: Callable[..., Any]) -> None:
    app = make_app()
    secret = "whsec_" + base64.b64encode(b"vidmock-test-secret-0123456789ab").decode()
    callback = "https://hooks.example/cb?token=supersecrettoken123"
    async with asgi(app) as client:
        sk = {"Authorization": "Bearer sk-test"}
        r = await client.post(
            "/providers/openai/dashboard/webhooks", json={"url": callback, "secret": secret}, headers=sk
        )
        assert r.status_code == 200
        r = await client.post(
            "/v1/videos", json={**VEO, "callback_url": callback, "callback_secret": "callbacksecret99"}, headers=AUTH
        )
        await app.state.vidmock.advance(600)
        dumps = [
            (await client.get("/_vidmock/calls")).text,
            (await client.get("/_vidmock/jobs")).text,
            (await client.get(f"/_vidmock/jobs/{r.json()['id']}")).text,
            (await client.get("/_vidmock/webhooks")).text,
        ]
    for text in dumps:
        assert secret not in text and secret[6:20] not in text
        assert "supersecrettoken123" not in text
        assert "callbacksecret99" not in text
    assert "supe…23" in dumps[1] and "hooks.example/cb" in dumps[3]


def test_the_access_log_filter_masks_query_tokens() -> None:
    import logging

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/v1/videos/logs/log_1/content?token=eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", "1.1", 200),
        None,
    )
    assert MaskSecrets().filter(record)
    assert "c2lnbmF0dXJl" not in record.getMessage() and "token=eyJh" in record.getMessage()


def test_the_access_log_never_shows_a_content_token_or_vertex_key(tmp_path: Path) -> None:
    with LiveServer(tmp_path, "--clock", "virtual", "--log-level", "info") as server:
        key = {"Authorization": "Bearer vm-dev-key"}
        vid = httpx.post(f"{server.base}/v1/videos", json=VEO, headers=key).json()["id"]
        httpx.post(f"{server.base}/_vidmock/clock/advance", json={"seconds": 600})
        url = httpx.get(f"{server.base}/v1/videos/{vid}", headers=key).json()["content"][0]["url"]
        assert httpx.get(url).status_code == 200
        google_key = "AIzaSyVERYSECRETKEY0123456789"
        httpx.post(
            f"{server.base}/providers/google-vertex/v1/publishers/google/models/veo-3.0-generate-001:predictLongRunning",
            params={"key": google_key},
            json={"instances": [{"prompt": "x"}]},
        )
        token = url.split("token=", 1)[1]
        deadline = time.monotonic() + 10
        while "predictLongRunning" not in server.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        log = server.output()
    assert "/content?token=" in log and "predictLongRunning" in log
    assert token not in log and token.split(".")[-1] not in log
    assert google_key not in log
