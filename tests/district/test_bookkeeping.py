"""Access-log rows and last sync times, committed in groups (desk_district.bookkeeping)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from desk_district import service
from desk_district.bookkeeping import Bookkeeper
from desk_district.db import Database, access_log, devices

from .conftest import START


def _row(route: str, status: int = 200) -> dict:
    return service.access_row(at=START, method="GET", route=route, status=status, principal=None,
                              client="127.0.0.1", duration_ms=1)


def test_every_request_is_logged_and_a_pull_records_the_sync_time(server, server_clock, make_desk, applicant):
    desk = make_desk()
    assert desk.enroll(server).status_code == 200
    desk.counter.dossiers.receive("1.001193", applicant)
    assert desk.push(server).status_code == 200
    server_clock.advance(minutes=7)
    with ThreadPoolExecutor(max_workers=20) as pool:  # many at once: they share commits
        replies = list(pool.map(lambda _: desk.pull(server), range(60)))
    assert {r.status_code for r in replies} == {200}
    with server.db.read() as conn:
        routes = conn.execute(sa.select(access_log.c.method, access_log.c.route, access_log.c.status)).all()
        synced = conn.execute(sa.select(devices.c.last_sync_at)).scalar_one()
    assert sorted(routes).count(("GET", "/api/v1/actions", 200)) == 60 and len(routes) == 62
    assert synced == server_clock() and synced - START == timedelta(minutes=12)


def test_a_bad_row_does_not_lose_the_others(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    db.create_schema()
    keeper = Bookkeeper(db)

    async def main() -> list:
        return await asyncio.gather(keeper.record(_row("/a")), keeper.record({**_row("/b"), "status": None}),
                                    keeper.record(_row("/c")), return_exceptions=True)

    try:
        outcome = asyncio.run(main())
    finally:
        keeper.close()
    assert outcome[0] is None and outcome[2] is None and isinstance(outcome[1], sa.exc.IntegrityError)
    with db.read() as conn:
        assert sorted(conn.execute(sa.select(access_log.c.route)).scalars()) == ["/a", "/c"]
    db.dispose()


def test_an_unreachable_database_fails_every_waiting_request_alike(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    db.create_schema()
    keeper = Bookkeeper(db)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE access_log")  # every write now fails the same way

    async def main() -> list:
        return await asyncio.gather(*(keeper.record(_row(f"/{i}")) for i in range(5)), return_exceptions=True)

    try:
        outcome = asyncio.run(main())
    finally:
        keeper.close()
    assert all(isinstance(e, sa.exc.OperationalError) for e in outcome)
    db.dispose()


@pytest.mark.parametrize("wrong", ["token", "query"])
def test_only_a_successful_pull_counts_as_a_sync(server, make_desk, wrong):
    desk = make_desk()
    assert desk.enroll(server).status_code == 200
    with server.client("not-a-token" if wrong == "token" else desk.token) as http:
        reply = http.get("/api/v1/actions", params={"after": 0 if wrong == "token" else -1})
    assert reply.status_code == (401 if wrong == "token" else 422)
    with server.db.read() as conn:
        assert conn.execute(sa.select(devices.c.last_sync_at)).scalar_one() is None
