"""State storage: an in-memory default and a durable SQLite store behind one interface."""

from .base import Doc, Store
from .memory import MemoryStore
from .sqlite import SqliteStore


def open_store(path: str | None) -> Store:
    return MemoryStore() if not path else SqliteStore(path)


__all__ = ["Doc", "Store", "MemoryStore", "SqliteStore", "open_store"]
