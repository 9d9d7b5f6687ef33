"""Seedance 2.5 draft mode (changes-2026-12.md §4.6), behind ``ServerConfig.seedance_draft``.

``draft: true`` on a Seedance 2.5 create renders a cheap 480p draft; a later create whose content is
one ``{"type": "draft_task", "draft_task": {"id": …}}`` item renders the final video from it. Both Ark
SDKs type these fields (``draft``, ``draft_task_id`` on the task); the behaviour is from third-party
docs only, hence the option (off: ``draft: true`` and a ``draft_task`` item are 400s, as before).

Chosen, where those docs are silent: a draft is 480p whatever was asked (a ``resolution`` other than
480p is a 400); the final video keeps the draft's prompt, seed, ratio, length and audio, takes the
``resolution`` (default: the model's), ``callback_url``, tier and priority of its own create; the
draft must be a succeeded draft of the same model; the draft_task item stands alone in ``content``.
"""

from __future__ import annotations

from typing import Any

from .errors import invalid, missing
from .models import ModelSpec, Task
from .params import validate_create

DRAFT_RESOLUTION = "480p"
OWN_FIELDS = ("resolution", "callback_url", "service_tier", "execution_expires_after", "priority", "return_last_frame")


def supports_drafts(model: str) -> bool:
    return "seedance-2-5" in model


def draft_reference(body: dict[str, Any]) -> str | None:
    """The draft task id a create finalises, or None when its content holds no ``draft_task`` item."""
    content = body.get("content")
    if not isinstance(content, list) or not any(isinstance(i, dict) and i.get("type") == "draft_task" for i in content):
        return None
    if len(content) != 1:
        raise invalid("content", "a draft_task item must be the only content item")
    ref = content[0].get("draft_task")
    task_id = ref.get("id") if isinstance(ref, dict) else None
    if not isinstance(task_id, str) or not task_id:
        raise missing("content[0].draft_task.id")
    return task_id


def create_draft(model: str, spec: ModelSpec, body: dict[str, Any]) -> dict[str, Any]:
    """The fields of a ``draft: true`` create (or of an ordinary one: ``draft`` false or absent)."""
    flag = body.get("draft")
    if flag is not None and not isinstance(flag, bool):
        raise invalid("draft", "expected a boolean")
    fields = validate_create(spec, {k: v for k, v in body.items() if k != "draft"})
    if flag is not True:
        return fields
    if not supports_drafts(model):
        raise invalid("draft", "draft mode is not supported by this model")
    if body.get("resolution") not in (None, DRAFT_RESOLUTION):  # the SDKs send unset fields as null
        raise invalid("resolution", "a draft renders at 480p only")
    return {**fields, "resolution": DRAFT_RESOLUTION, "draft": True}


def finalise(
    model: str, spec: ModelSpec, draft: Task | None, draft_id: str, body: dict[str, Any], now: float
) -> dict[str, Any]:
    """The fields of the final video made from ``draft`` (None: no such task)."""
    if draft is None or not draft.draft:
        raise invalid("content[0].draft_task.id", f"{draft_id} is not a draft task")
    if draft.model != model:
        raise invalid("model", f"the draft task {draft_id} was made with {draft.model}")
    if draft.status_at(now)[0] != "succeeded":
        raise invalid("content[0].draft_task.id", f"the draft task {draft_id} has not succeeded")
    if body.get("draft") is True:
        raise invalid("draft", "a draft cannot be made from a draft task")
    replay = {
        "model": model,
        "content": [{"type": "text", "text": draft.prompt}],
        "duration": draft.duration,
        "ratio": draft.ratio,
        "generate_audio": draft.generate_audio,
        "seed": draft.seed,
        **{key: body[key] for key in OWN_FIELDS if body.get(key) is not None},
    }
    fields = validate_create(spec, replay)
    content = [{"type": "draft_task", "draft_task": {"id": draft_id}}]
    return {**fields, "content": content, "draft_task_id": draft_id}
