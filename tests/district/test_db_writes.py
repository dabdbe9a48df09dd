"""``Database.write`` on SQLite: writes waiting for the single writer are committed together, each
one still atomic on its own, every caller answered with its own result once it is committed; one
writer across processes too (``serve --workers N``, the CLI)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from desk_district.db import Database, meta

NOW = datetime(2026, 11, 23, tzinfo=timezone.utc)


class Refused(Exception):
    pass


def _put(key: str, value: str, fail: str | None = None):
    def work(conn):
        conn.execute(meta.insert().values(key=key, value=value))
        if fail == "refuse":
            raise Refused(key)
        if fail == "duplicate":
            conn.execute(meta.insert().values(key=key, value="again"))  # IntegrityError
        return f"done {key}"
    return work


def test_writes_waiting_together_stay_atomic_one_by_one(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    db.create_schema()
    gate = threading.Event()

    def hold_the_writer(conn):  # everyone else queues meanwhile: they are committed as one group
        gate.wait(60)  # released by the test once all ten are queued (a slow machine takes its time)
        conn.execute(meta.insert().values(key="first", value="1"))
        return "first"

    def one(i: int):
        fail = {3: "refuse", 7: "duplicate"}.get(i)
        try:
            return db.write(_put(f"k{i}", str(i), fail))
        except Exception as exc:  # noqa: BLE001
            return exc

    with ThreadPoolExecutor(max_workers=12) as pool:
        first = pool.submit(db.write, hold_the_writer)
        deadline = time.monotonic() + 30  # a bound: this test must fail, never hang
        while not db._lock._thread_lock.locked():  # noqa: SLF001 - the writer is taken
            assert time.monotonic() < deadline, "the first write never took the writer"
            time.sleep(0.001)
        waiting = [pool.submit(one, i) for i in range(10)]
        while len(db._lock._queue) < 10:  # noqa: SLF001 - all ten queued behind the writer
            if time.monotonic() > deadline:
                gate.set()
                raise AssertionError(f"only {len(db._lock._queue)} of 10 writes queued behind the writer")
            time.sleep(0.001)
        gate.set()
        assert first.result() == "first"
        answers = [w.result() for w in waiting]
    assert isinstance(answers[3], Refused) and isinstance(answers[7], sa.exc.IntegrityError)
    assert [a for i, a in enumerate(answers) if i not in (3, 7)] == [f"done k{i}" for i in range(10) if i not in (3, 7)]
    with db.read() as conn:
        keys = set(conn.execute(sa.select(meta.c.key)).scalars())
    assert keys == {"schema_version", "first"} | {f"k{i}" for i in range(10) if i not in (3, 7)}
    db.dispose()


def test_a_write_alone_that_fails_leaves_nothing(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    db.create_schema()
    with pytest.raises(Refused):
        db.write(_put("lonely", "x", "refuse"))
    assert db.write(_put("next", "y")) == "done next"
    with db.read() as conn:
        assert set(conn.execute(sa.select(meta.c.key)).scalars()) == {"schema_version", "next"}
    db.dispose()


def _count_up(url: str, rounds: int) -> None:
    db = Database(url)

    def bump(conn):  # read then write: two writers at once would lose increments
        value = int(conn.execute(sa.select(meta.c.value).where(meta.c.key == "n")).scalar_one())
        conn.execute(meta.update().where(meta.c.key == "n").values(value=str(value + 1)))

    for _ in range(rounds):
        db.write(bump)
    db.dispose()


def test_processes_take_turns_as_the_writer(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    db = Database(url)
    db.create_schema()
    db.write(lambda conn: conn.execute(meta.insert().values(key="n", value="0")))
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_count_up, args=(url, 150)) for _ in range(3)]
    for w in workers:
        w.start()
    _count_up(url, 150)
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    with db.read() as conn:
        assert conn.execute(sa.select(meta.c.value).where(meta.c.key == "n")).scalar_one() == "600"
    assert (tmp_path / "d.sqlite3-lock").exists()
    db.dispose()
