"""The pytest plugin, exercised the way a user meets it: test files that use only its fixtures, run by
pytest's ``pytester`` (the plugin is loaded through its ``pytest11`` entry point, as after a pip install)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""


@pytest.fixture
def tester(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    return pytester


def test_a_users_test_creates_a_job_advances_the_clock_and_gets_the_webhook(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        test_user="""
        import time

        def test_video_is_delivered(vidmock, vidmock_receiver, monkeypatch):
            # No sleeping anywhere: time moves only when the test says so.
            monkeypatch.setattr(time, "sleep", lambda s: (_ for _ in ()).throw(AssertionError("slept")))
            client = vidmock.client()
            r = client.post("/v1/videos", json={"prompt": "a red fox", "seconds": 4,
                                                "callback_url": vidmock_receiver.url,
                                                "callback_secret": vidmock_receiver.secret})
            assert r.status_code == 200, r.text
            video_id = r.json()["id"]
            assert r.json()["status"] == "queued"
            vidmock.advance(89)
            assert client.get(f"/v1/videos/{video_id}").json()["status"] == "in_progress"
            assert vidmock_receiver.deliveries == []
            vidmock.advance(6)
            assert client.get(f"/v1/videos/{video_id}").json()["status"] == "completed"
            (hook,) = vidmock_receiver.deliveries
            assert hook.verdict.ok, hook.verdict  # signature checked on the virtual clock
            (event,) = vidmock_receiver.events()
            assert event["type"] == "video.completed" and event["data"]["id"] == video_id
            (attempt,) = vidmock.webhooks(video_id)
            assert attempt["status"] == "delivered" and attempt["response_status"] == 200

        def test_receiver_that_fails_twice(vidmock, vidmock_receiver):
            vidmock_receiver.respond_with(500, 503, 204)
            r = vidmock.client().post("/v1/videos", json={"prompt": "fox", "seconds": 4,
                                                          "callback_url": vidmock_receiver.url,
                                                          "callback_secret": vidmock_receiver.secret})
            vidmock.wait_for_status(r.json()["id"])
            vidmock.advance(5 + 30 + 60 + 10)
            rows = vidmock.webhooks(r.json()["id"])
            assert [(a["attempt"], a["response_status"], a["status"]) for a in rows] == [
                (1, 500, "retrying"), (2, 503, "retrying"), (3, 204, "delivered")]
            assert all(d.verdict.ok for d in vidmock_receiver.deliveries)
            assert {c["service"] for c in vidmock.journal()} == {"google-vertex"}

        def test_state_is_reset_between_tests(vidmock):
            assert vidmock.jobs() == [] and vidmock.webhooks() == [] and vidmock.journal() == []

        def test_wait_for_status_moves_time_in_steps(vidmock):
            r = vidmock.client().post("/v1/videos", json={"prompt": "fox", "seconds": 4})
            start = vidmock.now()
            video = vidmock.wait_for_status(r.json()["id"], "completed")
            assert video["status"] == "completed" and video["content"][0]["url"].startswith(vidmock.url)
            assert vidmock.now() - start == 90  # 5 s steps: stops at the first poll that sees completion
    """
    )
    result = tester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_wait_for_status_fails_at_once_on_another_terminal_status(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        test_user="""
        import pytest

        @pytest.fixture(scope="session")
        def vidmock_config():
            return {"gateway_release": "pre-2026-03"}  # Sora jobs: the older gateway release (issue 14)

        def test_blocked(vidmock):
            r = vidmock.client().post("/v1/videos", json={"model": "openai/sora-2", "seconds": 4,
                                                          "prompt": "[vidmock:moderation_blocked] fox"})
            with pytest.raises(AssertionError, match="ended 'failed', not 'completed'"):
                vidmock.wait_for_status(r.json()["id"], "completed", max_seconds=600)
            assert vidmock.video(r.json()["id"])["status"] == "failed"

        def test_gives_up_after_max_seconds(vidmock):
            r = vidmock.client().post("/v1/videos", json={"prompt": "fox", "seconds": 4})
            with pytest.raises(AssertionError, match="still 'in_progress' after 30 virtual seconds"):
                vidmock.wait_for_status(r.json()["id"], "completed", max_seconds=30)
    """
    )
    tester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_httpx_reaches_vidmock_through_respx_without_opening_a_socket(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        test_user="""
        import socket
        import httpx
        import pytest

        GATEWAY = "https://api.llmgateway.io/v1"

        @pytest.fixture
        def no_sockets(monkeypatch):
            def refuse(*args, **kwargs):
                raise AssertionError("a socket was opened")
            monkeypatch.setattr(socket.socket, "connect", refuse)
            monkeypatch.setattr(socket, "create_connection", refuse)

        def test_sync_client(vidmock, vidmock_respx, vidmock_receiver, no_sockets):
            with httpx.Client(base_url=GATEWAY, headers={"Authorization": f"Bearer {vidmock.api_key}"}) as c:
                r = c.post("/videos", json={"prompt": "fox", "seconds": 4, "callback_url": vidmock_receiver.url,
                                            "callback_secret": vidmock_receiver.secret})
                assert r.status_code == 200, r.text
                assert r.headers["x-request-id"]
                video = vidmock.wait_for_status(r.json()["id"])
                assert c.get(f"/videos/{video['id']}").json()["status"] == "completed"
                mp4 = c.get(video["content"][0]["url"])  # the signed URL, served in-process as well
                assert mp4.status_code == 200 and mp4.content[4:8] == b"ftyp"
                part = c.get(f"/videos/{video['id']}/content", headers={"Range": "bytes=0-9"})
                assert part.status_code == 206 and part.content == mp4.content[:10]
            vidmock.advance(5)
            assert vidmock_receiver.events()[0]["data"]["id"] == video["id"]  # the webhook, in-process too
            assert vidmock_receiver.deliveries[0].verdict.ok
            assert vidmock_respx.calls.call_count >= 4

        @pytest.mark.anyio
        async def test_async_client(vidmock, vidmock_respx, no_sockets):
            async with httpx.AsyncClient(base_url=GATEWAY, headers={"x-api-key": vidmock.api_key}) as c:
                r = await c.post("/videos", json={"prompt": "fox", "seconds": 4})
                assert r.status_code == 200, r.text
                await vidmock.aadvance(95)
                assert (await c.get(f"/videos/{r.json()['id']}")).json()["status"] == "completed"
                bad = await c.post("/videos", json={"prompt": ""})
                assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"

        def test_provider_hosts_reach_the_emulators(vidmock, vidmock_respx, no_sockets):
            sora = httpx.post("https://api.openai.com/v1/videos", headers={"Authorization": "Bearer sk-test"},
                              json={"model": "sora-2", "prompt": "fox", "seconds": "4", "size": "720x1280"})
            assert sora.status_code == 200 and sora.json()["id"].startswith("video_"), sora.text
            ark = httpx.get("https://ark.ap-southeast.bytepluses.com/api/v3/contents/generations/tasks",
                            headers={"Authorization": "Bearer ark-test"})
            assert ark.status_code == 200, ark.text
            veo = httpx.get("https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/"
                            "publishers/google/models/veo-3.1-generate-preview/operations/nope")
            assert veo.status_code == 404  # a GET of an operation name is a 404, as on the real service
            assert [c["service"] for c in vidmock.journal()] == ["openai", "bytedance", "google-vertex"]
    """
    )
    tester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_an_unmatched_host_fails_loudly(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        test_user="""
        import httpx

        def test_forgot_to_mock(vidmock_respx):
            httpx.get("https://api.example.com/v1/anything")
    """
    )
    result = tester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*AllMockedAssertionError*api.example.com*not mocked*"])


def test_the_marker_changes_options(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        test_user="""
        import pytest

        @pytest.fixture(scope="session")
        def vidmock_config():
            return {"gateway_release": "pre-2026-03"}  # Sora jobs: the older gateway release (issue 14)

        def create(vidmock, **extra):
            r = vidmock.client().post("/v1/videos", json={"prompt": "fox", "seconds": 4, **extra})
            return r

        @pytest.mark.vidmock(bare_model=True, seed=7)
        def test_own_server_with_options(vidmock, vidmock_server):
            assert vidmock.url != vidmock_server.url and vidmock.config.seed == 7
            assert create(vidmock).json()["model"] == "veo-3.1-generate-preview"

        def test_shared_server_defaults(vidmock, vidmock_server):
            assert vidmock.url == vidmock_server.url
            assert create(vidmock).json()["model"] == "google-vertex/veo-3.1-generate-preview"

        @pytest.mark.vidmock(webhook_scheme="stripe")
        def test_signing_scheme(vidmock, vidmock_receiver):
            r = create(vidmock, callback_url=vidmock_receiver.url, callback_secret=vidmock_receiver.secret)
            vidmock.wait_for_status(r.json()["id"])
            vidmock.advance(5)
            (hook,) = vidmock_receiver.deliveries
            assert hook.headers["stripe-signature"].startswith("t=")
            assert vidmock_receiver.scheme == "stripe" and hook.verdict.ok, hook.verdict
            assert vidmock_receiver.events()[0]["type"] == "video.completed"

        @pytest.mark.vidmock(providers=["openai"])
        def test_providers(vidmock):
            assert create(vidmock).status_code == 400  # Veo's provider is not configured
            assert create(vidmock, model="sora-2").json()["model"] == "openai/sora-2"

        @pytest.mark.vidmock(scenario="sora-stuck-in-progress")
        def test_scenario(vidmock, vidmock_server):
            assert vidmock.url == vidmock_server.url  # a scenario needs no server of its own
            assert vidmock.client().headers["x-vidmock-scenario"] == "sora-stuck-in-progress"
            r = create(vidmock, model="sora-2")
            with pytest.raises(AssertionError, match="still 'in_progress'"):
                vidmock.wait_for_status(r.json()["id"], max_seconds=600)
            assert vidmock.jobs()[0]["scenario"] == "sora-stuck-in-progress"
            vidmock.use_scenario(None)
            r = create(vidmock, model="sora-2")
            assert vidmock.wait_for_status(r.json()["id"])["status"] == "completed"

        def test_scenarios_do_not_leak_into_the_next_test(vidmock):
            assert vidmock.scenario is None
            r = vidmock.client().post("/v1/videos", json={"prompt": "fox", "seconds": 4, "model": "sora-2"})
            assert vidmock.wait_for_status(r.json()["id"])["status"] == "completed"

        def test_unknown_scenario_fails_loudly(vidmock):
            with pytest.raises(Exception, match="unknown scenario 'nope'"):
                vidmock.use_scenario("nope")

        @pytest.mark.vidmock(no_such_option=1)
        def test_unknown_option(vidmock):
            pass
    """
    )
    result = tester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=7, errors=1)
    result.stdout.fnmatch_lines(["*unknown option 'no_such_option'*"])


def test_same_seed_gives_the_same_ids_in_dedicated_servers(tester: pytest.Pytester) -> None:
    tester.makepyfile(
        test_user="""
        import pytest

        IDS = []

        @pytest.mark.vidmock(seed=11)
        @pytest.mark.parametrize("run", [1, 2])
        def test_run(vidmock, run):
            r = vidmock.client().post("/v1/videos", json={"prompt": "fox", "seconds": 4})
            IDS.append(r.json()["id"])
            if run == 2:
                assert IDS[0] == IDS[1]
    """
    )
    tester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_the_plugin_is_registered_and_cheap_to_import() -> None:
    from importlib.metadata import entry_points

    assert [e.value for e in entry_points(group="pytest11") if e.name == "vidmock"] == ["vidmock.testing.plugin"]
    code = (
        "import sys, vidmock.testing.plugin; "
        "print(sorted(m for m in ('starlette', 'uvicorn', 'av', 'respx', 'httpx', 'vidmock.server') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
