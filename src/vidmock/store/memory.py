"""The embedded default store: plain dicts, nothing to set up, gone at exit."""

from __future__ import annotations

import hashlib
import heapq

from .base import Doc, dump_doc, load_doc


class MemoryStore:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        # Documents are kept as JSON text: one dumps on put, one loads on get, and callers can never
        # mutate what is stored.
        self._docs: dict[str, dict[str, str]] = {}
        self._due: dict[str, dict[str, float]] = {}
        # A lazy heap per kind: entries go stale when a doc is re-put; checked against _due on pop.
        self._heaps: dict[str, list[tuple[float, str]]] = {}
        self._counters: dict[str, int] = {}
        self._meta: dict[str, str] = {}
        self._blobs: dict[str, bytes] = {}

    def get(self, kind: str, id: str) -> Doc | None:
        text = self._docs.get(kind, {}).get(id)
        return None if text is None else load_doc(text)

    def put(self, kind: str, id: str, doc: Doc, *, due: float | None = None) -> None:
        docs = self._docs.setdefault(kind, {})
        docs.pop(id, None)  # re-insert keeps "newest insert first" meaning "last written"
        docs[id] = dump_doc(doc)
        dues = self._due.setdefault(kind, {})
        if due is None:
            dues.pop(id, None)
        else:
            dues[id] = due
            heapq.heappush(self._heaps.setdefault(kind, []), (due, id))

    def delete(self, kind: str, id: str) -> None:
        self._docs.get(kind, {}).pop(id, None)
        self._due.get(kind, {}).pop(id, None)

    def due(self, kind: str, now: float, limit: int | None = None) -> list[Doc]:
        heap = self._heaps.get(kind, [])
        dues = self._due.get(kind, {})
        found: list[tuple[float, str]] = []
        seen: set[str] = set()
        while heap and heap[0][0] <= now and (limit is None or len(found) < limit):
            due, id = heapq.heappop(heap)
            if dues.get(id) == due and id not in seen:
                seen.add(id)
                found.append((due, id))
        for entry in found:  # still due until the caller re-puts them
            heapq.heappush(heap, entry)
        return [d for d in (self.get(kind, id) for _, id in found) if d is not None]

    def claim_due(self, kind: str, now: float, limit: int | None, lease: float) -> list[Doc]:
        heap = self._heaps.get(kind, [])
        dues = self._due.get(kind, {})
        taken: list[str] = []
        while heap and heap[0][0] <= now and (limit is None or len(taken) < limit):
            due, id = heapq.heappop(heap)
            if dues.get(id) == due:
                dues[id] = now + lease
                heapq.heappush(heap, (now + lease, id))
                taken.append(id)
        return [d for d in (self.get(kind, id) for id in taken) if d is not None]

    def all(self, kind: str) -> list[Doc]:
        return [load_doc(text) for text in reversed(list(self._docs.get(kind, {}).values()))]

    def count(self, kind: str) -> int:
        return len(self._docs.get(kind, {}))

    def next_counter(self, name: str) -> int:
        self._counters[name] = self._counters.get(name, 0) + 1
        return self._counters[name]

    def get_meta(self, key: str) -> str | None:
        return self._meta.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self._meta[key] = value

    def put_blob(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        self._blobs.setdefault(key, data)
        return key

    def get_blob(self, key: str) -> bytes | None:
        return self._blobs.get(key)

    def close(self) -> None:
        pass
