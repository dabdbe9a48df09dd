"""The access log and the devices' last sync times, committed in groups.

Every answer waits until its access-log row is committed (as before), but the rows of all the
requests finishing meanwhile share one transaction, written by one thread: under load a
transaction (and on SQLite a turn of the single writer and a disk flush) per request was the
server's largest fixed cost.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy.exc import OperationalError

from . import service
from .db import Database

Entry = tuple[Mapping[str, Any], "tuple[str, datetime] | None", "asyncio.Future[None]"]


class Bookkeeper:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[Entry] = []
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="desk-district-log")

    async def record(self, row: Mapping[str, Any], synced: tuple[str, datetime] | None = None) -> None:
        """Commit an access-log row (``service.access_row``) and, for a device that synced, its
        last sync time. Returns once committed; raises what the database raised."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._pending.append((row, synced, done))
        if self._task is None:
            self._task = loop.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                group, self._pending = self._pending, []
                try:
                    errors = await loop.run_in_executor(self._executor, self._write, group)
                except Exception as exc:  # noqa: BLE001 - handed to every waiting request
                    errors = [exc] * len(group)
                for (_, _, done), error in zip(group, errors):
                    if done.done():
                        continue
                    if error is None:
                        done.set_result(None)
                    else:
                        done.set_exception(error)
        finally:
            self._task = None

    def _write(self, group: list[Entry]) -> list[Exception | None]:
        try:
            service.write_bookkeeping(self.db, [row for row, _, _ in group], _latest(group))
            return [None] * len(group)
        except OperationalError:
            raise  # database unreachable or busy: every entry fails alike
        except Exception:  # noqa: BLE001 - a bad row must not lose the others: one by one
            if len(group) == 1:
                raise
        errors: list[Exception | None] = []
        for entry in group:
            try:
                service.write_bookkeeping(self.db, [entry[0]], _latest([entry]))
                errors.append(None)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
        return errors

    def close(self) -> None:
        self._executor.shutdown(wait=True)


def _latest(group: list[Entry]) -> dict[str, datetime]:
    synced: dict[str, datetime] = {}
    for _, device, _ in group:
        if device is not None:
            device_id, at = device
            synced[device_id] = max(at, synced.get(device_id, at))
    return synced
