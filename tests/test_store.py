"""The store contract: memory, SQLite and PostgreSQL behave the same, and the durable ones are safe
to share between processes (claims are disjoint; leases fence late writers)."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vidmock.store import MemoryStore, SqliteStore, Store, StoreError, open_store

KINDS = ["memory", "sqlite", "postgres"]


@pytest.fixture(params=KINDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return ""
    if request.param == "sqlite":
        return str(tmp_path / "s.db")
    return str(request.getfixturevalue("pg_dsn"))


@pytest.fixture
def store(location: str) -> Iterator[Store]:
    s = open_store(location)
    yield s
    s.close()


@pytest.fixture(params=KINDS[1:])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A location two store instances (or processes) can share."""
    if request.param == "sqlite":
        return str(tmp_path / "shared.db")
    return str(request.getfixturevalue("pg_dsn"))


def test_open_store_chooses_by_location(tmp_path: Path) -> None:
    assert isinstance(open_store(None), MemoryStore) and isinstance(open_store(""), MemoryStore)
    assert isinstance(open_store(str(tmp_path / "x.sqlite")), SqliteStore)


def test_due_and_claim(store: Store) -> None:
    for i, due in enumerate([5.0, 1.0, 3.0, None]):
        store.put("k", f"d{i}", {"n": i}, due=due)
    assert [d["n"] for d in store.due("k", 4.0)] == [1, 2]
    assert [d["n"] for d in store.claim_due("k", 4.0, None, 30.0)] == [1, 2]
    assert store.claim_due("k", 4.0, None, 30.0) == []  # claimed: not due again until 34
    # At 34: d0 (due 5) and the two leases that just ran out; earliest first, at most 2.
    assert [d["n"] for d in store.claim_due("k", 34.0, 2, 30.0)] == [0, 1]
    store.put("k", "d0", {"n": 0}, due=None)  # re-put without due: never due
    assert [d["n"] for d in store.due("k", 100.0)] == [2, 1]


def test_due_order_is_due_time_then_write_order(store: Store) -> None:
    for name, due in [("late", 9.0), ("b", 2.0), ("a", 2.0), ("early", 1.0)]:
        store.put("k", name, {"name": name}, due=due)
    assert [d["name"] for d in store.due("k", 10.0)] == ["early", "b", "a", "late"]
    assert [c.doc["name"] for c in store.claim("k", 10.0, 3, 5.0)] == ["early", "b", "a"]
    assert [c.id for c in store.claim("k", 10.0, None, 5.0)] == ["late"]
    assert store.due("k", 10.0, 0) == [] and store.claim("k", 14.9, None, 5.0) == []


def test_claim_tokens_fence_late_writers(store: Store) -> None:
    store.put("job", "j", {"v": 0}, due=0.0)
    [first] = store.claim("job", 10.0, None, 30.0)
    assert first.id == "j" and first.doc == {"v": 0}
    assert store.commit("job", "j", first.token, 20.0, {"v": 1}, due=25.0)  # held: written
    assert store.get("job", "j") == {"v": 1}
    assert store.commit("job", "j", first.token, 21.0, {"v": 2}, due=25.0)  # still held: the holder may commit again
    # The lease (until 40) runs out; a commit at 40 is refused even though nobody else claimed it.
    assert not store.commit("job", "j", first.token, 40.0, {"v": 99}, due=None)
    assert store.get("job", "j") == {"v": 2}
    [second] = store.claim("job", 40.0, None, 30.0)
    assert second.token != first.token
    # The first holder, late, is superseded: neither renew nor commit lands.
    assert not store.renew("job", "j", first.token, 41.0, 30.0)
    assert not store.commit("job", "j", first.token, 41.0, {"v": 99}, due=None)
    assert store.renew("job", "j", second.token, 65.0, 30.0)  # extended to 95
    assert store.claim("job", 94.0, None, 30.0) == []
    assert store.commit("job", "j", second.token, 90.0, {"v": 3}, due=None)
    assert store.get("job", "j") == {"v": 3} and store.due("job", 1e9) == []
    assert not store.commit("job", "missing", second.token, 90.0, {"v": 1}, due=None)
    store.put("job", "r", {"v": 0}, due=0.0)
    [third] = store.claim("job", 100.0, None, 30.0)
    store.put("job", "r", {"v": 1}, due=200.0)  # someone else's write meanwhile
    assert store.release("job", "r", third.token, 101.0)  # done: not due, data untouched
    assert store.get("job", "r") == {"v": 1} and store.due("job", 1e9) == []
    assert not store.release("job", "r", third.token, 131.0)  # run out
    assert not store.renew("job", "missing", second.token, 90.0, 1.0)


def test_a_plain_put_makes_a_document_due_again(store: Store) -> None:
    store.put("k", "a", {"v": 0}, due=1.0)
    [claim] = store.claim("k", 1.0, None, 100.0)
    store.put("k", "a", {"v": 1}, due=2.0)  # re-put: due at 2 despite the lease
    [again] = store.claim("k", 2.0, None, 100.0)
    assert again.doc == {"v": 1} and again.token != claim.token
    assert not store.commit("k", "a", claim.token, 3.0, {"v": 9}, due=None)


def test_counters_meta_blobs_reset(store: Store) -> None:
    assert [store.next_counter("c") for _ in range(3)] == [1, 2, 3]
    assert store.next_counter("other") == 1
    assert store.get_meta("m") is None
    store.set_meta("m", "v")
    store.set_meta("m", "w")
    data = bytes(range(256)) * 1000
    key = store.put_blob(data)
    assert key == store.put_blob(data)  # content-addressed: stored once
    assert store.get_blob(key) == data and store.get_meta("m") == "w" and store.get_blob("0" * 64) is None
    store.put("k", "a", {"x": 1})
    store.put("k", "b", {"x": 2}, due=5.0)
    assert store.count("k") == 2 and store.all("k") == [{"x": 2}, {"x": 1}]  # newest write first
    store.put("k", "a", {"x": 3})
    assert store.all("k") == [{"x": 3}, {"x": 2}]
    store.delete("k", "a")
    assert store.get("k", "a") is None and store.count("k") == 1
    [claim] = store.claim("k", 5.0, None, 10.0)
    store.reset()
    assert store.count("k") == 0 and store.next_counter("c") == 1 and store.get_blob(key) is None
    assert store.get_meta("m") is None and store.due("k", 1e9) == []
    store.put("k", "b", {"x": 4}, due=5.0)
    [fresh] = store.claim("k", 5.0, None, 10.0)
    assert fresh.token != claim.token  # a lease from before the reset never matches a new claim
    assert not store.commit("k", "b", claim.token, 6.0, {"x": 0}, due=None)


def test_documents_round_trip_exactly(store: Store) -> None:
    doc = {
        "s": "fox \u00e9\u4e2d \U0001f98a",
        "nul": "a\u0000b",  # jsonb cannot hold NUL: PostgreSQL keeps such a document as text
        "f": 1773600000.123,
        "big": 2**53 + 1,
        "neg": -0.5,
        "nested": {"l": [1, None, True, {"z": []}]},
    }
    store.put("k", "x", doc)
    assert store.get("k", "x") == doc and store.all("k") == [doc]
    store.put("k", "y", {"n": 1}, due=0.0)
    [claim] = store.claim("k", 0.0, None, 1.0)
    assert store.commit("k", "y", claim.token, 0.5, doc, due=None) and store.get("k", "y") == doc


def test_forget_before_spares_due_documents_and_kept_kinds(store: Store) -> None:
    store.put("old", "a", {"n": 1})
    store.put("old", "due", {"n": 2}, due=100.0)
    store.put("keep", "a", {"n": 3})
    mark = store.mark()
    store.put("old", "b", {"n": 4})
    assert store.mark() > mark
    assert store.forget_before(mark, keep=("keep",)) == 1
    assert store.get("old", "a") is None and store.get("old", "due") == {"n": 2}
    assert store.get("keep", "a") == {"n": 3} and store.get("old", "b") == {"n": 4}
    store.put("old", "b", {"n": 5})  # rewritten after a later mark: survives it
    assert store.forget_before(store.mark() - 1) == 1  # only keep/a was written before
    assert store.get("old", "b") == {"n": 5} and store.get("keep", "a") is None


def test_two_instances_share_claims_and_fencing(shared: str) -> None:
    a, b = open_store(shared), open_store(shared)
    try:
        for i in range(10):
            a.put("k", f"d{i}", {"n": i}, due=float(i))
        got_a = a.claim("k", 100.0, 4, 50.0)
        got_b = b.claim("k", 100.0, None, 50.0)
        assert [c.doc["n"] for c in got_a] == [0, 1, 2, 3] and [c.doc["n"] for c in got_b] == list(range(4, 10))
        # a's lease on d0 runs out; b takes it over, and a's late commit is refused.
        [taken] = b.claim("k", 150.0, 1, 50.0)
        assert taken.id == "d0"
        assert not a.commit("k", "d0", got_a[0].token, 150.0, {"n": -1}, due=None)
        assert b.commit("k", "d0", taken.token, 150.0, {"n": 100}, due=None)
        assert a.get("k", "d0") == {"n": 100}
        assert [a.next_counter("c"), b.next_counter("c"), a.next_counter("c")] == [1, 2, 3]
        key = a.put_blob(b"video")
        assert b.get_blob(key) == b"video"
        a.set_meta("m", "1")
        assert b.get_meta("m") == "1"
    finally:
        a.close()
        b.close()


def _claimer(location: str, out: multiprocessing.Queue[list[int]]) -> None:
    s = open_store(location)
    got: list[int] = []
    for _ in range(50):
        got += [d["n"] for d in s.claim_due("k", 1000.0, 3, 10_000.0)]
    out.put(got)
    s.close()


def test_processes_never_claim_the_same_document(shared: str) -> None:
    seed = open_store(shared)
    for i in range(200):
        seed.put("k", f"d{i}", {"n": i}, due=float(i))
    seed.close()
    ctx = multiprocessing.get_context("spawn")  # no inherited connection or file handle
    queue: multiprocessing.Queue[list[int]] = ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=(shared, queue)) for _ in range(3)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    claimed = [n for r in results for n in r]
    assert sorted(claimed) == list(range(200))  # every document once, none twice


def test_an_old_sqlite_file_is_upgraded_in_place(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE docs (kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, due REAL, "
        "data TEXT NOT NULL, PRIMARY KEY (kind, id));"
        "INSERT INTO docs VALUES ('k', 'a', 7, 1.0, '{\"n\": 1}');"
    )
    db.commit()
    db.close()
    store = SqliteStore(path)
    [claim] = store.claim("k", 1.0, None, 5.0)
    assert claim.doc == {"n": 1} and store.commit("k", "a", claim.token, 2.0, {"n": 2}, due=None)
    store.put("k", "b", {"n": 3})
    assert store.all("k") == [{"n": 3}, {"n": 2}]


def test_unreachable_or_wrong_locations_are_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot connect to postgresql://u@127\.0\.0\.1:1/db: "):
        open_store("postgresql://u:secret@127.0.0.1:1/db")
    with pytest.raises(StoreError, match="cannot open the SQLite store"):
        open_store(str(tmp_path / "no" / "such" / "dir" / "x.sqlite"))


@pytest.mark.parametrize("dsn", ["postgresql://u:hunter2@127.0.0.1:1/db", "postgres://127.0.0.1:1/db"])
def test_serve_with_an_unreachable_database_exits_2_with_one_line(dsn: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vidmock", "serve", "--store", dsn, "--port", "1"], capture_output=True, timeout=60
    )
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert err.startswith("vidmock: cannot connect to postgresql://") and err.count("\n") == 1, err
    assert "hunter2" not in err and "Traceback" not in err


def test_postgres_store_survives_a_server_restart(pg_cluster: Any, pg_dsn: str) -> None:
    """Down: a quick StoreUnavailable, nothing hangs; back up: the same store object reconnects by
    itself and every acknowledged write is there."""
    from vidmock.store import StoreUnavailable

    store = open_store(pg_dsn)
    try:
        store.put("k", "a", {"n": 1}, due=1.0)
        assert store.next_counter("c") == 1
        pg_cluster.stop()
        with pytest.raises(StoreUnavailable, match=r"^the database postgresql://postgres@127\.0\.0\.1:\d+/t\d+ is"):
            store.get("k", "a")
        with pytest.raises(StoreUnavailable):  # within the backoff: refused at once
            store.put("k", "b", {"n": 2})
        pg_cluster.start()
        for _ in range(100):  # the backoff (at most a few wall seconds) lets a reconnect through
            try:
                assert store.get("k", "a") == {"n": 1}
                break
            except StoreUnavailable:
                time.sleep(0.1)
        assert store.next_counter("c") == 2 and store.get("k", "b") is None
        assert [c.doc for c in store.claim("k", 1.0, None, 5.0)] == [{"n": 1}]
    finally:
        store.close()
