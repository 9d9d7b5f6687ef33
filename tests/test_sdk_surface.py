"""SDK drift, caught in CI (issue 14 item 7): every video method the newest official SDKs expose is either
served by an emulator or declined here with a reason. A method that appears in a new SDK release and is
in neither list fails this test by name, so the emulators cannot fall behind unnoticed.

``served`` is checked against the emulator's own route table (the route the SDK method calls must be
there, with its HTTP method); the SDK tests of each provider drive the served methods end to end.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import make_ctx
from starlette.routing import BaseRoute, Match

from vidmock.media import MediaCache
from vidmock.providers import registry
from vidmock.providers.base import ProviderPlugin


@dataclass(frozen=True)
class Served:
    method: str  # the HTTP call the SDK method makes (the first, for a helper that polls)
    path: str


NOT_VIDEO = "declined: not video generation (vidmock emulates the providers' video APIs, providers.md §1)"
ACCOUNT = "declined: account management, not part of a video job's lifecycle"
Surface = dict[str, Served | str]


def is_resource(value: Any) -> bool:
    """A Stainless-generated resource (openai, runwayml, lumaai, the Ark runtime all are)."""
    return any(cls.__name__ in ("SyncAPIResource", "APIResource") for cls in type(value).__mro__)


def sdk_methods(root: Any, prefix: str = "") -> set[str]:
    """``resource.method`` for every public method of every resource under ``root`` (a client or a
    resource), walking nested resources; the client's own transport methods (``get``, ``post``…)
    are not API methods."""
    found: set[str] = set()
    for name in dir(root):
        if name.startswith("_") or name in ("with_raw_response", "with_streaming_response"):
            continue
        value = getattr(root, name)
        if inspect.ismethod(value) and prefix:
            found.add(f"{prefix}{name}")
        elif is_resource(value):
            found |= sdk_methods(value, f"{prefix}{name}.")
    return found


def route_table(plugin: ProviderPlugin, media: MediaCache) -> list[BaseRoute]:
    factory: Any = plugin.build_emulator
    ctx = make_ctx(media)
    emulator = factory.emulator(ctx) if factory.options is None else factory.emulator(ctx, factory.options)
    routes: list[BaseRoute] = emulator.routes()
    return routes


def routed(routes: list[BaseRoute], served: Served) -> bool:
    scope = {"type": "http", "method": served.method, "path": served.path, "root_path": ""}
    return any(route.matches(scope)[0] == Match.FULL for route in routes)


# -- the declared tables: one per SDK, every method the newest release exposes ----------------------

OPENAI: Surface = {  # openai 3.63.0 client.videos (changes-2026-12.md §4.1)
    "videos.create": Served("POST", "/v1/videos"),
    "videos.create_and_poll": Served("POST", "/v1/videos"),  # create, then retrieve until done
    "videos.retrieve": Served("GET", "/v1/videos/video_1"),
    "videos.poll": Served("GET", "/v1/videos/video_1"),
    "videos.list": Served("GET", "/v1/videos"),
    "videos.delete": Served("DELETE", "/v1/videos/video_1"),
    "videos.download_content": Served("GET", "/v1/videos/video_1/content"),
    "videos.remix": Served("POST", "/v1/videos/video_1/remix"),
    "videos.edit": Served("POST", "/v1/videos/edits"),  # §4.1
    "videos.extend": Served("POST", "/v1/videos/extensions"),
    "videos.create_character": Served("POST", "/v1/videos/characters"),
    "videos.get_character": Served("GET", "/v1/videos/characters/char_1"),
}

RUNWAY: Surface = {  # runwayml 5.24.0, the whole client (changes-2026-12.md §4.4)
    "text_to_video.create": Served("POST", "/v1/text_to_video"),
    "image_to_video.create": Served("POST", "/v1/image_to_video"),
    "video_to_video.create": Served("POST", "/v1/video_to_video"),
    "video_upscale.create": Served("POST", "/v1/video_upscale"),
    "video_to_hdr.create": Served("POST", "/v1/video_to_hdr"),  # changes-2026-12.md §4.4
    "tasks.retrieve": Served("GET", "/v1/tasks/t1"),
    "tasks.delete": Served("DELETE", "/v1/tasks/t1"),
    "generate.video.create": "declined: the router endpoint (/v1/generate/video) picks a model for the caller; "
    "the gateway never calls it and providers.md does not describe it",
    "character_performance.create": "declined: performance transfer (Act-Two); the gateway maps no model to it",
    "avatar_videos.create": "declined: avatar videos are part of the avatar product, not the video API",
    "recipes.multi_shot_video": "declined: a recipe (a Runway-side workflow), not a generation endpoint",
    "video_to_audio.create": "declined: makes audio, not video",
    "uploads.create_ephemeral": "declined: Runway's upload store; the emulator takes https and data URIs only",
    **dict.fromkeys(
        (
            "generate.audio.create",
            "generate.image.create",
            "image_upscale.create",
            "text_to_image.create",
            "sound_effect.create",
            "speech_to_speech.create",
            "text_to_speech.create",
            "voice_dubbing.create",
            "voice_isolation.create",
            "recipes.ad_localization",
            "recipes.marketing_stock_image",
            "recipes.product_ad",
            "recipes.product_campaign_image",
            "recipes.product_swap",
            "recipes.product_ugc",
            "realtime_sessions.create",
            "realtime_sessions.delete",
            "realtime_sessions.retrieve",
            "avatar_conversations.delete",
            "avatar_conversations.list",
            "avatar_conversations.retrieve",
            "avatars.create",
            "avatars.delete",
            "avatars.get_usage",
            "avatars.list",
            "avatars.retrieve",
            "avatars.update",
            "documents.create",
            "documents.delete",
            "documents.list",
            "documents.retrieve",
            "documents.update",
            "voices.create",
            "voices.delete",
            "voices.list",
            "voices.preview",
            "voices.retrieve",
            "voices.update",
            "workflows.list",
            "workflows.retrieve",
            "workflows.run",
            "workflow_invocations.retrieve",
        ),
        NOT_VIDEO,
    ),
    **dict.fromkeys(
        (
            "organization.retrieve",
            "organization.retrieve_usage",
            "organization.webapp.audit_logs.list",
            "organization.webapp.audit_logs.retrieve",
            "organization.webapp.list_usage",
            "routers.create",
            "routers.delete",
            "routers.list",
            "routers.list_requests",
            "routers.retrieve",
            "routers.update",
        ),
        ACCOUNT,
    ),
}

LUMA_PREFIX = "/dream-machine/v1/generations"
LUMA: Surface = {  # lumaai 1.21.0, the whole client (changes-2026-12.md §4.5)
    "generations.create": Served("POST", LUMA_PREFIX),
    "generations.video.create": Served("POST", f"{LUMA_PREFIX}/video"),
    "generations.get": Served("GET", f"{LUMA_PREFIX}/g1"),
    "generations.list": Served("GET", LUMA_PREFIX),
    "generations.delete": Served("DELETE", f"{LUMA_PREFIX}/g1"),
    "generations.upscale": Served("POST", f"{LUMA_PREFIX}/g1/upscale"),
    "generations.audio": Served("POST", f"{LUMA_PREFIX}/g1/audio"),
    "generations.concepts.list": Served("GET", f"{LUMA_PREFIX}/concepts/list"),
    "ping.check": Served("GET", "/dream-machine/v1/ping"),
    "generations.video.modify": Served("POST", f"{LUMA_PREFIX}/video/modify"),  # §4.5
    "generations.video.reframe": Served("POST", f"{LUMA_PREFIX}/video/reframe"),  # §4.5
    "generations.image.create": NOT_VIDEO,
    "generations.image.reframe": NOT_VIDEO,
    "credits.get": ACCOUNT,
}

ARK_TASKS = "/api/v3/contents/generations/tasks"
ARK: Surface = {  # volcengine-ark-runtime 5.0.54 client.content_generation (changes-2026-12.md §4.6)
    "content_generation.tasks.create": Served("POST", ARK_TASKS),
    "content_generation.tasks.get": Served("GET", f"{ARK_TASKS}/cgt-1"),
    "content_generation.tasks.list": Served("GET", ARK_TASKS),
    "content_generation.tasks.delete": Served("DELETE", f"{ARK_TASKS}/cgt-1"),
}

VERTEX_MODEL = "/v1beta1/projects/p/locations/l/publishers/google/models/veo-3.1-generate-001"
GENAI: Surface = {  # google-genai 3.x in Vertex mode: the video methods of client.models and client.operations
    "models.generate_videos": Served("POST", f"{VERTEX_MODEL}:predictLongRunning"),
    "operations.get": Served("POST", f"{VERTEX_MODEL}:fetchPredictOperation"),
}

FAL_APP = "/fal-ai/kling-video/v2/master/text-to-video"
FAL_REQUEST = "/fal-ai/kling-video/requests/r1"
FAL: Surface = {  # fal-client 1.0.3 SyncClient: the queue (queue.fal.run) is what the gateway uses
    "submit": Served("POST", FAL_APP),
    "subscribe": Served("POST", FAL_APP),  # submit, then status until done, then result
    "status": Served("GET", f"{FAL_REQUEST}/status"),
    "result": Served("GET", FAL_REQUEST),
    "cancel": Served("PUT", f"{FAL_REQUEST}/cancel"),
    "get_handle": Served("GET", f"{FAL_REQUEST}/status"),  # a handle on a request id, polled by status
    "run": "declined: fal.run's synchronous host answers with the result in one call; the gateway uses the queue",
    "stream": "declined: fal.run's streaming host (server-sent partial outputs); no video app streams",
    "realtime": "declined: websocket apps (realtime image models), not video",
    "ws_connect": "declined: websocket apps (realtime image models), not video",
    "upload": "declined: fal's CDN storage; the emulator takes input URLs and data URIs",
    "upload_file": "declined: fal's CDN storage; the emulator takes input URLs and data URIs",
    "upload_image": "declined: fal's CDN storage; the emulator takes input URLs and data URIs",
}


# -- what each SDK exposes today ------------------------------------------------------------------


def openai_methods() -> set[str]:
    openai = pytest.importorskip("openai")
    return sdk_methods(openai.OpenAI(api_key="k", base_url="http://127.0.0.1:9").videos, "videos.")


def runway_methods() -> set[str]:
    runwayml = pytest.importorskip("runwayml")
    return sdk_methods(runwayml.RunwayML(api_key="k", base_url="http://127.0.0.1:9"))


def luma_methods() -> set[str]:
    lumaai = pytest.importorskip("lumaai")
    return sdk_methods(lumaai.LumaAI(auth_token="k", base_url="http://127.0.0.1:9"))


def ark_methods() -> set[str]:
    ark = pytest.importorskip("volcenginesdkarkruntime")
    return sdk_methods(ark.Ark(api_key="k", base_url="http://127.0.0.1:9").content_generation, "content_generation.")


def genai_methods() -> set[str]:
    genai = pytest.importorskip("google.genai")
    models = {f"models.{n}" for n in dir(genai.models.Models) if "video" in n and not n.startswith("_")}
    operations = {
        f"operations.{n}"
        for n, v in inspect.getmembers(genai.operations.Operations, inspect.isfunction)
        if not n.startswith("_")
    }
    return models | operations


def fal_methods() -> set[str]:
    fal_client = pytest.importorskip("fal_client")
    client = fal_client.SyncClient(key="id:secret")
    return {n for n in dir(client) if not n.startswith("_") and inspect.ismethod(getattr(client, n))}


SDKS: list[tuple[str, Callable[[], set[str]], str, Surface]] = [
    ("openai", openai_methods, "openai", OPENAI),
    ("runwayml", runway_methods, "runway", RUNWAY),
    ("lumaai", luma_methods, "luma", LUMA),
    ("volcengine-ark-runtime", ark_methods, "bytedance", ARK),
    ("google-genai", genai_methods, "google-vertex", GENAI),
    ("fal-client", fal_methods, "fal", FAL),
]


@pytest.mark.parametrize("sdk,exposed,service,surface", SDKS, ids=[s[0] for s in SDKS])
def test_every_sdk_method_is_served_or_declined(
    sdk: str, exposed: Callable[[], set[str]], service: str, surface: Surface
) -> None:
    methods = exposed()
    new = sorted(methods - set(surface))
    assert not new, (
        f"{sdk} exposes {', '.join(new)}, which the {service} emulator neither serves nor declines: "
        f"serve it (and add Served(...) to the table in tests/test_sdk_surface.py) or decline it there with a reason"
    )
    gone = sorted(set(surface) - methods)
    assert not gone, f"{sdk} no longer exposes {', '.join(gone)}: drop them from the table in tests/test_sdk_surface.py"
    for name, entry in surface.items():
        assert isinstance(entry, Served) or entry.startswith("declined: "), f"{sdk} {name}: {entry!r}"


@pytest.mark.parametrize("sdk,exposed,service,surface", SDKS, ids=[s[0] for s in SDKS])
def test_served_methods_have_their_route(
    media: MediaCache, sdk: str, exposed: Callable[[], set[str]], service: str, surface: Surface
) -> None:
    routes = route_table(registry.PLUGINS[service], media)
    missing = [
        f"{name} ({entry.method} {entry.path})"
        for name, entry in surface.items()
        if isinstance(entry, Served) and not routed(routes, entry)
    ]
    assert not missing, f"the {service} emulator has no route for {', '.join(missing)}"


def test_a_new_method_fails_by_name() -> None:
    """The drift check itself: a method in neither list is named in the failure."""

    class SyncAPIResource:  # the Stainless base class, by name
        pass

    class Videos(SyncAPIResource):
        def create(self) -> None: ...
        def teleport(self) -> None: ...

    class Client:
        videos = Videos()

        def post(self) -> None: ...  # transport, not API

    methods = sdk_methods(Client())
    assert methods == {"videos.create", "videos.teleport"}
    assert sorted(methods - {"videos.create"}) == ["videos.teleport"]
