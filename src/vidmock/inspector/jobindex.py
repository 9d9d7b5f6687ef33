"""The jobs list as data: each job with its prompt and model as shown, and the filter a user sets
with query parameters (``?status=&provider=&model=&q=``), so it works without JavaScript.

The gateway's job record does not keep the prompt (nor does the real ``video_job`` row); the
provider's submit request in the journal does. One pass over the journal indexes each submit by
the ids its response names, so the list costs O(journal + jobs), not their product.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..gateway.domain.jobs import JOB_KIND
from ..journal import Entry, Journal

if TYPE_CHECKING:
    from ..server import Runtime

MAX_ROWS = 200  # rows rendered at once: a page of 10,000 jobs helps nobody; the filter narrows it
_DEPTH = 6
UPSTREAM_MIN = 8


@dataclass(frozen=True)
class JobFilter:
    status: str = ""
    provider: str = ""
    model: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> JobFilter:
        def get(name: str) -> str:
            return str(params.get(name) or "").strip()[:500]

        return cls(get("status"), get("provider"), get("model"), get("q"))

    @property
    def active(self) -> bool:
        return bool(self.status or self.provider or self.model or self.q)

    def matches(self, row: JobRow) -> bool:
        doc = row.doc
        if self.status and str(doc.get("status")) != self.status:
            return False
        if self.provider and str(doc.get("provider")) != self.provider:
            return False
        if self.model and self.model not in (row.model, str(doc.get("model"))):
            return False
        if self.q:
            q = self.q.lower()
            # An upstream id ("projects/…/locations/…/operations/…") contains common words: it matches
            # only a query of 8+ characters found in it whole (an id pasted from a provider's log).
            if len(q) >= UPSTREAM_MIN and q in str(doc.get("upstream_id") or "").lower():
                return True
            haystack = " ".join(str(x) for x in (doc.get("id"), row.prompt, doc.get("scenario")) if x).lower()
            return all(word in haystack for word in q.split())
        return True


@dataclass(frozen=True)
class JobRow:
    doc: dict[str, Any]
    model: str | None  # as the API shows it: provider/model, or bare with --bare-model
    prompt: str | None
    submit: Entry | None  # the provider's submit call, from the journal


def model_shown(runtime: Runtime, doc: Mapping[str, Any]) -> str | None:
    if not doc.get("model"):
        return None
    if runtime.config.bare_model or not doc.get("provider"):
        return str(doc["model"])
    return f"{doc['provider']}/{doc['model']}"


def submits_by_id(journal: Journal) -> dict[str, Entry]:
    """Each successful POST, under every string its response names (the upstream id is one)."""
    index: dict[str, Entry] = {}
    for entry in list(journal.entries):
        if entry.method == "POST" and 200 <= entry.status < 300:
            for value in _strings(entry.response, _DEPTH):
                index.setdefault(value, entry)  # the first: a later poll naming the same id is not the submit
    return index


def prompt_of(body: Any, depth: int = _DEPTH) -> str | None:
    """The prompt in a provider's submit body: a ``prompt`` key anywhere (OpenAI, Vertex, Kling…),
    or ByteDance's ``{"type": "text", "text": …}`` content part."""
    if depth <= 0:
        return None
    if isinstance(body, dict):
        if isinstance(body.get("prompt"), str):
            return str(body["prompt"])
        if body.get("type") == "text" and isinstance(body.get("text"), str):
            return str(body["text"])
        children: Iterable[Any] = body.values()
    elif isinstance(body, list):
        children = body
    else:
        return None
    for child in children:
        found = prompt_of(child, depth - 1)
        if found is not None:
            return found
    return None


def job_rows(runtime: Runtime, docs: Iterable[dict[str, Any]] | None = None) -> list[JobRow]:
    """Every job, newest first, with its prompt and submit call."""
    if docs is None:
        docs = runtime.store.all(JOB_KIND)
    ordered = sorted(docs, key=lambda d: (d.get("created_at") or 0, str(d.get("id"))), reverse=True)
    submits = submits_by_id(runtime.journal)
    rows = []
    for doc in ordered:
        submit = submits.get(str(doc.get("upstream_id") or ""))
        if submit is not None and submit.service != doc.get("provider"):
            submit = None
        prompt = prompt_of(submit.body) if submit is not None else None
        rows.append(JobRow(doc, model_shown(runtime, doc), prompt, submit))
    return rows


def _strings(value: Any, depth: int) -> Iterable[str]:
    if depth <= 0:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v, depth - 1)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, depth - 1)
