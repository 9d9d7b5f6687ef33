"""State storage: an in-memory default, a durable SQLite file and a PostgreSQL server behind one
interface."""

from .base import Claim, Doc, Store, StoreError, StoreUnavailable
from .memory import MemoryStore
from .sqlite import SqliteStore

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(location: str | None) -> bool:
    return bool(location) and str(location).startswith(POSTGRES_SCHEMES)


def open_store(location: str | None) -> Store:
    """Memory when ``location`` is empty, PostgreSQL for a ``postgresql://`` or ``postgres://`` DSN,
    otherwise a SQLite file. Raises ``StoreError`` with a one-line reason when it cannot open."""
    if not location:
        return MemoryStore()
    if is_postgres(location):
        from .postgres import PostgresStore  # psycopg is only loaded when a database is asked for

        return PostgresStore(location)
    return SqliteStore(location)


__all__ = [
    "Claim",
    "Doc",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "MemoryStore",
    "SqliteStore",
    "is_postgres",
    "open_store",
]
