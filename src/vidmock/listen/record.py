"""What the receiver keeps about each delivery, and the summaries built from it.

Plain frozen dataclasses, so a record is JSON as it stands (``dataclasses.asdict``) and a test can
compare fields directly. Nothing here ever holds a secret: ``Authorization``-style headers are
masked on the way in, and configured secrets appear only masked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..webhooks.schemes import mask_secret

NO_EVENT_ID = "(no event id)"  # summary key for deliveries that carry no id at all
# Credentials a sender (or a proxy in front of it) might add; the record is meant to be shared.
MASKED_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
# Where each scheme carries the event id when it is not (only) in the body.
ID_HEADERS = ("webhook-id", "svix-id", "x-github-delivery")


@dataclass(frozen=True)
class Verdict:
    """``ok`` is None when no secret was configured (reason ``unverified``)."""

    ok: bool | None
    reason: str  # "ok", "unverified", or a VerificationError reason
    likely_mistake: str | None
    message: str

    @property
    def label(self) -> str:
        if self.ok is None:
            return "unverified"
        if self.ok:
            return "ok"
        return f"INVALID {self.likely_mistake or self.reason}"


UNVERIFIED = Verdict(None, "unverified", None, "no secret configured: the signature was not checked")


@dataclass(frozen=True)
class Answer:
    """The response the receiver gave; ``status`` is None for a hang (no response sent)."""

    status: int | None
    hang: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


@dataclass(frozen=True)
class Delivery:
    index: int  # receipt order, from 1
    received_at: float  # the receiver's clock (virtual time when given vidmock's clock)
    method: str
    path: str
    headers: dict[str, str]
    body: str
    event_id: str | None
    event_type: str | None
    job_id: str | None  # data.id of the event
    attempt: int  # 1, 2, … per event id
    verdict: Verdict
    answered: Answer

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EventInfo:
    event_id: str | None
    event_type: str | None
    job_id: str | None


def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names lower-cased (as HTTP/2 and Starlette see them); credentials masked."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in MASKED_HEADERS:
            scheme, sep, token = value.partition(" ")
            value = f"{scheme} {mask_secret(token)}" if sep and token else mask_secret(value)
        out[key] = value
    return out


def event_info(headers: Mapping[str, str], body: bytes) -> EventInfo:
    """Id, type and job of an event, read leniently: a delivery that fails verification (or is not
    JSON at all) is still shown with whatever it claims to be."""
    lowered = {k.lower(): v for k, v in headers.items()}
    header_id = next((lowered[h] for h in ID_HEADERS if h in lowered), None)
    try:
        payload: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        payload = None
    if not isinstance(payload, dict):
        return EventInfo(header_id, None, None)
    body_id = payload.get("id")
    event_type = payload.get("type")
    data = payload.get("data")
    job = data.get("id") if isinstance(data, dict) else None
    return EventInfo(
        header_id or (body_id if isinstance(body_id, str) else None),
        event_type if isinstance(event_type, str) else None,
        job if isinstance(job, str) else None,
    )


def summarize(deliveries: list[Delivery]) -> dict[str, dict[str, Any]]:
    """Per event id: attempts, the final verdict, and the statuses answered (None for a hang)."""
    out: dict[str, dict[str, Any]] = {}
    for d in deliveries:
        entry = out.setdefault(
            d.event_id or NO_EVENT_ID,
            {
                "event_type": d.event_type,
                "job_id": d.job_id,
                "attempts": 0,
                "statuses": [],
                "verdicts": [],
                "final_verdict": None,
            },
        )
        entry["attempts"] += 1
        entry["statuses"].append(d.answered.status)
        entry["verdicts"].append(d.verdict.label)
        entry["final_verdict"] = asdict(d.verdict)
        entry["event_type"] = d.event_type or entry["event_type"]
        entry["job_id"] = d.job_id or entry["job_id"]
    return out
