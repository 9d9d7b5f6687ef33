"""The published contract `openapi.yaml`: it loads, is a valid OpenAPI 3.1 document, and its schemas say
exactly what the gateway reference (gateway.md §1–§3, webhooks.md §1) says."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
import yaml

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi.yaml"

OPERATIONS = {
    "v1_videos_create": ("POST", "/v1/videos"),
    "v1_videos_retrieve": ("GET", "/v1/videos/{video_id}"),
    "v1_videos_content": ("GET", "/v1/videos/{video_id}/content"),
    "v1_videos_log_content": ("GET", "/v1/videos/logs/{log_id}/content"),
}
# Every operation the document loads: the four video routes and the models list (issue 14).
ALL_OPERATIONS = {**OPERATIONS, "v1_models": ("GET", "/v1/models")}

# gateway.md §3, verbatim.
VIDEO_JUST_CREATED = {
    "id": "v_123",
    "object": "video",
    "model": "google-vertex/veo-3.1-generate-preview",
    "status": "queued",
    "progress": 0,
    "created_at": 1773600000,
    "completed_at": None,
    "expires_at": None,
    "error": None,
}
VIDEO_COMPLETED = {
    "id": "v_123",
    "object": "video",
    "model": "google-vertex/veo-3.1-generate-preview",
    "status": "completed",
    "progress": 100,
    "created_at": 1773600000,
    "completed_at": 1773600190,
    "expires_at": None,
    "error": None,
    "content": [
        {
            "type": "video",
            "url": "https://api.llmgateway.io/v1/videos/logs/<logId>/content?token=<jwt>",
            "mime_type": "video/mp4",
        }
    ],
    "usage": {"cost": 3.2, "cost_details": {"video_output_cost": 3.2, "image_input_cost": 0}},
}
# §3 shows only the `error` member of the timed-out job; the rest follows the W1 timeout path
# (status failed, progress 100, completed_at set).
TIMEOUT_ERROR = {
    "code": "timeout",
    "message": "Video generation timed out after 3600 seconds without reaching a terminal state",
    "details": {"reason": "video_job_timeout", "timeout_seconds": 3600, "last_upstream_status": "in_progress"},
}
VIDEO_FAILED_BY_TIMEOUT = {
    **VIDEO_JUST_CREATED,
    "status": "failed",
    "progress": 100,
    "completed_at": 1773603600,
    "error": TIMEOUT_ERROR,
}

# gateway.md §2.2 (DOC example request).
DOC_CREATE_REQUEST = {
    "model": "seedance-2-0",
    "prompt": "Morph smoothly from the first frame into the last frame",
    "seconds": 5,
    "size": "1280x720",
    "image": {"image_url": "https://example.com/first-frame.png"},
    "last_frame": {"image_url": "https://example.com/last-frame.png"},
    "callback_url": "https://example.com/webhooks/video",
    "callback_secret": "whsec_your_secret_here",
}

SIZES = [
    "848x480",
    "854x480",
    "480x854",
    "1280x720",
    "1696x960",
    "720x1280",
    "1366x768",
    "768x1366",
    "1920x1080",
    "1080x1920",
    "3840x2160",
    "2160x3840",
    "1792x1024",
    "1024x1792",
]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def schema() -> Any:
    return schemathesis.openapi.from_path(OPENAPI_PATH)


def validator(document: dict[str, Any], name: str) -> jsonschema_rs.Draft202012Validator:
    """A validator for `components.schemas[name]`, with formats asserted as the server asserts them."""
    root = {"components": document["components"], "$ref": f"#/components/schemas/{name}"}
    return jsonschema_rs.Draft202012Validator(root, validate_formats=True)


def test_yaml_parses_as_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] == "LLMGateway Video API (vidmock)"
    assert document["info"]["version"]
    assert document["servers"] == [{"url": "http://127.0.0.1:4001"}]


def test_document_passes_schemathesis_meta_schema_validation(schema):
    schema.validate()  # OpenAPI 3.1 meta-schema, via jsonschema_rs; raises on any structural error
    assert list(schema.iter_schema_warnings()) == []


def test_every_reference_resolves(document):
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                assert ref.startswith("#/"), ref
                target: Any = document
                for part in ref[2:].split("/"):
                    target = target[part.replace("~1", "/").replace("~0", "~")]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)


def test_the_four_operations_load_with_their_operation_ids(schema):
    loaded = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        loaded[operation.definition.raw["operationId"]] = (operation.method.upper(), operation.path)
    assert loaded == ALL_OPERATIONS
    for operation_id, (method, path) in ALL_OPERATIONS.items():
        assert schema.find_operation_by_id(operation_id).label == f"{method} {path}"


def test_security(document):
    schemes = document["components"]["securitySchemes"]
    assert (schemes["bearerAuth"]["type"], schemes["bearerAuth"]["scheme"]) == ("http", "bearer")
    api_key = schemes["apiKeyHeader"]
    assert (api_key["type"], api_key["in"], api_key["name"]) == ("apiKey", "header", "x-api-key")
    assert document["security"] == [{"bearerAuth": []}, {"apiKeyHeader": []}]
    log_content = document["paths"]["/v1/videos/logs/{log_id}/content"]["get"]
    assert log_content["security"] == []
    token = next(p for p in log_content["parameters"] if p.get("name") == "token")
    assert (token["in"], token["required"], token["schema"]) == ("query", True, {"type": "string"})
    for operation_id, (method, path) in OPERATIONS.items():
        if operation_id != "v1_videos_log_content":  # the others inherit the global requirement
            assert "security" not in document["paths"][path][method.lower()]


def _responses(document, operation_id):
    method, path = OPERATIONS[operation_id]
    return document["paths"][path][method.lower()]["responses"]


def _resolve(document, node):
    while "$ref" in node:
        target = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


@pytest.mark.parametrize(
    ("operation_id", "success", "errors"),
    [
        (
            "v1_videos_create",
            {"200"},
            {"400", "401", "402", "403", "404", "410", "413", "429", "500", "502", "503", "504"},
        ),
        ("v1_videos_retrieve", {"200"}, {"401", "404", "429", "500"}),
        ("v1_videos_content", {"200", "206"}, {"401", "404", "409", "416", "429", "500", "502"}),
        ("v1_videos_log_content", {"200", "206"}, {"401", "404", "416"}),
    ],
)
def test_declared_responses(document, operation_id, success, errors):
    responses = _responses(document, operation_id)
    assert success | errors <= set(responses)
    for status, response in responses.items():
        response = _resolve(document, response)
        # every response may echo the request id, which is never empty (the caller's or a generated one)
        assert _resolve(document, response["headers"]["x-request-id"])["schema"] == {"type": "string", "minLength": 1}
        assert not response["headers"]["x-request-id"].get("required", False)
        if status == "416":  # an empty body (changes-2026-12.md §3.1)
            assert "content" not in response
        elif status[0] in "45":
            assert set(response["content"]) == {"application/json"}
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


@pytest.mark.parametrize("operation_id", ["v1_videos_content", "v1_videos_log_content"])
def test_content_route_ranges(document, operation_id):
    method, path = OPERATIONS[operation_id]
    operation = document["paths"][path][method.lower()]
    headers = {p["name"]: p for p in (_resolve(document, p) for p in operation["parameters"]) if p["in"] == "header"}
    for name in ("Range", "If-Range"):
        assert headers[name]["schema"] == {"type": "string"}
        assert headers[name]["required"] is False
    responses = {k: _resolve(document, v) for k, v in operation["responses"].items()}
    assert set(responses["200"]["content"]) == {"video/mp4"}
    assert {"Content-Length", "Accept-Ranges"} <= set(responses["200"]["headers"])
    assert set(responses["206"]["content"]) == {"video/mp4"}
    assert responses["206"]["headers"]["Content-Range"]["required"] is True
    assert "Accept-Ranges" in responses["206"]["headers"]
    content_range_416 = responses["416"]["headers"]["Content-Range"]
    assert content_range_416["required"] is True
    pattern_416 = jsonschema_rs.Draft202012Validator(content_range_416["schema"])
    assert pattern_416.is_valid("bytes */5")
    assert not pattern_416.is_valid("bytes 0-1/5")
    pattern_206 = jsonschema_rs.Draft202012Validator(responses["206"]["headers"]["Content-Range"]["schema"])
    for value in ("bytes 0-1/5", "bytes 2-4/5", "bytes 3-4/5"):  # gateway.md §7 item 63
        assert pattern_206.is_valid(value)
    assert not pattern_206.is_valid("bytes */5")


def test_stateful_links(document, schema):
    links = _responses(document, "v1_videos_create")["200"]["links"]
    targets = {link["operationId"]: link["parameters"] for link in links.values()}
    assert targets == {
        # Polled under the create's request id: with every parameter from the link, schemathesis judges a
        # 404 right after create (a_ensure_resource_availability).
        "v1_videos_retrieve": {
            "video_id": "$response.body#/id",
            "header.x-request-id": "$response.header.x-request-id",
        },
        "v1_videos_content": {"video_id": "$response.body#/id"},
    }
    assert schema.statistic.transitions.total == 3  # + retrieve -> content
    assert schema.operations_with_incoming_links() == {"GET /v1/videos/{video_id}", "GET /v1/videos/{video_id}/content"}
    schema.as_state_machine()  # the stateful phase can be built


# --- Video ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", [VIDEO_JUST_CREATED, VIDEO_COMPLETED, VIDEO_FAILED_BY_TIMEOUT])
def test_reference_video_examples_validate(document, example):
    validator(document, "Video").validate(example)


def test_document_examples_validate(document):
    video = validator(document, "Video")
    examples = document["components"]["examples"]
    assert examples["VideoQueued"]["value"] == VIDEO_JUST_CREATED
    assert examples["VideoCompleted"]["value"] == VIDEO_COMPLETED
    for example in examples.values():
        video.validate(example["value"])
    error = validator(document, "Error")
    request = validator(document, "CreateVideoRequest")

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "examples" and isinstance(value, dict):
                    for example in value.values():
                        if "value" in example and "error" in example["value"]:
                            error.validate(example["value"])
                        elif "value" in example and "prompt" in example["value"]:
                            request.validate(example["value"])
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document["paths"])


def test_video_variants(document):
    video = validator(document, "Video")
    stealth = {
        **VIDEO_JUST_CREATED,
        "status": "failed",
        "error": {"message": "Upstream provider error (502 Bad Gateway)"},
    }
    video.validate(stealth)
    video.validate({**VIDEO_JUST_CREATED, "model": "veo-3.1-generate-preview", "progress": None})
    for status in ("queued", "in_progress", "completed", "failed", "canceled", "expired"):
        video.validate({**VIDEO_JUST_CREATED, "status": status})
    video.validate({**VIDEO_COMPLETED, "content": [{**VIDEO_COMPLETED["content"][0], "mime_type": None}]})

    invalid = [
        {**VIDEO_JUST_CREATED, "status": "done"},
        {**VIDEO_JUST_CREATED, "object": "job"},
        {**VIDEO_JUST_CREATED, "progress": 101},
        {**VIDEO_JUST_CREATED, "created_at": 1773600000.5},
        {**VIDEO_JUST_CREATED, "extra": 1},
        {**VIDEO_JUST_CREATED, "error": {"code": "x"}},
        {**VIDEO_COMPLETED, "content": []},
        {**VIDEO_COMPLETED, "usage": {"cost": -1, "cost_details": {"video_output_cost": 0, "image_input_cost": 0}}},
        {**VIDEO_COMPLETED, "usage": {"cost": 1}},
    ]
    for key in ("id", "object", "model", "status", "progress", "created_at", "completed_at", "expires_at", "error"):
        invalid.append({k: v for k, v in VIDEO_JUST_CREATED.items() if k != key})
    for instance in invalid:
        assert not video.is_valid(instance), instance


# --- Error envelope --------------------------------------------------------------------------------


def test_error_envelope(document):
    error = validator(document, "Error")
    # gateway.md §1.3 / §1.4: 404 "Video not found" with the default type/code for 404
    not_found = {
        "error": {"message": "Video not found", "type": "invalid_request_error", "param": None, "code": "not_found"}
    }
    error.validate(not_found)
    error.validate({"error": {"message": "m", "type": "api_error", "param": "seconds", "code": None}})
    for key in ("message", "type", "param", "code"):
        missing = copy.deepcopy(not_found)
        del missing["error"][key]
        assert not error.is_valid(missing)
    assert not error.is_valid({**not_found, "detail": "x"})
    assert not error.is_valid({"error": {**not_found["error"], "status": 404}})
    assert not error.is_valid({"error": "Video not found"})


# --- Create request ----------------------------------------------------------------------------------


def test_create_request_accepts(document):
    request = validator(document, "CreateVideoRequest")
    request.validate(DOC_CREATE_REQUEST)
    request.validate({"prompt": "p", "seconds": 1})
    request.validate({"prompt": "p", "seconds": 9007199254740991, "n": 1, "audio": False, "unknown_key": [1]})
    for size in SIZES:
        request.validate({"prompt": "p", "seconds": 4, "size": size})
    request.validate(
        {
            "prompt": "p",
            "seconds": 4,
            "image": "data:image/png;base64,AAAA",
            "last_frame": {"image_url": "x", "extra": 1},
        }
    )
    request.validate({"prompt": "p", "seconds": 4, "input_reference": "https://e.com/a.png"})
    request.validate({"prompt": "p", "seconds": 4, "input_reference": [{"image_url": "u"}] * 9})
    request.validate(
        {
            "prompt": "p",
            "seconds": 4,
            "reference_images": ["u"] * 9,
            "reference_videos": ["HTTPS://e.com/v.mp4"] * 3,
            "reference_audios": [{"audio_url": "https://e.com/a.mp3"}] * 3,
        }
    )
    request.validate({"prompt": "p", "seconds": 4, "reference_videos": [{"video_url": "https://e.com/v.mp4", "x": 1}]})
    request.validate({"prompt": "p", "seconds": 4, "callback_url": "http://127.0.0.1:9/hook", "callback_secret": "s"})


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"seconds": 4}, id="missing prompt"),
        pytest.param({"prompt": "p"}, id="missing seconds"),
        pytest.param({"prompt": "", "seconds": 4}, id="empty prompt"),
        pytest.param({"prompt": "p", "seconds": 0}, id="seconds 0"),
        pytest.param({"prompt": "p", "seconds": "5"}, id="seconds as string"),
        pytest.param({"prompt": "p", "seconds": 4.5}, id="fractional seconds"),
        pytest.param({"prompt": "p", "seconds": 9007199254740992}, id="unsafe integer"),
        pytest.param({"prompt": "p", "seconds": 4, "model": 1}, id="model not a string"),
        pytest.param({"prompt": "p", "seconds": 4, "size": "1080x1080"}, id="rule 3 size"),
        pytest.param({"prompt": "p", "seconds": 4, "n": 2}, id="rule 2 n"),
        pytest.param({"prompt": "p", "seconds": 4, "audio": "yes"}, id="audio not boolean"),
        pytest.param({"prompt": "p", "seconds": 4, "image": ""}, id="empty image"),
        pytest.param({"prompt": "p", "seconds": 4, "image": {"url": "x"}}, id="image object without image_url"),
        pytest.param({"prompt": "p", "seconds": 4, "reference_images": []}, id="no reference images"),
        pytest.param({"prompt": "p", "seconds": 4, "reference_images": ["u"] * 10}, id="10 reference images"),
        pytest.param({"prompt": "p", "seconds": 4, "input_reference": ["u"] * 10}, id="10 input references"),
        pytest.param(
            {"prompt": "p", "seconds": 4, "reference_videos": ["http://e.com/v.mp4"]}, id="http reference video"
        ),
        pytest.param(
            {"prompt": "p", "seconds": 4, "reference_videos": [{"video_url": "http://e.com/v.mp4"}]},
            id="http video_url",
        ),
        pytest.param(
            {"prompt": "p", "seconds": 4, "reference_videos": ["https://e.com/v"] * 4}, id="4 reference videos"
        ),
        pytest.param(
            {"prompt": "p", "seconds": 4, "reference_audios": ["http://e.com/a.mp3"]}, id="http reference audio"
        ),
        pytest.param(
            {"prompt": "p", "seconds": 4, "callback_url": "not a url", "callback_secret": "s"},
            id="callback_url not a URL",
        ),
        pytest.param(
            {"prompt": "p", "seconds": 4, "callback_url": "https://e.com", "callback_secret": ""}, id="empty secret"
        ),
        pytest.param({"prompt": "p", "seconds": 4, "callback_url": "https://e.com"}, id="rule 1 url only"),
        pytest.param({"prompt": "p", "seconds": 4, "callback_secret": "s"}, id="rule 1 secret only"),
        pytest.param({"prompt": "p", "seconds": 4, "last_frame": "u"}, id="rule 4 last_frame without image"),
        pytest.param({"prompt": "p", "seconds": 4, "reference_images": ["u"], "input_reference": "u"}, id="rule 5"),
        pytest.param(
            {"prompt": "p", "seconds": 4, "image": "u", "reference_images": ["u"]}, id="rule 6 image+reference_images"
        ),
        pytest.param(
            {"prompt": "p", "seconds": 4, "image": "u", "input_reference": "u"}, id="rule 6 image+input_reference"
        ),
        pytest.param(
            {"prompt": "p", "seconds": 4, "image": "u", "reference_videos": ["https://e.com/v"]},
            id="rule 6 image+videos",
        ),
        pytest.param(
            {"prompt": "p", "seconds": 4, "image": "u", "last_frame": "u", "reference_audios": ["https://e.com/a"]},
            id="rule 6 frames+audios",
        ),
        pytest.param("not an object", id="not an object"),
    ],
)
def test_create_request_rejects(document, body):
    assert not validator(document, "CreateVideoRequest").is_valid(body)


def test_create_request_rule_messages_are_documented(document):
    description = document["components"]["schemas"]["CreateVideoRequest"]["description"]
    for message in (
        "callback_url and callback_secret must either both be provided or both be omitted",
        "Only n=1 is supported for Veo 3.1 preview models",
        "last_frame requires image to also be provided",
        "Only one of reference_images or input_reference can be provided for a video request",
        "Frame inputs (image/last_frame) cannot be combined with reference image inputs",
    ):
        assert message in description
    size = document["components"]["schemas"]["VideoSize"]
    assert size["enum"] == SIZES
    assert "size must be one of " + ", ".join(SIZES) in size["description"]


# --- Webhooks ---------------------------------------------------------------------------------------


def test_webhooks_declare_both_events(document):
    webhooks = document["webhooks"]
    assert set(webhooks) == {"video.completed", "video.failed"}
    for name, item in webhooks.items():
        post = item["post"]
        names = {_resolve(document, p)["name"] for p in post["parameters"]}
        assert names == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert set(post["responses"]) == {"2XX", "default"}
        body_schema = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        assert body_schema == {"video.completed": "VideoCompletedEvent", "video.failed": "VideoFailedEvent"}[name]
    retried = document["components"]["responses"]["WebhookRetried"]["description"]
    for fact in ("8 attempts", "30 s", "1 h", "redirects are not followed"):
        assert fact in " ".join(retried.split())


def test_webhook_event_and_signature(document):
    # webhooks.md §1.9 vector 1: the whole secret is the HMAC key, as UTF-8 bytes.
    secret, webhook_id, timestamp = "whsec_your_secret_here", "evt_v_123", "1773600190"
    body = (
        '{"object":"event","id":"evt_v_123","type":"video.completed","created_at":1773600190,'
        '"data":{"id":"v_123","object":"video","status":"completed"}}'
    )
    digest = hmac.new(secret.encode(), f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    signature = "v1," + base64.b64encode(digest).decode()
    assert signature == "v1,r+11RWezTvQXnH3g220wEGXYp5IBpF1MYNBZM8xeK6g="

    parameters = document["components"]["parameters"]
    for name, value in (("WebhookId", webhook_id), ("WebhookTimestamp", timestamp), ("WebhookSignature", signature)):
        assert jsonschema_rs.Draft202012Validator(parameters[name]["schema"]).is_valid(value), name
    assert not jsonschema_rs.Draft202012Validator(parameters["WebhookSignature"]["schema"]).is_valid("v1,abc")
    assert not jsonschema_rs.Draft202012Validator(parameters["WebhookId"]["schema"]).is_valid("msg_1")

    completed = validator(document, "VideoCompletedEvent")
    failed = validator(document, "VideoFailedEvent")
    event = {
        "object": "event",
        "id": "evt_v_123",
        "type": "video.completed",
        "created_at": 1773600190,
        "data": VIDEO_COMPLETED,
    }
    completed.validate(event)
    validator(document, "WebhookEvent").validate(event)
    assert not failed.is_valid(event)
    timed_out = {**event, "type": "video.failed", "data": VIDEO_FAILED_BY_TIMEOUT}
    failed.validate(timed_out)
    assert not completed.is_valid(timed_out)
    failed.validate({**timed_out, "data": {**VIDEO_FAILED_BY_TIMEOUT, "status": "canceled"}})
    assert not failed.is_valid({**timed_out, "data": VIDEO_JUST_CREATED})  # never sent for an active job
