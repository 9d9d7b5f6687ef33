"""Deterministic ids: the same seed gives the same ids, and a restart never repeats one.

An id is a hash of (seed, namespace, n) where n comes from the store's persistent counter, so a
durable store resumes the sequence instead of reissuing ids after a restart.
"""

from __future__ import annotations

import hashlib

from .store import Store

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def token_chars(seed: int, namespace: str, n: int, length: int, alphabet: str = _ALPHABET) -> str:
    digest = hashlib.blake2b(f"{seed}:{namespace}:{n}".encode(), digest_size=32).digest()
    value = int.from_bytes(digest, "big")
    out = []
    for _ in range(length):
        value, rem = divmod(value, len(alphabet))
        out.append(alphabet[rem])
    return "".join(out)


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
