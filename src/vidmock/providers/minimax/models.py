"""MiniMax video tasks (v1 Hailuo and v2 H3): what was asked, and how each API shows the task at a time.

The lifecycle is the job's scenario plan, a pure function of the time since submit. One task record
serves both query routes, each in its own shape:

- v1 ``GET /v1/query/video_generation``: ``Preparing|Queueing|Processing|Success|Fail`` with
  ``file_id`` and ``base_resp`` (providers.md §6.3);
- v2 ``GET /v2/query/video_generation/{task_id}``: ``{"task": {…, "status":
  queued|running|succeeded|failed|cancelled|expired, "content": {"url"}, "error"}}`` (MiniMax's V2
  API reference; not in the reference documents, which leave the v2 query open, gateway.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ...media import VideoSpec
from ..base import PlannedRecord

KIND = "minimax.task"
FILE_KIND = "minimax.file"
V1_MODELS = (
    "MiniMax-Hailuo-2.3",
    "MiniMax-Hailuo-2.3-Fast",
    "MiniMax-Hailuo-02",
    "T2V-01",
    "T2V-01-Director",
    "I2V-01",
    "I2V-01-Director",
    "I2V-01-live",
    "S2V-01",
)
V2_MODELS = ("MiniMax-H3", "MiniMax-H3-Max")
# Seconds from submit to done (chosen: the reference gives no MiniMax latency; Hailuo renders take minutes).
DEFAULT_LATENCY = {1: 180.0, 2: 240.0}
V1_SHORT_SIDE = {"512P": 512, "768P": 768, "1080P": 1080}
V2_SHORT_SIDE = {"480P": 480, "720P": 720, "768P": 768, "1080P": 1080}
V2_RATIOS = ("adaptive", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
V1_STATUS = {"in_progress": "Processing", "completed": "Success"}
V2_STATUS = {
    "queued": "queued",
    "in_progress": "running",
    "completed": "succeeded",
    "failed": "failed",
    "canceled": "cancelled",
    "expired": "expired",
}
PREPARING_SECONDS = 3.0  # a queued v1 task shows Preparing first, then Queueing (chosen)
FAILURE = {
    "failed": (1000, "video generation failed"),
    "canceled": (1000, "task cancelled"),
    "expired": (1001, "task expired before it started"),
}


@dataclass(frozen=True)
class MinimaxOptions:
    """Choices where MiniMax's or the gateway's behaviour is not known (gateway.md §8, providers.md §14).

    ``v2_poll``: the route the gateway polls v2 (``MiniMax-H3-Max``) jobs on. ``"v2"`` (default) is
    MiniMax's documented v2 query, ``GET /v2/query/video_generation/{task_id}``; ``"v1"`` is W1's
    ``GET /v1/query/video_generation?task_id=``, used for every MiniMax job by the only worker
    version in the reference. The emulator answers v2 tasks on both routes either way.
    ``http_errors``: v1 errors with the matching HTTP status instead of HTTP 200 (providers.md §6.4).
    """

    v2_poll: Literal["v2", "v1"] = "v2"
    http_errors: bool = False


@dataclass
class Task(PlannedRecord):
    id: str
    version: int  # 1 or 2: which create route made it
    model: str
    created_at: float
    prompt: str
    duration: int
    resolution: str
    ratio: str
    audio: bool
    file_id: str
    first_frame: bool
    last_frame: bool
    callback_url: str | None  # recorded only: MiniMax's callback handshake is unverified (providers.md §6.5)
    seed: int
    plan: dict[str, Any]

    def state(self, now: float) -> str:
        return self.job_plan().state_at(now - self.created_at)[0]

    def video_available(self, now: float) -> bool:
        plan = self.job_plan()
        if self.state(now) != "completed":
            return False
        ttl, done = plan.content_expires_after, plan.finishes_at
        return ttl is None or done is None or now < self.created_at + done + ttl

    def size(self) -> tuple[int, int]:
        short = (V2_SHORT_SIDE if self.version == 2 else V1_SHORT_SIDE)[self.resolution]
        ratio = "16:9" if self.ratio == "adaptive" else self.ratio  # adaptive follows the frame; chosen 16:9
        a, b = (int(x) for x in ratio.split(":"))
        if a >= b:
            return _even(short * a / b), short
        return short, _even(short * b / a)

    def video_spec(self) -> VideoSpec:
        width, height = self.size()
        return VideoSpec(width, height, self.duration, self.audio, self.seed)

    def failure(self, status: str) -> tuple[int, str]:
        """(base_resp code, message) of a task that did not complete."""
        error = self.job_plan().error or {}
        default_code, default_message = FAILURE.get(status, FAILURE["failed"])
        raw = str(error.get("code") or "")
        return (int(raw) if raw.isdigit() else default_code), str(error.get("message") or default_message)

    def render_v1(self, now: float) -> dict[str, Any]:
        status = self.state(now)
        elapsed = now - self.created_at
        out: dict[str, Any] = {"task_id": self.id}
        if status == "queued":
            out["status"] = "Preparing" if elapsed < PREPARING_SECONDS else "Queueing"
        elif status in V1_STATUS:
            out["status"] = V1_STATUS[status]
        else:
            code, message = self.failure(status)
            out["status"] = "Fail"
            out["file_id"] = ""
            out["base_resp"] = {"status_code": code, "status_msg": message}
            return out
        out["file_id"] = self.file_id if status == "completed" else ""
        if status == "completed":
            out["video_width"], out["video_height"] = self.size()
        out["base_resp"] = {"status_code": 0, "status_msg": "success"}
        return out

    def render_v2(self, now: float, base_url: str) -> dict[str, Any]:
        status = self.state(now)
        task: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "type": "video_generation",
            "status": V2_STATUS[status],
            "ratio": self.ratio,
            "resolution": self.resolution,
            "duration": self.duration,
            "created_at": int(self.created_at),
        }
        if status == "completed":
            task["content"] = {"url": file_url(base_url, self.file_id), "duration": self.duration}
            task["usage"] = {"duration": self.duration}
        elif status in ("failed", "canceled", "expired"):
            code, message = self.failure(status)
            task["error"] = {"code": str(code), "message": message}
        return {"task": task}

    def file_object(self, base_url: str, size: int) -> dict[str, Any]:
        """``GET /v1/files/retrieve`` (providers.md §6.3)."""
        url = file_url(base_url, self.file_id)
        finished = self.created_at + (self.job_plan().finishes_at or 0.0)
        return {
            "file": {
                "file_id": int(self.file_id),
                "bytes": size,
                "created_at": int(finished),
                "filename": "output.mp4",
                "purpose": "video_generation",
                "download_url": url,
                "backup_download_url": url + "?backup=1",
            },
            "base_resp": {"status_code": 0, "status_msg": "success"},
        }


def file_url(base_url: str, file_id: str) -> str:
    return f"{base_url}/files/{file_id}.mp4"


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)
