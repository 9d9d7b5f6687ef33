"""The server-database store: PostgreSQL through psycopg 3, for several machines over one database.

``vidmock serve --store postgresql://user@host/db``. Every vidmock process pointed at one database
forms one job space, on one machine or many, with the same exactly-once guarantees as the SQLite
file: due work is claimed with ``FOR UPDATE SKIP LOCKED`` (what the real gateway's worker does,
gateway.md §4.1), and every write made under a claim is fenced by its lease token.

Layout (tables prefixed ``vidmock_`` so the database can be shared with other applications):

* ``vidmock_docs``: documents in ``jsonb`` (``raw`` text instead for the rare document jsonb cannot
  hold: a NUL character or a lone surrogate, which a client may put in a prompt), with ``due``,
  the write position ``seq`` (sequence ``vidmock_seq``) and the lease (``lease`` token from sequence
  ``vidmock_lease``, ``lease_until``).
* ``vidmock_counters``: named counters as an atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING``.
  Not one sequence per name: the names are open-ended (``fault:<scenario>:<op>``, ``id:<namespace>``),
  so sequences would mean DDL on the request path, and ``reset`` must roll them back to 1 in one
  transaction, which ``TRUNCATE`` of a table does and sequences (non-transactional) do not.
* ``vidmock_meta`` and ``vidmock_blobs``: blobs are ``bytea`` keyed by their sha256, so every machine
  reads the same videos without a shared directory, and ``reset`` clears them with everything else.

Faults: an unreachable server at start is a ``StoreError`` (the CLI prints one line and exits 2). A
connection lost mid-run raises ``StoreUnavailable`` (the server answers 503) after one immediate
reconnect attempt; later calls reconnect with backoff, so the servers recover without a restart.
Every write is committed before the call returns, so a database restart loses nothing acknowledged.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict

from .base import Claim, Doc, StoreError, StoreUnavailable, dump_doc, load_doc

T = TypeVar("T")

_SCHEMA = (
    "CREATE SEQUENCE IF NOT EXISTS vidmock_seq",
    "CREATE SEQUENCE IF NOT EXISTS vidmock_lease",
    "CREATE TABLE IF NOT EXISTS vidmock_docs (kind text NOT NULL, id text NOT NULL, seq bigint NOT NULL, "
    "due double precision, lease bigint NOT NULL DEFAULT 0, lease_until double precision, data jsonb, raw text, "
    "PRIMARY KEY (kind, id))",
    "CREATE INDEX IF NOT EXISTS vidmock_docs_due ON vidmock_docs (kind, due, seq) WHERE due IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS vidmock_docs_seq ON vidmock_docs (kind, seq)",
    "CREATE TABLE IF NOT EXISTS vidmock_counters (name text PRIMARY KEY, value bigint NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vidmock_meta (key text PRIMARY KEY, value text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vidmock_blobs (key text PRIMARY KEY, data bytea NOT NULL)",
)
_SCHEMA_LOCK = 0x76_69_64_6D  # "vidm": several processes starting at once create the schema once
_TEXT = "COALESCE(raw, data::text)"
_CLAIM = f"""
WITH picked AS (
    SELECT kind, id, due AS was FROM vidmock_docs
    WHERE kind = %(kind)s AND due IS NOT NULL AND due <= %(now)s
    ORDER BY due, seq LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
UPDATE vidmock_docs d SET due = %(until)s, lease = nextval('vidmock_lease'), lease_until = %(until)s
FROM picked p WHERE d.kind = p.kind AND d.id = p.id
RETURNING d.id, {_TEXT.replace("raw", "d.raw").replace("data", "d.data")}, d.lease, p.was, d.seq
"""
CONNECT_TIMEOUT = 3  # seconds; libpq's minimum is 2
MAX_BACKOFF = 5.0  # wall seconds between reconnect attempts while the server is down


def describe(dsn: str) -> str:
    """The DSN without its password, for messages."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "postgresql://(unparseable DSN)"
    host = parts.get("host") or "localhost"
    port = f":{parts['port']}" if parts.get("port") else ""
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


def _jsonb_safe(text: str) -> bool:
    # jsonb refuses \u0000 and unpaired surrogate escapes that JSON text allows.
    return "\\u0000" not in text and "\\ud" not in text and "\\uD" not in text


class PostgresStore:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.name = describe(dsn)
        self._conn: psycopg.Connection[Any] | None = None
        # Reconnect backoff is about the database server, not emulated time: wall seconds.
        self._retry_at = 0.0
        self._backoff = 0.0
        try:
            conn = self._connect()
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {self.name}: {_first_line(exc)}") from exc
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                for statement in _SCHEMA:
                    conn.execute(statement)
        except psycopg.Error as exc:
            raise StoreError(f"cannot create vidmock's tables in {self.name}: {_first_line(exc)}") from exc

    # -- connection ----------------------------------------------------------------------------------
    def _connect(self) -> psycopg.Connection[Any]:
        self._conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
        self._backoff = 0.0
        return self._conn

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if time.monotonic() < self._retry_at:
            raise StoreUnavailable(f"the database {self.name} is unavailable; retrying")
        try:
            return self._connect()
        except psycopg.Error as exc:
            self._backoff = min(MAX_BACKOFF, max(0.1, self._backoff * 2))
            self._retry_at = time.monotonic() + self._backoff
            raise StoreUnavailable(f"the database {self.name} is unavailable: {_first_line(exc)}") from exc

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
        self._conn = None

    def _run(self, op: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run ``op``; on a lost connection reconnect once and retry it (every operation is safe to
        repeat: a repeated claim only leases rows that come back when the lease runs out)."""
        for attempt in (1, 2):
            conn = self._connection()
            try:
                return op(conn)
            except psycopg.OperationalError as exc:
                self._drop()
                if attempt == 2:
                    raise StoreUnavailable(f"the database {self.name} is unavailable: {_first_line(exc)}") from exc
            except psycopg.InterfaceError as exc:  # the connection was closed under us
                self._drop()
                if attempt == 2:
                    raise StoreUnavailable(f"the database {self.name} is unavailable: {_first_line(exc)}") from exc
        raise AssertionError("unreachable")

    def _one(self, sql: str, params: Any = None) -> tuple[Any, ...] | None:
        return self._run(lambda c: c.execute(sql, params).fetchone())

    def _rows(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        return self._run(lambda c: c.execute(sql, params).fetchall())

    def _count(self, sql: str, params: Any = None) -> int:
        return self._run(lambda c: c.execute(sql, params).rowcount)

    # -- documents -----------------------------------------------------------------------------------
    def get(self, kind: str, id: str) -> Doc | None:
        row = self._one(f"SELECT {_TEXT} FROM vidmock_docs WHERE kind = %s AND id = %s", (kind, id))
        return None if row is None else load_doc(row[0])

    def put(self, kind: str, id: str, doc: Doc, *, due: float | None = None) -> None:
        text = dump_doc(doc)
        data, raw = (text, None) if _jsonb_safe(text) else (None, text)
        self._count(
            "INSERT INTO vidmock_docs (kind, id, seq, due, data, raw) "
            "VALUES (%s, %s, nextval('vidmock_seq'), %s, %s::jsonb, %s) ON CONFLICT (kind, id) DO UPDATE "
            "SET seq = EXCLUDED.seq, due = EXCLUDED.due, data = EXCLUDED.data, raw = EXCLUDED.raw",
            (kind, id, due, data, raw),
        )

    def delete(self, kind: str, id: str) -> None:
        self._count("DELETE FROM vidmock_docs WHERE kind = %s AND id = %s", (kind, id))

    def due(self, kind: str, now: float, limit: int | None = None) -> list[Doc]:
        rows = self._rows(
            f"SELECT {_TEXT} FROM vidmock_docs WHERE kind = %s AND due IS NOT NULL AND due <= %s "
            "ORDER BY due, seq LIMIT %s",
            (kind, now, limit),
        )
        return [load_doc(r[0]) for r in rows]

    def claim_due(self, kind: str, now: float, limit: int | None, lease: float) -> list[Doc]:
        return [c.doc for c in self.claim(kind, now, limit, lease)]

    def claim(self, kind: str, now: float, limit: int | None, lease: float) -> list[Claim]:
        rows = self._rows(_CLAIM, {"kind": kind, "now": now, "limit": limit, "until": now + lease})
        rows.sort(key=lambda r: (r[3], r[4]))  # earliest due first, as they were before the claim
        return [Claim(r[0], load_doc(r[1]), int(r[2])) for r in rows]

    def renew(self, kind: str, id: str, token: int, now: float, lease: float) -> bool:
        until = now + lease
        return (
            self._count(
                "UPDATE vidmock_docs SET due = %s, lease_until = %s "
                "WHERE kind = %s AND id = %s AND lease = %s AND lease_until > %s",
                (until, until, kind, id, token, now),
            )
            == 1
        )

    def commit(self, kind: str, id: str, token: int, now: float, doc: Doc, *, due: float | None) -> bool:
        text = dump_doc(doc)
        data, raw = (text, None) if _jsonb_safe(text) else (None, text)
        return (
            self._count(
                "UPDATE vidmock_docs SET seq = nextval('vidmock_seq'), due = %s, data = %s::jsonb, raw = %s "
                "WHERE kind = %s AND id = %s AND lease = %s AND lease_until > %s",
                (due, data, raw, kind, id, token, now),
            )
            == 1
        )

    def release(self, kind: str, id: str, token: int, now: float) -> bool:
        return (
            self._count(
                "UPDATE vidmock_docs SET due = NULL WHERE kind = %s AND id = %s AND lease = %s AND lease_until > %s",
                (kind, id, token, now),
            )
            == 1
        )

    def all(self, kind: str) -> list[Doc]:
        rows = self._rows(f"SELECT {_TEXT} FROM vidmock_docs WHERE kind = %s ORDER BY seq DESC", (kind,))
        return [load_doc(r[0]) for r in rows]

    def count(self, kind: str) -> int:
        row = self._one("SELECT COUNT(*) FROM vidmock_docs WHERE kind = %s", (kind,))
        return 0 if row is None else int(row[0])

    # -- counters, meta, blobs -----------------------------------------------------------------------
    def next_counter(self, name: str) -> int:
        row = self._one(
            "INSERT INTO vidmock_counters (name, value) VALUES (%s, 1) "
            "ON CONFLICT (name) DO UPDATE SET value = vidmock_counters.value + 1 RETURNING value",
            (name,),
        )
        assert row is not None
        return int(row[0])

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM vidmock_meta WHERE key = %s", (key,))
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._count(
            "INSERT INTO vidmock_meta (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (key, value),
        )

    def put_blob(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        if self._one("SELECT 1 FROM vidmock_blobs WHERE key = %s", (key,)) is None:  # don't resend a video
            self._count("INSERT INTO vidmock_blobs (key, data) VALUES (%s, %s) ON CONFLICT DO NOTHING", (key, data))
        return key

    def get_blob(self, key: str) -> bytes | None:
        row = self._one("SELECT data FROM vidmock_blobs WHERE key = %s", (key,))
        return None if row is None else bytes(row[0])

    # -- retention and reset -------------------------------------------------------------------------
    def mark(self) -> int:
        row = self._one("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM vidmock_seq")
        return 0 if row is None else int(row[0])

    def forget_before(self, mark: int, keep: tuple[str, ...] = ()) -> int:
        return self._count(
            "DELETE FROM vidmock_docs WHERE seq <= %s AND due IS NULL AND kind <> ALL(%s)", (mark, list(keep))
        )

    def reset(self) -> None:
        # The sequences keep counting: a lease taken before a reset never matches a later claim.
        def op(conn: psycopg.Connection[Any]) -> None:
            conn.execute("TRUNCATE vidmock_docs, vidmock_counters, vidmock_meta, vidmock_blobs")

        self._run(op)

    def close(self) -> None:
        self._drop()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
