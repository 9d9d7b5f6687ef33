"""The gateway's video job record (the ``video_job`` row) and its public serialisation (§3)."""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from ... import gcs
from ...store.base import record_doc
from . import tokens

JOB_KIND = "gateway.job"
LOG_KIND = "gateway.log"  # log id -> job id, for the signed content route


@dataclass
class Job:
    id: str
    project_id: str
    model: str  # canonical model id
    provider: str
    external_id: str
    created_at: float
    size: str
    seconds: int
    audio: bool
    image_count: int
    request_id: str
    status: str = "queued"
    progress: int = 0
    completed_at: float | None = None
    expires_at: float | None = None
    error: dict[str, Any] | None = None
    upstream_id: str = ""
    upstream_status: str | None = None
    stealth: bool = False
    poll_error_count: int = 0
    poll_attempts: int = 0
    content_blob: str | None = None  # inline bytes, by store blob key
    content_url: str | None = None
    storage_uri: str | None = None
    content_type: str | None = None
    log_id: str | None = None
    cost: float | None = None
    video_output_cost: float | None = None
    image_input_cost: float | None = None
    reserved_spend: float = 0.0
    credits_mode: bool = False
    callback_url: str | None = None
    callback_secret: str | None = None
    callback_status: str = "none"  # none | pending | delivered | failed
    callback_delivered_at: float | None = None
    routing: list[dict[str, Any]] = field(default_factory=list)
    scenario: str | None = None
    seed: int | None = None
    gateway_release: str | None = None  # the release that served the job (issue 14; not in the video object)
    finish_reason: str | None = None  # the log row's: completed | upstream_error | content_filter (§4.2)
    content_filter_pending: bool = False  # a log-only filter evaluation still running at insert
    # Every status or progress change the gateway saw, [at, status, progress]: the inspector's timeline.
    history: list[list[Any]] = field(default_factory=list)

    def record(self, at: float) -> None:
        """Append the current status and progress if they changed since the last entry."""
        entry = [at, self.status, 100 if self.status == "completed" else self.progress]
        if not self.history or self.history[-1][1:] != entry[1:]:
            self.history.append(entry)

    upstream_response: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Job:
        """Rebuild from a stored document. Skips the dataclass __init__ (a quarter of a GET): the
        document was written by ``to_doc``; fields added since fall back to their defaults."""
        job = cls.__new__(cls)
        job.__dict__.update(_PLAIN_DEFAULTS)
        for name, factory in _FACTORIES.items():
            if name not in doc:
                job.__dict__[name] = factory()
        job.__dict__.update(doc)
        return job

    def to_doc(self) -> dict[str, Any]:
        return record_doc(self)

    @property
    def has_content_source(self) -> bool:
        return bool(self.content_blob or self.content_url or self.storage_uri)


GCS_URL_TTL = 15 * 60  # seconds a signed GCS URL stays valid


@dataclass(frozen=True)
class SerializeOptions:
    base_url: str
    content_secret: str
    bare_model: bool = False
    include_usage: bool = True
    gcs_endpoint: str | None = None  # default: this server's GCS stand-in
    gcs_key: gcs.HmacKey | None = None  # None: storage URIs cannot be signed


def signed_gcs_url(storage_uri: str, now: float, opts: SerializeOptions) -> str | None:
    """A V4-signed URL for a ``gs://`` object, or None when it cannot be signed."""
    if opts.gcs_key is None:
        return None
    try:
        bucket, name = gcs.parse_gs_uri(storage_uri)
    except ValueError:
        return None
    return gcs.sign_url(
        opts.gcs_endpoint or f"{opts.base_url}/providers/gcs", bucket, name, opts.gcs_key, now, GCS_URL_TTL
    )


def content_url(job: Job, now: float, opts: SerializeOptions) -> str | None:
    """``getPublicVideoContentUrl``: the signed gateway URL once finalized; before that (or if
    signing fails) a signed GCS URL from ``storageUri``, else the raw upstream URL."""
    if job.status != "completed" or not job.has_content_source:
        return None
    if job.log_id:
        token = tokens.sign(job.log_id, now, opts.content_secret)
        return f"{opts.base_url}/v1/videos/logs/{job.log_id}/content?token={token}"
    return (signed_gcs_url(job.storage_uri, now, opts) if job.storage_uri else None) or job.content_url


def serialize(job: Job, now: float, opts: SerializeOptions) -> dict[str, Any]:
    """``serializeVideoJob`` (G1): ``content`` absent until completed, ``usage`` once costed."""
    out: dict[str, Any] = {
        "id": job.id,
        "object": "video",
        "model": job.model if opts.bare_model else f"{job.provider}/{job.model}",
        "status": job.status,
        "progress": 100 if job.status == "completed" else max(0, min(100, int(job.progress))),
        "created_at": math.floor(job.created_at),
        "completed_at": None if job.completed_at is None else math.floor(job.completed_at),
        "expires_at": None if job.expires_at is None else math.floor(job.expires_at),
        "error": job.error,
    }
    url = content_url(job, now, opts)
    if url is not None:
        out["content"] = [{"type": "video", "url": url, "mime_type": job.content_type or "video/mp4"}]
    if opts.include_usage and job.cost is not None:
        out["usage"] = {
            "cost": job.cost,
            "cost_details": {
                "video_output_cost": job.video_output_cost or 0,
                "image_input_cost": job.image_input_cost or 0,
            },
        }
    return out


_FACTORIES = {f.name: f.default_factory for f in fields(Job) if f.default_factory is not MISSING}
_PLAIN_DEFAULTS = {f.name: f.default for f in fields(Job) if f.default is not MISSING}
