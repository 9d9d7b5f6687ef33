"""Deterministic ids: the same seed gives the same ids, and a restart never repeats one.

An id is a hash of (seed, namespace, n) where n comes from the store's persistent counter, so a
durable store resumes the sequence instead of reissuing ids after a restart.
"""

from __future__ import annotations

import hashlib

from .store import Store

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def token_chars(seed: int, namespace: str, n: int, length: int, alphabet: str = _ALPHABET) -> str:
    """``length`` characters of ``alphabet`` drawn from a keyed hash: one digest byte per character
    (a byte table, not big-integer division: ids are made on every create and poll)."""
    if not 0 < length <= 64:
        raise ValueError(f"id length must be 1..64, not {length}")
    digest = hashlib.blake2b(f"{seed}:{namespace}:{n}".encode(), digest_size=length).digest()
    return digest.translate(_table(alphabet)).decode("ascii")


_TABLES: dict[str, bytes] = {}


def _table(alphabet: str) -> bytes:
    table = _TABLES.get(alphabet)
    if table is None:
        chars = alphabet.encode("ascii")
        table = _TABLES[alphabet] = bytes(chars[i % len(chars)] for i in range(256))
    return table


class IdFactory:
    def __init__(self, store: Store, seed: int) -> None:
        self._store = store
        self.seed = seed

    def new(self, namespace: str, length: int = 21, alphabet: str = _ALPHABET) -> str:
        n = self._store.next_counter(f"id:{namespace}")
        return token_chars(self.seed, namespace, n, length, alphabet)

    def uuid(self, namespace: str) -> str:
        """A UUID-shaped id (Google operation ids, Seedance task ids…)."""
        h = self.new(namespace, 32, "0123456789abcdef")
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
