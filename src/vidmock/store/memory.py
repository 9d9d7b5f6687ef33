"""The embedded default store: plain dicts, nothing to set up, gone at exit."""

from __future__ import annotations

import hashlib
import heapq
import itertools

from .base import Claim, Doc, dump_doc, load_doc


class MemoryStore:
    def __init__(self) -> None:
        self._tokens = itertools.count(1)  # lease tokens stay unique across a reset
        self.reset()

    def reset(self) -> None:
        # Documents are kept as JSON text: one dumps on put, one loads on get, and callers can never
        # mutate what is stored.
        self._docs: dict[str, dict[str, str]] = {}
        self._seqs: dict[str, dict[str, int]] = {}  # write position of each document (retention)
        self._seq = 0
        self._due: dict[str, dict[str, float]] = {}
        # A lazy heap per kind, (due, write position, id): ties go in write order, as in SQL's
        # ORDER BY due, seq. Entries go stale when a doc is re-put; checked against _due on pop.
        self._heaps: dict[str, list[tuple[float, int, str]]] = {}
        self._leases: dict[str, dict[str, tuple[int, float]]] = {}  # token, lease end
        self._counters: dict[str, int] = {}
        self._meta: dict[str, str] = {}
        self._blobs: dict[str, bytes] = {}

    def get(self, kind: str, id: str) -> Doc | None:
        text = self._docs.get(kind, {}).get(id)
        return None if text is None else load_doc(text)

    def put(self, kind: str, id: str, doc: Doc, *, due: float | None = None) -> None:
        docs = self._docs.setdefault(kind, {})
        seqs = self._seqs.setdefault(kind, {})
        docs.pop(id, None)  # re-insert keeps "newest insert first" meaning "last written"
        seqs.pop(id, None)
        docs[id] = dump_doc(doc)
        self._seq += 1
        seqs[id] = self._seq
        self._set_due(kind, id, due)

    def _set_due(self, kind: str, id: str, due: float | None) -> None:
        dues = self._due.setdefault(kind, {})
        if due is None:
            dues.pop(id, None)
        else:
            dues[id] = due
            heapq.heappush(self._heaps.setdefault(kind, []), (due, self._seqs[kind][id], id))

    def delete(self, kind: str, id: str) -> None:
        self._docs.get(kind, {}).pop(id, None)
        self._seqs.get(kind, {}).pop(id, None)
        self._due.get(kind, {}).pop(id, None)
        self._leases.get(kind, {}).pop(id, None)

    def due(self, kind: str, now: float, limit: int | None = None) -> list[Doc]:
        heap = self._heaps.get(kind, [])
        dues = self._due.get(kind, {})
        found: list[tuple[float, int, str]] = []
        seen: set[str] = set()
        while heap and heap[0][0] <= now and (limit is None or len(found) < limit):
            entry = heapq.heappop(heap)
            due, _, id = entry
            if dues.get(id) == due and id not in seen:
                seen.add(id)
                found.append(entry)
        for entry in found:  # still due until the caller re-puts them
            heapq.heappush(heap, entry)
        return [d for d in (self.get(kind, id) for _, _, id in found) if d is not None]

    def claim_due(self, kind: str, now: float, limit: int | None, lease: float) -> list[Doc]:
        return [c.doc for c in self.claim(kind, now, limit, lease)]

    def claim(self, kind: str, now: float, limit: int | None, lease: float) -> list[Claim]:
        heap = self._heaps.get(kind, [])
        dues = self._due.get(kind, {})
        leases = self._leases.setdefault(kind, {})
        taken: list[Claim] = []
        while heap and heap[0][0] <= now and (limit is None or len(taken) < limit):
            due, seq, id = heapq.heappop(heap)
            if dues.get(id) == due:
                dues[id] = now + lease
                heapq.heappush(heap, (now + lease, seq, id))
                token = next(self._tokens)
                leases[id] = (token, now + lease)
                doc = self.get(kind, id)
                if doc is not None:
                    taken.append(Claim(id, doc, token))
        return taken

    def _holds(self, kind: str, id: str, token: int, now: float) -> bool:
        held = self._leases.get(kind, {}).get(id)
        return held is not None and held[0] == token and held[1] > now and id in self._docs.get(kind, {})

    def renew(self, kind: str, id: str, token: int, now: float, lease: float) -> bool:
        if not self._holds(kind, id, token, now):
            return False
        self._leases[kind][id] = (token, now + lease)
        self._set_due(kind, id, now + lease)
        return True

    def commit(self, kind: str, id: str, token: int, now: float, doc: Doc, *, due: float | None) -> bool:
        if not self._holds(kind, id, token, now):
            return False
        lease = self._leases[kind][id]
        self.put(kind, id, doc, due=due)
        self._leases[kind][id] = lease
        return True

    def release(self, kind: str, id: str, token: int, now: float) -> bool:
        if not self._holds(kind, id, token, now):
            return False
        self._set_due(kind, id, None)
        return True

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

    def mark(self) -> int:
        return self._seq

    def forget_before(self, mark: int, keep: tuple[str, ...] = ()) -> int:
        gone = 0
        for kind, seqs in self._seqs.items():
            if kind in keep:
                continue
            dues = self._due.get(kind, {})
            old = []
            for id, seq in seqs.items():  # in write order: stop at the first newer document
                if seq > mark:
                    break
                if id not in dues:
                    old.append(id)
            for id in old:
                self.delete(kind, id)
            gone += len(old)
        return gone

    def close(self) -> None:
        pass
