"""Both stores behave the same; the SQLite one is safe to share between processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from vidmock.store import MemoryStore, SqliteStore, Store


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "s.db")


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


def test_counters_meta_blobs_reset(store: Store) -> None:
    assert [store.next_counter("c") for _ in range(3)] == [1, 2, 3]
    store.set_meta("m", "v")
    key = store.put_blob(b"abc")
    assert store.get_blob(key) == b"abc" and store.get_meta("m") == "v"
    store.put("k", "a", {"x": 1})
    assert store.count("k") == 1 and store.all("k") == [{"x": 1}]
    store.reset()
    assert store.count("k") == 0 and store.next_counter("c") == 1 and store.get_blob(key) is None


def _claimer(path: str, out: multiprocessing.Queue[list[int]]) -> None:
    s = SqliteStore(path)
    got: list[int] = []
    for _ in range(50):
        got += [d["n"] for d in s.claim_due("k", 1000.0, 3, 10_000.0)]
    out.put(got)


def test_processes_never_claim_the_same_document(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    seed = SqliteStore(path)
    for i in range(200):
        seed.put("k", f"d{i}", {"n": i}, due=float(i))
    queue: multiprocessing.Queue[list[int]] = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_claimer, args=(path, queue)) for _ in range(3)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    claimed = [n for r in results for n in r]
    assert sorted(claimed) == list(range(200))  # every document once, none twice
