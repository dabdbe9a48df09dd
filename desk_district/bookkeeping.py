"""The access log and the devices' last sync times, committed in groups.

Every answer waits until its access-log row is committed (as before), but the rows of all the
requests finishing meanwhile share one transaction, written by one thread. The group is taken
once that thread holds the database's writer (SQLite), so every row that arrived while it waited
for a push to finish goes in too: under load a transaction (and on SQLite a turn of the single
writer and a disk flush) per request was the largest fixed cost of the server.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from . import service
from .db import Database

Synced = tuple[str, datetime]
Entry = tuple[Mapping[str, Any], "Synced | None", "asyncio.Future[None]"]


class Bookkeeper:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[Entry] = []
        self._guard = threading.Lock()
        self._scheduled = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="desk-district-log")

    async def record(self, row: Mapping[str, Any], synced: Synced | None = None) -> None:
        """Commit an access-log row (``service.access_row``) and, for a device that synced, its
        last sync time. Returns once committed; raises what the database raised."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        with self._guard:
            self._pending.append((row, synced, done))
            start = not self._scheduled
            self._scheduled = True
        if start:
            loop.run_in_executor(self._executor, self._drain, loop)
        await done

    def _take(self) -> list[Entry]:
        with self._guard:
            group, self._pending = self._pending, []
            return group

    def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the bookkeeping thread: write groups until nothing is pending."""
        try:
            self._drain_groups(loop)
        except BaseException as exc:  # never leave requests waiting for a thread that is gone
            with self._guard:
                group, self._pending, self._scheduled = self._pending, [], False
            loop.call_soon_threadsafe(_settle, group, [exc] * len(group))
            raise

    def _drain_groups(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            taken: list[list[Entry]] = []

            def work(conn: Connection) -> None:
                if not taken:  # once, even if the transaction is retried
                    taken.append(self._take())
                service.write_bookkeeping_in(conn, [row for row, _, _ in taken[0]], _latest(taken[0]))

            try:
                self.db.write(work)
                error: BaseException | None = None
            except Exception as exc:  # noqa: BLE001 - handed to the requests below
                error = exc
            if not taken:  # failed before the transaction began
                taken.append(self._take())
            group = taken[0]
            if error is None:
                errors: list[BaseException | None] = [None] * len(group)
            elif isinstance(error, OperationalError) or len(group) == 1:
                errors = [error] * len(group)  # database unreachable or busy: every entry fails alike
            else:  # a bad row must not lose the others: one by one
                errors = [self._write_one(entry) for entry in group]
            loop.call_soon_threadsafe(_settle, group, errors)
            with self._guard:
                if not self._pending:
                    self._scheduled = False
                    return

    def _write_one(self, entry: Entry) -> BaseException | None:
        try:
            service.write_bookkeeping(self.db, [entry[0]], _latest([entry]))
            return None
        except Exception as exc:  # noqa: BLE001 - handed to the request
            return exc

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def _settle(group: list[Entry], errors: list[BaseException | None]) -> None:
    for (_, _, done), error in zip(group, errors):
        if done.done():  # the request was cancelled meanwhile
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


def _latest(group: list[Entry]) -> dict[str, datetime]:
    synced: dict[str, datetime] = {}
    for _, device, _ in group:
        if device is not None:
            device_id, at = device
            synced[device_id] = max(at, synced.get(device_id, at))
    return synced
