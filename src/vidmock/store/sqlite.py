"""The durable store: one SQLite file that survives a restart, even a SIGKILL.

Every write is its own committed transaction in WAL mode, so a killed process loses nothing that
was acknowledged: WAL frames are in the OS page cache the moment ``commit`` returns. Several server
processes on one machine share the file (``vidmock serve --workers N``).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from .base import Claim, Doc, StoreError, dump_doc, load_doc

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, due REAL, data TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE INDEX IF NOT EXISTS docs_due ON docs (kind, due) WHERE due IS NOT NULL;
CREATE INDEX IF NOT EXISTS docs_seq ON docs (kind, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO sequences (name, value) VALUES ('seq', (SELECT COALESCE(MAX(seq), 0) FROM docs));
INSERT OR IGNORE INTO sequences (name, value) VALUES ('lease', 0);
"""
# Columns added after the first release: a file written by an older vidmock is upgraded in place.
_LEASE_COLUMNS = (("lease", "INTEGER NOT NULL DEFAULT 0"), ("lease_until", "REAL"))
_NEXT = "UPDATE sequences SET value = value + 1 WHERE name = ? RETURNING value"


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            # isolation_level=None: we commit explicitly, one transaction per write.
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=30000")  # several server processes may share the file
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._write():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                have = {row[1] for row in self._db.execute("PRAGMA table_info(docs)")}
                for name, decl in _LEASE_COLUMNS:
                    if name not in have:
                        self._db.execute(f"ALTER TABLE docs ADD COLUMN {name} {decl}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store {self.path}: {exc}") from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction; BEGIN IMMEDIATE takes the write lock up front, so two processes
        never deadlock upgrading a read lock."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _next(self, name: str) -> int:
        return int(self._db.execute(_NEXT, (name,)).fetchone()[0])

    def get(self, kind: str, id: str) -> Doc | None:
        row = self._db.execute("SELECT data FROM docs WHERE kind=? AND id=?", (kind, id)).fetchone()
        return None if row is None else load_doc(row[0])

    def put(self, kind: str, id: str, doc: Doc, *, due: float | None = None) -> None:
        data = dump_doc(doc)
        with self._write():
            self._upsert(kind, id, data, due)

    def _upsert(self, kind: str, id: str, data: str, due: float | None) -> None:
        # seq is the global write position (shared by every process): "newest first" and retention.
        self._db.execute(
            "INSERT INTO docs (kind, id, seq, due, data) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, id) DO UPDATE SET seq=excluded.seq, due=excluded.due, data=excluded.data",
            (kind, id, self._next("seq"), due, data),
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
        return [c.doc for c in self.claim(kind, now, limit, lease)]

    def claim(self, kind: str, now: float, limit: int | None, lease: float) -> list[Claim]:
        # Select and lease under one write lock (BEGIN IMMEDIATE): concurrent processes each get a
        # disjoint set. The token is one number per claim, unique among the store's claims.
        with self._write():
            rows = self._db.execute(
                "SELECT id, data FROM docs WHERE kind = ? AND due IS NOT NULL AND due <= ? ORDER BY due, seq LIMIT ?",
                (kind, now, -1 if limit is None else limit),
            ).fetchall()
            if not rows:
                return []
            token = self._next("lease")
            self._db.executemany(
                "UPDATE docs SET due = ?, lease = ?, lease_until = ? WHERE kind = ? AND id = ?",
                [(now + lease, token, now + lease, kind, r[0]) for r in rows],
            )
        return [Claim(r[0], load_doc(r[1]), token) for r in rows]

    def renew(self, kind: str, id: str, token: int, now: float, lease: float) -> bool:
        cur = self._db.execute(
            "UPDATE docs SET due = ?1, lease_until = ?1 WHERE kind = ?2 AND id = ?3 AND lease = ?4 AND lease_until > ?5",
            (now + lease, kind, id, token, now),
        )
        return cur.rowcount == 1

    def commit(self, kind: str, id: str, token: int, now: float, doc: Doc, *, due: float | None) -> bool:
        data = dump_doc(doc)
        with self._write():
            cur = self._db.execute(
                "UPDATE docs SET seq = ?, due = ?, data = ? WHERE kind = ? AND id = ? AND lease = ? AND lease_until > ?",
                (self._next("seq"), due, data, kind, id, token, now),
            )
            return cur.rowcount == 1

    def release(self, kind: str, id: str, token: int, now: float) -> bool:
        cur = self._db.execute(
            "UPDATE docs SET due = NULL WHERE kind = ? AND id = ? AND lease = ? AND lease_until > ?",
            (kind, id, token, now),
        )
        return cur.rowcount == 1

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

    def mark(self) -> int:
        return int(self._db.execute("SELECT value FROM sequences WHERE name = 'seq'").fetchone()[0])

    def forget_before(self, mark: int, keep: tuple[str, ...] = ()) -> int:
        marks = ",".join("?" * len(keep))
        spare = f" AND kind NOT IN ({marks})" if keep else ""
        cur = self._db.execute(f"DELETE FROM docs WHERE seq <= ? AND due IS NULL{spare}", (mark, *keep))
        return int(cur.rowcount)

    def reset(self) -> None:
        # The write position and lease tokens keep counting: a lease taken before a reset never
        # matches a claim made after it.
        with self._write():
            for table in ("docs", "counters", "meta", "blobs"):
                self._db.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        self._db.close()
