"""The durable store: one SQLite file that survives a restart, even a SIGKILL.

Every ``put`` is its own committed transaction in WAL mode, so a killed process loses nothing that
was acknowledged: WAL frames are in the OS page cache the moment ``commit`` returns.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from .base import Doc, dump_doc, load_doc

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, due REAL, data TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE INDEX IF NOT EXISTS docs_due ON docs (kind, due) WHERE due IS NOT NULL;
CREATE INDEX IF NOT EXISTS docs_seq ON docs (kind, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, data BLOB NOT NULL);
"""


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        # isolation_level=None: we commit explicitly, one transaction per write.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=30000")  # several server processes may share the file
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM docs").fetchone()
        self._seq = int(row[0])

    def get(self, kind: str, id: str) -> Doc | None:
        row = self._db.execute("SELECT data FROM docs WHERE kind=? AND id=?", (kind, id)).fetchone()
        return None if row is None else load_doc(row[0])

    def put(self, kind: str, id: str, doc: Doc, *, due: float | None = None) -> None:
        self._seq += 1
        self._db.execute(
            "INSERT INTO docs (kind, id, seq, due, data) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, id) DO UPDATE SET seq=excluded.seq, due=excluded.due, data=excluded.data",
            (kind, id, self._seq, due, dump_doc(doc)),
        )

    def delete(self, kind: str, id: str) -> None:
        self._db.execute("DELETE FROM docs WHERE kind=? AND id=?", (kind, id))

    def due(self, kind: str, now: float, limit: int | None = None) -> list[Doc]:
        rows = self._db.execute(
            "SELECT data FROM docs WHERE kind=? AND due IS NOT NULL AND due <= ? ORDER BY due, seq LIMIT ?",
            (kind, now, -1 if limit is None else limit),
        ).fetchall()
        return [load_doc(r[0]) for r in rows]

    def claim_due(self, kind: str, now: float, limit: int | None, lease: float) -> list[Doc]:
        # One UPDATE … RETURNING is atomic under SQLite's write lock: concurrent processes each get
        # a disjoint set.
        rows = self._db.execute(
            "UPDATE docs SET due = ? WHERE kind = ? AND id IN (SELECT id FROM docs WHERE kind = ? AND due IS NOT NULL "
            "AND due <= ? ORDER BY due, seq LIMIT ?) RETURNING data",
            (now + lease, kind, kind, now, -1 if limit is None else limit),
        ).fetchall()
        return [load_doc(r[0]) for r in rows]

    def all(self, kind: str) -> list[Doc]:
        rows = self._db.execute("SELECT data FROM docs WHERE kind=? ORDER BY seq DESC", (kind,)).fetchall()
        return [load_doc(r[0]) for r in rows]

    def count(self, kind: str) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM docs WHERE kind=?", (kind,)).fetchone()[0])

    def next_counter(self, name: str) -> int:
        row = self._db.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            (name,),
        ).fetchone()
        return int(row[0])

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def put_blob(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        self._db.execute("INSERT OR IGNORE INTO blobs (key, data) VALUES (?, ?)", (key, data))
        return key

    def get_blob(self, key: str) -> bytes | None:
        row = self._db.execute("SELECT data FROM blobs WHERE key=?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def reset(self) -> None:
        with self._db:
            for table in ("docs", "counters", "meta", "blobs"):
                self._db.execute(f"DELETE FROM {table}")
        self._seq = 0

    def close(self) -> None:
        self._db.close()
