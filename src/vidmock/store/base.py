"""The document store every emulator keeps its state in.

State is a set of JSON documents, each with a ``kind`` (``gateway.job``, ``vertex.operation``…), an
``id`` and an optional ``due`` time the worker queries on. One small interface serves the gateway
and every provider emulator, so adding a provider never touches the store, and the durable SQLite
store gives all of them restart safety at once.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..jsonutil import dumps, loads

Doc = dict[str, Any]


class Store(Protocol):
    def get(self, kind: str, id: str) -> Doc | None: ...

    def put(self, kind: str, id: str, doc: Doc, *, due: float | None = None) -> None:
        """Insert or replace. ``due`` None removes the document from ``due()`` results."""

    def delete(self, kind: str, id: str) -> None: ...

    def due(self, kind: str, now: float, limit: int | None = None) -> list[Doc]:
        """Documents of ``kind`` whose due time is <= now, earliest first."""

    def claim_due(self, kind: str, now: float, limit: int | None, lease: float) -> list[Doc]:
        """Atomically take the due documents: each is returned once and is not due again until
        ``now + lease`` (unless re-put). Several processes sharing a store never take the same one."""

    def all(self, kind: str) -> list[Doc]:
        """Every document of ``kind``, newest insert first."""

    def count(self, kind: str) -> int: ...

    def next_counter(self, name: str) -> int:
        """A persistent counter: 1, 2, 3… across restarts."""

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def put_blob(self, data: bytes) -> str:
        """Content-addressed bytes (sha256 hex); identical videos are stored once."""

    def get_blob(self, key: str) -> bytes | None: ...

    def reset(self) -> None:
        """Forget every document, counter, meta value and blob."""

    def close(self) -> None: ...


def record_doc(record: Any) -> Doc:
    """A dataclass record as a document: a shallow field copy. ``dataclasses.asdict`` deep-copies
    recursively and was ~15 % of a create; the store serialises the document anyway."""
    fields = record.__dataclass_fields__
    own = getattr(record, "__dict__", None)
    if own is not None and len(own) == len(fields):  # exactly the fields: copy the dict at C speed
        return dict(own)
    return {name: getattr(record, name) for name in fields}


def dump_doc(doc: Doc) -> str:
    """A document as compact JSON text (orjson: a fifth of a create went to ``json.dumps`` here)."""
    return dumps(doc).decode()


def load_doc(text: str | bytes) -> Doc:
    return loads(text)  # type: ignore[no-any-return]
