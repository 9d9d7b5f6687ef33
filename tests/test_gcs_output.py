"""Vertex with an output bucket (gateway.md §5.3, §1.5; §7 edge cases 32 and 45): Vertex writes the
video to ``gs://``, the gateway serves it through a V4-signed GCS URL, checked by the stand-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from conftest import AUTH
from conftest import test_config as config_with  # aliased: pytest would collect test_config
from hypothesis import given, settings
from hypothesis import strategies as st

from vidmock.gateway.domain.jobs import Job, SerializeOptions, content_url
from vidmock.gcs import HmacKey, SignedUrlError, parse_gs_uri, sign_url, verify

pytestmark = pytest.mark.anyio

BUCKET = "gs://acme-videos/llmgateway"
KEY = HmacKey("GOOG1EXAMPLEKEY", "s3cr3t")
NOW = 1773600000.0
BASE = "http://127.0.0.1:4001"


def parts(url: str) -> tuple[str, str, list[tuple[str, str]]]:
    p = urlsplit(url)
    return p.netloc, p.path, parse_qsl(p.query, keep_blank_values=True)


# -- the signer and its verifier -------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40),
    now=st.floats(1_600_000_000, 1_900_000_000),
    expires=st.integers(1, 7 * 24 * 3600),
)
def test_any_object_name_round_trips(name: str, now: float, expires: int) -> None:
    url = sign_url("https://storage.googleapis.com", "bkt", name, KEY, now, expires)
    host, path, query = parts(url)
    verify("GET", host, path, query, {KEY.access_id: KEY}, int(now) + expires)  # valid to the last second


@pytest.mark.parametrize(
    "tamper,code",
    [
        (lambda h, p, q: (h, p.replace("sample_0", "sample_1"), q), "SignatureDoesNotMatch"),
        (lambda h, p, q: ("evil.example", p, q), "SignatureDoesNotMatch"),
        (lambda h, p, q: (h, p, [(k, "86400" if k == "X-Goog-Expires" else v) for k, v in q]), "SignatureDoesNotMatch"),
        (
            lambda h, p, q: (
                h,
                p,
                [(k, v[:-1] + ("0" if v[-1] != "0" else "1") if k == "X-Goog-Signature" else v) for k, v in q],
            ),
            "SignatureDoesNotMatch",
        ),
        (
            lambda h, p, q: (
                h,
                p,
                [(k, "GOOG1OTHER/" + v.split("/", 1)[1] if k == "X-Goog-Credential" else v) for k, v in q],
            ),
            "InvalidAccessKeyId",
        ),
        (lambda h, p, q: (h, p, [(k, v) for k, v in q if k != "X-Goog-Date"]), "MissingSecurityHeader"),
        (
            lambda h, p, q: (h, p, [(k, "GOOG4-RSA-SHA256" if k == "X-Goog-Algorithm" else v) for k, v in q]),
            "InvalidArgument",
        ),
    ],
)
def test_a_changed_url_is_refused(tamper: Callable[..., Any], code: str) -> None:
    host, path, query = tamper(*parts(sign_url(BASE + "/providers/gcs", "bkt", "op/sample_0.mp4", KEY, NOW)))
    with pytest.raises(SignedUrlError) as err:
        verify("GET", host, path, query, {KEY.access_id: KEY}, NOW + 1)
    assert err.value.code == code


def test_expiry_is_exclusive_of_the_next_second() -> None:
    host, path, query = parts(sign_url(BASE, "bkt", "a.mp4", KEY, NOW, expires=900))
    verify("GET", host, path, query, {KEY.access_id: KEY}, NOW + 900)
    with pytest.raises(SignedUrlError, match="expired") as err:
        verify("GET", host, path, query, {KEY.access_id: KEY}, NOW + 901)
    assert (err.value.status, err.value.code) == (400, "ExpiredToken")


def test_gs_uris() -> None:
    assert parse_gs_uri("gs://b/dir/o.mp4") == ("b", "dir/o.mp4")
    for bad in ("s3://b/o", "gs://b", "gs:///o", "gs://b/"):
        with pytest.raises(ValueError):
            parse_gs_uri(bad)


def test_before_finalization_the_public_url_is_a_signed_gcs_url() -> None:
    """`getPublicVideoContentUrl`: completed, not yet finalized, with a storage URI."""
    opts = SerializeOptions(BASE, "secret", gcs_key=KEY)
    job = Job.from_doc(
        {
            "id": "v",
            "status": "completed",
            "storage_uri": f"{BUCKET}/op/sample_0.mp4",
            "content_url": "https://raw.example/v.mp4",
        }
    )
    url = content_url(job, NOW, opts)
    assert url is not None and url.startswith(f"{BASE}/providers/gcs/acme-videos/llmgateway/op/sample_0.mp4?")
    verify("GET", *parts(url), {KEY.access_id: KEY}, NOW)
    unsignable = Job.from_doc(
        {"id": "v", "status": "completed", "storage_uri": "not-a-gs-uri", "content_url": "https://raw.example/v.mp4"}
    )
    assert content_url(unsignable, NOW, opts) == "https://raw.example/v.mp4"


# -- through the gateway ---------------------------------------------------------------------------


@pytest.fixture
async def bucketed(make_app: Callable[..., Any]) -> Any:
    app = make_app(config_with(vertex_output_bucket=BUCKET, google_cloud_project="runtime-project"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client, app.state.vidmock


async def test_4k_vertex_with_a_bucket_is_written_there_and_served_signed(bucketed: Any) -> None:
    client, runtime = bucketed
    r = await client.post(
        "/v1/videos",
        json={"model": "google-vertex/veo-3.1-generate-preview", "prompt": "a fox", "size": "3840x2160", "seconds": 8},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    video = r.json()
    assert "content" not in video
    job = runtime.store.get("gateway.job", video["id"])
    assert job["upstream_id"].startswith(
        "projects/runtime-project/locations/us-central1/publishers/google/models/veo-3.1-generate-001/operations/"
    )
    submit = [e for e in runtime.journal.for_service("google-vertex") if e.path.endswith(":predictLongRunning")][-1]
    assert submit.body["parameters"]["storageUri"] == BUCKET and submit.body["parameters"]["resolution"] == "4k"

    await runtime.advance(400)
    done = (await client.get(f"/v1/videos/{video['id']}", headers=AUTH)).json()
    assert done["status"] == "completed" and done["usage"]["cost"] == pytest.approx(4.80)
    job = runtime.store.get("gateway.job", video["id"])
    op_id = job["upstream_id"].rsplit("/", 1)[-1]
    assert job["storage_uri"] == f"{BUCKET}/{op_id}/sample_0.mp4" and not job["content_blob"]

    full = await client.get(f"/v1/videos/{video['id']}/content", headers=AUTH)
    assert full.status_code == 200 and full.content[4:8] == b"ftyp" and full.headers["content-type"] == "video/mp4"
    ranged = await client.get(f"/v1/videos/{video['id']}/content", headers={**AUTH, "Range": "bytes=0-99"})
    assert ranged.status_code == 206 and ranged.content == full.content[:100]
    assert ranged.headers["content-range"] == f"bytes 0-99/{len(full.content)}"
    reads = runtime.journal.for_service("gcs")
    assert [e.status for e in reads] == [200, 206]
    assert reads[0].path == f"/providers/gcs/acme-videos/llmgateway/{op_id}/sample_0.mp4"
    assert "X-Goog-Signature=" in reads[0].query and reads[1].headers["range"] == "bytes=0-99"


async def test_the_stand_in_refuses_anonymous_tampered_and_expired_reads(bucketed: Any) -> None:
    client, runtime = bucketed
    r = await client.post("/v1/videos", json={"prompt": "a fox", "seconds": 4}, headers=AUTH)
    await runtime.advance(200)
    job = runtime.store.get("gateway.job", r.json()["id"])
    url = SerializeOptions(
        BASE, "x", gcs_key=HmacKey(runtime.config.gcs_hmac_access_id, runtime.config.gcs_hmac_secret)
    )
    from vidmock.gateway.domain.jobs import signed_gcs_url

    signed = signed_gcs_url(job["storage_uri"], runtime.clock.now(), url)
    assert signed is not None
    ok = await client.get(signed)
    assert ok.status_code == 200 and ok.content[4:8] == b"ftyp"
    anonymous = await client.get(signed.split("?")[0])
    assert anonymous.status_code == 403 and b"<Code>AccessDenied</Code>" in anonymous.content
    tampered = await client.get(signed.replace("sample_0", "sample_1"))
    assert tampered.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in tampered.content
    missing_name = job["storage_uri"].replace("sample_0", "sample_9")
    other = signed_gcs_url(missing_name, runtime.clock.now(), url)
    assert other is not None
    missing = await client.get(other)
    assert missing.status_code == 404 and b"<Code>NoSuchKey</Code>" in missing.content
    await runtime.advance(15 * 60 + 1)
    expired = await client.get(signed)
    assert expired.status_code == 400 and b"<Code>ExpiredToken</Code>" in expired.content
    # The gateway signs afresh on every download, so its own link keeps working.
    assert (await client.get(f"/v1/videos/{job['id']}/content", headers=AUTH)).status_code == 200


async def test_without_a_bucket_videos_come_back_inline(client: httpx.AsyncClient, runtime: Any) -> None:
    r = await client.post("/v1/videos", json={"prompt": "a fox", "seconds": 4}, headers=AUTH)
    submit = [e for e in runtime.journal.for_service("google-vertex") if e.path.endswith(":predictLongRunning")][-1]
    assert "storageUri" not in submit.body["parameters"] and "/projects/vidmock-project/" in submit.path
    await runtime.advance(200)
    job = runtime.store.get("gateway.job", r.json()["id"])
    assert job["storage_uri"] is None and job["content_blob"]
    assert (await client.get(f"/v1/videos/{job['id']}/content", headers=AUTH)).status_code == 200
    assert runtime.journal.for_service("gcs") == []
