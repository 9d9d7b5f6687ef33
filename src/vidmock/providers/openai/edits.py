"""The Videos API's last additions before its shutdown (changes-2026-12.md §4.1): edits
(``POST /videos/edits``), extensions (``POST /videos/extensions``, 4–20 s) and characters
(``POST /videos/characters``, ``GET /videos/characters/{id}``), as openai 3.63 sends them: always
multipart, the source ``video`` as a file upload; a completed video's id is taken too, as
``video[id]`` in a form or ``{"video": {"id": …}}`` in JSON (the API's ``VideoReferenceInputParam``;
the 3.63 SDK cannot send it, its multipart encoder refuses the object).

Chosen, since the reference gives no more than the routes: an edit keeps the source's model, size
and length; an extension's video is the source plus the new segment (so 8 s extended by 12 s lasts
20 s); an uploaded source (not a video of this API) counts as an 8 s sora-2 clip at 1280x720; a
character's id is ``char_`` + 32 hex digits; the error texts follow the API's usual wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...store.base import record_doc
from .errors import OpenAIError, invalid_type, invalid_value, missing
from .models import EXTENDED_SECONDS, PROMPT_MAX

CHARACTER_KIND = "openai.character"
NAME_MAX = 80  # (chosen) a display name
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")
UPLOADED_SOURCE = ("sora-2", "8", "1280x720")  # (chosen) what an uploaded source video counts as
EDIT_FIELDS = frozenset({"prompt", "video", "video[id]"})
EXTEND_FIELDS = EDIT_FIELDS | {"seconds"}
CHARACTER_FIELDS = frozenset({"name", "video"})


@dataclass(frozen=True)
class SourceRef:
    """The video an edit or extension starts from: a completed video's id, or uploaded bytes."""

    video_id: str | None
    upload: bytes | None


@dataclass(frozen=True)
class EditParams:
    prompt: str
    source: SourceRef
    seconds: str | None = None  # an extension's new segment


@dataclass
class Character:
    id: str
    name: str
    created_at: float
    video_bytes: int  # the size of the uploaded clip (kept for the inspector; the clip itself is not)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Character:
        return cls(**doc)

    def to_doc(self) -> dict[str, Any]:
        return record_doc(self)

    def render(self) -> dict[str, Any]:
        return {"id": self.id, "object": "character", "name": self.name, "created_at": int(self.created_at)}


def _unknown(keys: list[str], allowed: frozenset[str]) -> None:
    for key in keys:
        if key not in allowed:
            raise OpenAIError(400, f"Unknown parameter: '{key}'.", param=key, code="unknown_parameter")


def _prompt(fields: dict[str, Any]) -> str:
    if "prompt" not in fields:
        raise missing("prompt")
    prompt = fields["prompt"]
    if not isinstance(prompt, str):
        raise invalid_type("prompt", "a string", prompt)
    if not prompt.strip():
        raise OpenAIError(
            400, "Invalid 'prompt': string too short. Expected a string with minimum length 1.", param="prompt"
        )
    if len(prompt) > PROMPT_MAX:
        raise OpenAIError(
            400,
            f"Invalid 'prompt': string too long. Expected a string with maximum length {PROMPT_MAX}, "
            f"but got a string with length {len(prompt)} instead.",
            param="prompt",
            code="string_above_max_length",
        )
    return prompt


def _video_file(files: dict[str, tuple[str, bytes]]) -> bytes | None:
    if "video" not in files:
        return None
    mime, data = files["video"]
    if mime.split(";")[0].strip().lower() not in VIDEO_TYPES:
        raise OpenAIError(
            400,
            f"Invalid file format for 'video': '{mime}'. Supported formats are: {', '.join(VIDEO_TYPES)}.",
            param="video",
            code="invalid_value",
        )
    if not data:
        raise OpenAIError(400, "Invalid 'video': the file is empty.", param="video", code="invalid_value")
    return data


def _source(fields: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> SourceRef:
    upload = _video_file(files)
    ref = fields.get("video[id]", fields.get("video"))
    if upload is not None:
        if ref is not None:
            raise OpenAIError(400, "Provide 'video' as a file or as a video id, not both.", param="video")
        return SourceRef(None, upload)
    if ref is None:
        raise missing("video")
    if isinstance(ref, dict):
        ref = ref.get("id")
    if not isinstance(ref, str) or not ref:
        raise invalid_type("video.id", "a string", ref)
    return SourceRef(ref, None)


def parse_edit(fields: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> EditParams:
    _unknown([*fields, *files], EDIT_FIELDS)
    return EditParams(_prompt(fields), _source(fields, files))


def parse_extension(fields: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> EditParams:
    _unknown([*fields, *files], EXTEND_FIELDS)
    prompt = _prompt(fields)
    if "seconds" not in fields:
        raise missing("seconds")
    seconds = fields["seconds"]
    if not isinstance(seconds, str):
        raise invalid_type("seconds", "a string", seconds)
    if seconds not in EXTENDED_SECONDS:
        raise invalid_value(seconds, EXTENDED_SECONDS, "seconds")  # 4–20 s (§4.1)
    return EditParams(prompt, _source(fields, files), seconds)


def parse_character(fields: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> tuple[str, bytes]:
    _unknown([*fields, *files], CHARACTER_FIELDS)
    if "name" not in fields:
        raise missing("name")
    name = fields["name"]
    if not isinstance(name, str) or not name.strip():
        raise invalid_type("name", "a non-empty string", name)
    if len(name) > NAME_MAX:
        raise OpenAIError(
            400,
            f"Invalid 'name': string too long. Expected a string with maximum length {NAME_MAX}.",
            param="name",
            code="string_above_max_length",
        )
    data = _video_file(files)
    if data is None:
        raise missing("video")
    return name, data


def character_not_found(character_id: str) -> OpenAIError:
    return OpenAIError(404, f"Character with id '{character_id}' not found.", param="character_id")
