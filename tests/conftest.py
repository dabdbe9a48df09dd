"""Shared fixtures: a real SQLite file per test and a clock the test controls."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from desk_app.counter import Counter  # noqa: E402
from desk_app.models.clock import VN_TZ  # noqa: E402


class FakeClock:
    """The one fake at the edge of the world: time."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, *args: int) -> datetime:
        self.at = datetime(*args, tzinfo=VN_TZ)
        return self.at

    def advance(self, **kwargs: float) -> datetime:
        self.at = self.at + timedelta(**kwargs)
        return self.at


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ))  # Monday 23/11/2026, 09:00


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "ward.sqlite3"


@pytest.fixture
def counter(db_path, clock):
    c = Counter.open(db_path, clock=clock, create=True)
    c.initialise(ward_code="42010", ward_name="Phường Đại Nài", counter_no=1,
                 admin_username="admin", admin_password="quantri123", admin_full_name="Nguyễn Thị Quản Trị")
    c.login("admin", "quantri123")
    c.add_clerk("lan", "Trần Thị Lan", "clerk", "canbo1234")
    c.login("lan", "canbo1234")
    yield c
    c.close()


APPLICANT = {
    "full_name": "nguyễn văn đức",
    "id_number": "042 090 012 345",
    "birth_date": "15/03/1990",
    "sex": "Nam",
    "phone": "0912 345 678",
    "address": "Số 12, đường Trần Phú, Tổ dân phố 3, Phường Đại Nài, tỉnh Hà Tĩnh",
}


@pytest.fixture
def applicant():
    return dict(APPLICANT)
