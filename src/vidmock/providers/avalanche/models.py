"""Avalanche tasks (Veo and Sora variants) and what they look like at a given time.

A task's lifecycle is its scenario plan (``vidmock.scenarios.JobPlan``) as a pure function of the
clock; the Veo upgrades follow from it: the 1080P version is ready ``UPGRADE_1080P`` seconds after
the task succeeded, the 4K version ``UPGRADE_4K`` seconds after it was first asked for (4K costs
extra, so it starts only on request). Kie quotes 1–3 and 5–10 minutes for them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from ...media import VideoSpec
from ...scenarios import JobPlan
from ..base import PlannedRecord

KIND = "avalanche.task"
UPLOAD_KIND = "avalanche.upload"
UPLOAD_TTL = 3 * 24 * 3600.0  # Kie deletes uploaded files after three days
UPGRADE_1080P = 60.0
UPGRADE_4K = 300.0
# Seconds from submit to success (chosen: Kie's fast model usually answers in 1–2 minutes).
DEFAULT_LATENCY: dict[str, float] = {
    "veo3_fast": 75.0,
    "veo3_lite": 60.0,
    "veo3": 150.0,
    "sora-2-text-to-video": 120.0,
    "sora-2-image-to-video": 120.0,
    "sora-2-pro-text-to-video": 240.0,
    "sora-2-pro-image-to-video": 240.0,
}
# Output sizes: Veo's original is 720p (the point of the 1080P/4K upgrades); Sora per its size.
BASE = {"16:9": (1280, 720), "9:16": (720, 1280)}
HD = {"16:9": (1920, 1080), "9:16": (1080, 1920)}
UHD = {"16:9": (3840, 2160), "9:16": (2160, 3840)}
FILES = {"video.mp4": BASE, "1080p.mp4": HD, "4k.mp4": UHD}
# Generic plan status → Veo successFlag: 0 generating, 1 success, 2 failed before completion,
# 3 generation failed (Kie's table).
SUCCESS_FLAG = {"queued": 0, "in_progress": 0, "completed": 1, "failed": 3, "canceled": 2, "expired": 2}
SORA_STATE = {
    "queued": "waiting",
    "in_progress": "generating",
    "completed": "success",
    "failed": "fail",
    "canceled": "fail",
    "expired": "fail",
}
DEFAULT_ERRORS = {
    "failed": (501, "Video generation failed. Please try again later."),
    "canceled": (400, "The task was cancelled before completion."),
    "expired": (400, "The task timed out before completion."),
}


@dataclass
class Task(PlannedRecord):
    id: str
    variant: str  # "veo" or "sora"
    model: str
    created_at: float
    prompt: str
    aspect: str  # "16:9" or "9:16"
    seconds: int
    image_urls: list[str]
    generation_type: str | None
    size: str | None  # Sora Pro "standard" / "high"
    params: dict[str, Any]  # the body as received, echoed as paramJson / param
    plan: dict[str, Any]
    upgrade_4k_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def job_plan(self) -> JobPlan:
        return JobPlan.from_doc(self.plan)

    @property
    def seed(self) -> int:
        return int(self.plan["seed"])

    def status(self, now: float) -> str:
        return self.job_plan().state_at(now - self.created_at)[0]

    def finished_at(self) -> float | None:
        end = self.job_plan().finishes_at
        return None if end is None else self.created_at + end

    def succeeded(self, now: float) -> bool:
        return self.status(now) == "completed" and self.job_plan().safety_block is None

    def error(self, status: str) -> tuple[Any, str]:
        """(code, message) of a failed task: the scenario's, else a default per status."""
        plan = self.job_plan()
        if status == "completed" and plan.safety_block is not None:
            reasons = plan.safety_block.get("reasons") or []
            return 400, str(reasons[0]) if reasons else "The content may violate the content policy."
        code: int | str
        code, message = DEFAULT_ERRORS.get(status, DEFAULT_ERRORS["failed"])
        if plan.error:
            raw = str(plan.error.get("code", code))
            code, message = (int(raw) if raw.isdigit() else raw), plan.error.get("message") or message
        return code, message

    # -- files --------------------------------------------------------------------------------
    def file_url(self, base_url: str, name: str) -> str:
        return f"{base_url}/files/{self.id}/{name}"

    def file_ready(self, name: str, now: float) -> bool:
        """Whether ``/files/<id>/<name>`` exists at ``now`` (expiry is the caller's check)."""
        if not self.succeeded(now):
            return False
        if name == "video.mp4":
            return True
        if self.variant != "veo":
            return False
        if name == "1080p.mp4":
            return now >= (self.finished_at() or now) + UPGRADE_1080P
        return name == "4k.mp4" and self.upgrade_4k_at is not None and now >= self.upgrade_4k_at + UPGRADE_4K

    def expired(self, now: float) -> bool:
        after = self.job_plan().content_expires_after
        end = self.finished_at()
        return after is not None and end is not None and now >= end + after

    def video_spec(self, name: str) -> VideoSpec:
        if self.variant == "sora":
            width, height = (HD if self.size == "high" else BASE)[self.aspect]
        else:
            width, height = FILES[name][self.aspect]
        return VideoSpec(width, height, self.seconds, True, self.seed)

    # -- replies ------------------------------------------------------------------------------
    def veo_record(self, now: float, base_url: str) -> dict[str, Any]:
        """``data`` of ``GET /api/v1/veo/record-info``."""
        status = self.status(now)
        flag = SUCCESS_FLAG[status]
        done = status in ("completed", "failed", "canceled", "expired")
        out: dict[str, Any] = {
            "taskId": self.id,
            "paramJson": json.dumps(self.params, separators=(",", ":")),
            "completeTime": _wall(self.finished_at()) if done else None,
            "response": None,
            "successFlag": flag,
            "errorCode": None,
            "errorMessage": "",
            "createTime": _wall(self.created_at),
            "fallbackFlag": False,
        }
        if self.succeeded(now):
            out["response"] = {
                "taskId": self.id,
                "resultUrls": [self.file_url(base_url, "video.mp4")],
                "originUrls": [],
                "resolution": "720p",
            }
        elif done:
            out["successFlag"] = flag if status != "completed" else 3  # a safety block is a failed generation
            out["errorCode"], out["errorMessage"] = self.error(status)
        return out

    def sora_record(self, now: float, base_url: str) -> dict[str, Any]:
        """``data`` of ``GET /api/v1/jobs/recordInfo``: times in epoch milliseconds, JSON as strings."""
        status = self.status(now)
        state = SORA_STATE[status]
        if status == "completed" and not self.succeeded(now):
            state = "fail"
        end = self.finished_at()
        out: dict[str, Any] = {
            "taskId": self.id,
            "model": self.model,
            "state": state,
            "param": json.dumps(self.params, separators=(",", ":")),
            "resultJson": "",
            "failCode": "",
            "failMsg": "",
            "costTime": None,
            "completeTime": None,
            "createTime": int(self.created_at * 1000),
            "updateTime": int(now * 1000),
        }
        if state in ("success", "fail") and end is not None:
            out["costTime"], out["completeTime"] = int((end - self.created_at) * 1000), int(end * 1000)
        if state == "success":
            out["resultJson"] = json.dumps({"resultUrls": [self.file_url(base_url, "video.mp4")]})
        elif state == "fail":
            code, message = self.error(status)
            out["failCode"], out["failMsg"] = str(code), message
        return out


def _wall(moment: float | None) -> str | None:
    """Kie's Veo records print times as "YYYY-MM-DD HH:MM:SS" (UTC here, chosen)."""
    return None if moment is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moment))
