"""The validated create request (gateway.md §2). Produced by ``gateway.domain.validation.parse_create``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

InputMode = Literal["frames", "reference", "none"]

# The 14 supported sizes, in the order of the gateway's error message (G1).
SIZES: tuple[str, ...] = (
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
)
# size -> resolution tag (gateway.md §2 table)
RESOLUTION: dict[str, str] = {
    "848x480": "480p",
    "854x480": "480p",
    "480x854": "480p",
    "1280x720": "720p",
    "1696x960": "960p",
    "720x1280": "720p",
    "1366x768": "768p",
    "768x1366": "768p",
    "1920x1080": "1080p",
    "1080x1920": "1080p",
    "3840x2160": "4k",
    "2160x3840": "4k",
    "1792x1024": "hd",
    "1024x1792": "hd",
}
DEFAULT_MODEL = "veo-3.1-generate-preview"
DEFAULT_SIZE = "1280x720"


def is_portrait(size: str) -> bool:
    w, h = (int(x) for x in size.split("x"))
    return h > w


@dataclass(frozen=True)
class ImageInput:
    """An image the caller sent: a data: URL or an http(s) URL, as given."""

    url: str


@dataclass(frozen=True)
class CreateRequest:
    prompt: str
    seconds: int
    model: str = DEFAULT_MODEL
    size: str | None = None  # None: absent; DEFAULT_SIZE is used for routing
    audio: bool = True
    n: int | None = None
    image: ImageInput | None = None
    last_frame: ImageInput | None = None
    reference_images: tuple[ImageInput, ...] = ()  # reference_images or the normalised input_reference
    reference_videos: tuple[str, ...] = ()
    reference_audios: tuple[str, ...] = ()
    callback_url: str | None = None
    callback_secret: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def routing_size(self) -> str:
        return self.size or DEFAULT_SIZE

    @property
    def resolution(self) -> str:
        return RESOLUTION[self.routing_size]

    @property
    def input_mode(self) -> InputMode:
        if self.image is not None or self.last_frame is not None:
            return "frames"
        if self.reference_images or self.reference_videos or self.reference_audios:
            return "reference"
        return "none"

    @property
    def image_count(self) -> int:
        mode = self.input_mode
        if mode == "reference":
            return len(self.reference_images)
        if mode == "frames":
            return int(self.image is not None) + int(self.last_frame is not None)
        return 0
