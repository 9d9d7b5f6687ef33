"""The document store every emulator keeps its state in.

State is a set of JSON documents, each with a ``kind`` (``gateway.job``, ``vertex.operation``…), an
``id`` and an optional ``due`` time the worker queries on. One small interface serves the gateway
and every provider emulator, so adding a provider never touches the store, and the durable stores
(SQLite, PostgreSQL) give all of them restart safety at once.

Due work is taken with *leases* that fence late writers: ``claim`` returns each document with a
token (a number no earlier claim of that document had); ``renew`` and ``commit`` succeed only while
that token is the document's latest and its lease has not run out. A process that stalls past its
lease, or that another process superseded, finds its writes refused instead of finalizing a job or
recording a delivery a second time (gateway.md §4.1: ``nextPollAt`` is the claim).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..jsonutil import dumps, loads

Doc = dict[str, Any]


@dataclass(frozen=True)
class Claim:
    """A leased document: ``token`` fences every write made under this claim."""

    id: str
    doc: Doc
    token: int


class StoreError(Exception):
    """The store cannot be opened (a wrong DSN, a file that cannot be created): a start-up error."""


class StoreUnavailable(StoreError):
    """The database is unreachable right now (restarting, network down). Nothing was written by the
    failed call; the store reconnects by itself on a later call, so callers answer 503 and retry."""


class Store(Protocol):
    def get(self, kind: str, id: str) -> Doc | None: ...

    def put(self, kind: str, id: str, doc: Doc, *, due: float | None = None) -> None:
        """Insert or replace. ``due`` None removes the document from ``due()`` results."""

    def delete(self, kind: str, id: str) -> None: ...

    def due(self, kind: str, now: float, limit: int | None = None) -> list[Doc]:
        """Documents of ``kind`` whose due time is <= now, earliest first."""

    def claim_due(self, kind: str, now: float, limit: int | None, lease: float) -> list[Doc]:
        """``claim`` without the tokens (for callers that never write under the lease)."""

    def claim(self, kind: str, now: float, limit: int | None, lease: float) -> list[Claim]:
        """Atomically take the due documents, earliest first: each is returned once, with a fresh
        token, and is not due again until ``now + lease`` (unless re-put). Several processes sharing
        a store never take the same one while its lease runs."""

    def renew(self, kind: str, id: str, token: int, now: float, lease: float) -> bool:
        """Extend a lease still held (same token, not run out at ``now``) to ``now + lease``."""

    def commit(self, kind: str, id: str, token: int, now: float, doc: Doc, *, due: float | None) -> bool:
        """Write ``doc`` and ``due`` only if the lease ``token`` is still held at ``now``; False (and
        nothing written) if it ran out or a later claim superseded it. The lease itself is kept until
        it runs out, so the holder may commit again."""

    def release(self, kind: str, id: str, token: int, now: float) -> bool:
        """The holder is done: the document is no longer due (its data untouched, so a write made
        meanwhile by someone else stands). False if the lease was no longer held."""

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

    def mark(self) -> int:
        """The store's write position: every later ``put`` or ``commit`` is written after it."""

    def forget_before(self, mark: int, keep: tuple[str, ...] = ()) -> int:
        """Delete documents last written at or before ``mark`` that are not due (no pending work),
        except those whose kind is in ``keep``; return how many went. The retention sweep's tool."""

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
