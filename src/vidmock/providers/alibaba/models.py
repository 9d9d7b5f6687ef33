"""DashScope video-synthesis tasks: what was asked, and what the task looks like at a given time.

The reference has only LLMGateway's client side (providers.md §8): submit with
``X-DashScope-Async: enable``, the id in ``output.task_id``, ``output.task_status`` on
``GET /api/v1/tasks/{id}``, the video at ``output.video_url``. Everything else follows DashScope's
public behaviour and is (not in the reference: chosen) where marked:

- statuses ``PENDING`` → ``RUNNING`` → ``SUCCEEDED`` | ``FAILED`` | ``CANCELED``; a failed task
  carries ``output.code`` and ``output.message`` flat inside ``output``;
- a task is kept for 24 h after submit, then (or for an id never issued) it reads ``UNKNOWN``;
  a scenario's ``expired`` outcome also renders as ``UNKNOWN`` (DashScope has no expired state);
- ``video_url`` is an object-store URL that expires 24 h after the task succeeded;
- times are ``YYYY-MM-DD hh:mm:ss.mmm`` in UTC+8.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..base import PlannedRecord
from .errors import invalid

KIND = "alibaba.task"
RETENTION = 24 * 3600.0
CONTENT_TTL = 24 * 3600.0
TZ = timezone(timedelta(hours=8))
STATUS = {
    "queued": "PENDING",
    "in_progress": "RUNNING",
    "completed": "SUCCEEDED",
    "failed": "FAILED",
    "canceled": "CANCELED",
    "expired": "UNKNOWN",
}


@dataclass(frozen=True)
class ModelSpec:
    durations: tuple[int, ...]
    audio: bool  # renders an audio track by default (wan2.5 and later)
    latency: float  # seconds from submit to SUCCEEDED (chosen: Wan renders take minutes)
    default_size: str


MODELS: dict[str, ModelSpec] = {
    "wan2.5-t2v-preview": ModelSpec((5, 10), True, 150.0, "1920*1080"),
    "wan2.2-t2v-plus": ModelSpec((5,), False, 120.0, "1920*1080"),
    "wanx2.1-t2v-plus": ModelSpec((5,), False, 120.0, "1280*720"),
    "wanx2.1-t2v-turbo": ModelSpec((5,), False, 60.0, "1280*720"),
}


@dataclass
class Task(PlannedRecord):
    id: str
    model: str
    created_at: float
    prompt: str
    width: int
    height: int
    duration: int
    audio: bool
    seed: int
    plan: dict[str, Any]
    canceled_at: float | None = None

    def status_at(self, now: float) -> str:
        """The generic status (queued, in_progress, completed, …) at ``now``."""
        if self.canceled_at is not None and now >= self.canceled_at:
            return "canceled"
        return self.job_plan().state_at(now - self.created_at)[0]

    def _step_time(self, statuses: tuple[str, ...]) -> float | None:
        return next((self.created_at + at for at, s, _ in self.job_plan().steps if s in statuses), None)

    def ended_at(self) -> float | None:
        if self.canceled_at is not None:
            return self.canceled_at
        finish = self.job_plan().finishes_at
        return None if finish is None else self.created_at + finish

    def video_available(self, now: float) -> bool:
        if self.status_at(now) != "completed":
            return False
        ttl = self.job_plan().content_expires_after
        return now < (self.ended_at() or now) + (CONTENT_TTL if ttl is None else ttl)

    def render(self, now: float, base_url: str, request_id: str) -> dict[str, Any]:
        """``GET /api/v1/tasks/{task_id}`` at ``now``."""
        if now - self.created_at >= RETENTION:
            return unknown(self.id, request_id)
        status = self.status_at(now)
        if STATUS[status] == "UNKNOWN":
            return unknown(self.id, request_id)
        output: dict[str, Any] = {
            "task_id": self.id,
            "task_status": STATUS[status],
            "submit_time": stamp(self.created_at),
        }
        started = self._step_time(("in_progress", "completed", "failed"))
        if status != "queued" and started is not None and started <= now:
            output["scheduled_time"] = stamp(started)
        body: dict[str, Any] = {"request_id": request_id, "output": output}
        if status in ("completed", "failed", "canceled"):
            output["end_time"] = stamp(self.ended_at() or now)
        if status == "completed":
            output["orig_prompt"] = self.prompt
            output["video_url"] = f"{base_url}/files/{self.id}.mp4"
            body["usage"] = {
                "video_duration": self.duration,
                "video_ratio": f"{self.width}*{self.height}",
                "video_count": 1,
            }
        elif status == "failed":
            error = self.job_plan().error or {}
            output["code"] = error.get("code") or "InternalError"
            output["message"] = error.get("message") or "An internal error has occured during execution."
        return body


def unknown(task_id: str, request_id: str) -> dict[str, Any]:
    return {"request_id": request_id, "output": {"task_id": task_id, "task_status": "UNKNOWN"}}


def stamp(at: float) -> str:
    return datetime.fromtimestamp(at, TZ).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def parse_create(body: Any) -> tuple[str, dict[str, Any]]:
    """(model, fields) for a video-synthesis body; DashScopeError(400) otherwise."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid("Field required: model")
    spec = MODELS.get(model)
    if spec is None:
        raise invalid("Model not exist.")
    inputs = body.get("input")
    prompt = inputs.get("prompt") if isinstance(inputs, dict) else None
    if not isinstance(prompt, str) or not prompt.strip():
        raise invalid("Field required: input.prompt")
    params = body.get("parameters") or {}
    if not isinstance(params, dict):
        raise invalid("parameters must be an object.")
    width, height = _size(params.get("size", spec.default_size))
    duration = params.get("duration", spec.durations[0])
    if not isinstance(duration, int) or isinstance(duration, bool) or duration not in spec.durations:
        allowed = ", ".join(str(d) for d in spec.durations)
        raise invalid(f"The duration parameter is invalid; {model} supports {allowed} seconds.")
    seed = params.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= 2147483647:
        raise invalid("The seed parameter must be an integer between 0 and 2147483647.")
    audio = params.get("audio", spec.audio)
    if not isinstance(audio, bool):
        raise invalid("The audio parameter must be a boolean.")
    if audio and not spec.audio:
        raise invalid(f"The audio parameter is not supported by {model}.")
    return model, {
        "prompt": prompt,
        "width": width,
        "height": height,
        "duration": duration,
        "audio": audio,
        "seed": seed,
    }


def _size(value: Any) -> tuple[int, int]:
    # Any even W*H from 256 to 4096 is accepted: the gateway sends each of its sizes as W*H
    # (providers.md §8), and DashScope's per-model size list is not in the reference.
    try:
        w, h = (int(x) for x in str(value).split("*"))
    except ValueError:
        raise invalid(
            f"The size parameter is invalid: expected width*height such as 1280*720, got {value!r}."
        ) from None
    if not (256 <= w <= 4096 and 256 <= h <= 4096) or w % 2 or h % 2:
        raise invalid(f"The size parameter is invalid: {value} is not a supported resolution.")
    return w, h
