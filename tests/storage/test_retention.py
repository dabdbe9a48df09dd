"""Retention purges on a real database file: listed for the leader, removed only on confirmation,
the hash chain and the projections still whole, the text gone from the file's bytes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from desk_app.models.catalogue import Retention
from desk_app.models.clock import VN_TZ
from desk_app.models.errors import DomainError, ValidationError
from desk_app.models.retention import effective_retention, parse_override, purge_due
from desk_app.storage.driver import IntegrityError

SIGNATURE = "2.000884"  # signature certification: copies kept 2 years
TRANSACTION = "2.001035"  # certified transaction: 20 years
COPY = "2.000815"  # certified copy: register, permanent

PURGED = {"full_name": "Phạm Thị Hồng Nhung", "id_number": "042190055501", "birth_date": "02/09/1990",
          "sex": "Nữ", "phone": "0987 654 321", "address": "Số 7, đường Hà Huy Tập, Phường Đại Nài"}
OTHER = {"full_name": "Võ Minh Khôi", "id_number": "042090077702", "birth_date": "10/10/1990",
         "sex": "Nam", "phone": "0905 111 222", "address": "Số 9, đường Nguyễn Du, Phường Đại Nài"}


# -- the pure rule ---------------------------------------------------------------------------------
def test_purge_due_counts_years_from_the_closing_date():
    closed = datetime(2026, 11, 23, 10, 0, tzinfo=VN_TZ)
    two = Retention(years=2)
    assert not purge_due(closed, two, closed + timedelta(days=729))
    assert purge_due(closed, two, datetime(2028, 11, 23, 10, 0, tzinfo=VN_TZ))
    assert not purge_due(closed, Retention(permanent=True), closed + timedelta(days=36500))
    assert not purge_due(None, two, closed + timedelta(days=3650))  # still open
    leap = datetime(2028, 2, 29, 9, 0, tzinfo=VN_TZ)
    assert purge_due(leap, Retention(years=1), datetime(2029, 2, 28, 9, 0, tzinfo=VN_TZ))


def test_a_ward_overrides_a_retention_with_a_setting():
    catalogue = Retention(years=2)
    assert effective_retention(SIGNATURE, catalogue, {}) == catalogue
    assert effective_retention(SIGNATURE, catalogue, {f"retention.{SIGNATURE}": "5"}).years == 5
    assert effective_retention(SIGNATURE, catalogue, {f"retention.{SIGNATURE}": "Vĩnh viễn"}).permanent
    assert effective_retention(SIGNATURE, catalogue, {f"retention.{SIGNATURE}": "permanent"}).permanent
    with pytest.raises(ValidationError, match="Thời hạn lưu trữ của thủ tục 2.000884 không hợp lệ"):
        parse_override("hai năm", procedure_code=SIGNATURE)


# -- on the counter ---------------------------------------------------------------------------------
@pytest.fixture
def leader(counter):
    counter.login("admin", "quantri123")
    counter.add_clerk("lanhdao", "Lê Văn Lãnh Đạo", "leader", "lanhdao123")
    counter.login("lan", "canbo1234")
    return "lanhdao"


def returned(counter, code, applicant):
    view = counter.dossiers.receive(code, applicant)
    counter.dossiers.mark_result_ready(view.code)
    counter.dossiers.return_result(view.code)
    return view


def synced(counter):
    """What the sync client does once the district confirmed every action."""
    with counter.store.transaction():
        counter.store.conn.execute("DELETE FROM outbox")


def as_leader(counter):
    counter.login("lanhdao", "lanhdao123")


def test_only_synced_closed_dossiers_past_retention_are_listed(counter, clock, leader):
    old = returned(counter, SIGNATURE, PURGED)
    permanent = returned(counter, COPY, OTHER)
    twenty = returned(counter, TRANSACTION, {**OTHER, "full_name": "Võ Minh Khôi"})
    still_open = counter.dossiers.receive(SIGNATURE, {**OTHER, "id_number": "042090077703", "full_name": "Đặng Văn Mở"})
    refused = counter.dossiers.refuse("Không thuộc thẩm quyền", procedure_code=SIGNATURE,
                                      applicant={**OTHER, "id_number": "042090077704", "full_name": "Hồ Thị Từ"})
    synced(counter)
    clock.advance(days=365 * 2 - 2)
    assert counter.privacy.list_purge() is None  # two years not yet over
    clock.advance(days=3)
    unsynced = returned(counter, SIGNATURE, {**OTHER, "id_number": "042090077705", "full_name": "Lý Chưa Gửi"})
    clock.advance(days=365 * 2 + 1)
    purge = counter.privacy.list_purge()
    ids = set(purge.dossier_ids)
    assert old.id in ids and refused.id in ids
    assert permanent.id not in ids and twenty.id not in ids and still_open.id not in ids
    assert unsynced.id not in ids  # its actions never reached the district
    assert purge.state == "listed" and purge.listed_by == "lan"
    summary = counter.privacy.purge_summary(purge)
    assert [(g.procedure_code, g.retention, g.count) for g in summary] == [(SIGNATURE, "2 năm", 2)]


def test_a_setting_makes_a_procedure_permanent_or_shorter(counter, clock, leader):
    twenty = returned(counter, TRANSACTION, PURGED)
    synced(counter)
    clock.advance(days=365 * 3 + 1)
    assert counter.privacy.list_purge() is None
    counter.set_settings({f"retention.{TRANSACTION}": "3"})
    assert counter.privacy.list_purge().dossier_ids == (twenty.id,)
    counter.set_settings({f"retention.{TRANSACTION}": "vĩnh viễn"})
    assert counter.privacy.list_purge() is None
    assert counter.privacy.pending_purge() is None  # the stale listing was withdrawn with it


def test_nothing_is_removed_before_confirmation_and_a_clerk_cannot_confirm(counter, clock, leader):
    view = returned(counter, SIGNATURE, PURGED)
    synced(counter)
    clock.advance(days=365 * 2 + 1)
    purge = counter.privacy.list_purge()
    assert counter.dossiers.dossier(view.code).row.applicant_name == "Phạm Thị Hồng Nhung"
    assert counter.dossiers.search("042190055501")
    with pytest.raises(DomainError, match="không có quyền"):
        counter.privacy.confirm_purge(purge.id)
    assert counter.privacy.get_purge(purge.id).state == "listed"
    assert counter.dossiers.dossier(view.code).row.applicant_id_number == "042190055501"
    # and the journal itself refuses a tombstone nobody confirmed
    with pytest.raises(IntegrityError, match="append-only"):
        with counter.store.transaction():
            counter.store.conn.execute("UPDATE actions SET payload = '{\"purged\":true}', purged_at = 'x' "
                                       "WHERE dossier_id = ?", (view.id,))


def test_confirmation_removes_the_citizen_from_the_file_and_keeps_the_checks_clean(counter, clock, leader, db_path):
    purged = returned(counter, SIGNATURE, PURGED)
    counter.dossiers.record_survey(purged.code, {"officer_polite": 5, "result_on_time": 4})
    kept = returned(counter, COPY, OTHER)
    counter.drafts.save("d1", procedure_code=SIGNATURE, template=None,
                                values={"applicant.full_name": "Phạm Thị Hồng Nhung", "applicant.id_number": "042 190 055 501"})
    synced(counter)
    clock.advance(days=365 * 2 + 1)
    counter.logout()
    purge = counter.privacy.list_purge()
    assert purge.listed_by == "system"
    counter.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"042190055501" in db_path.read_bytes()  # the test would prove nothing otherwise
    as_leader(counter)
    done = counter.privacy.confirm_purge(purge.id)
    assert (done.state, done.confirmed_by, done.purged_count) == ("done", "lanhdao", 1)
    assert done.confirmed_at == clock()

    data = db_path.read_bytes() + (db_path.with_name(db_path.name + "-wal").read_bytes()
                                   if db_path.with_name(db_path.name + "-wal").exists() else b"")
    for secret in ("Phạm Thị Hồng Nhung", "042190055501", "0987654321", "Hà Huy Tập"):
        assert secret.encode("utf-8") not in data, secret
    for other in ("Võ Minh Khôi", "042090077702"):
        assert other.encode("utf-8") in data, other
    assert counter.check() == []
    with pytest.raises(DomainError, match="hết thời hạn lưu trữ"):
        counter.dossiers.dossier(purged.code)
    assert counter.dossiers.dossier(kept.code).row.applicant_name == "Võ Minh Khôi"
    assert counter.dossiers.search("nhung") == [] and counter.dossiers.search("042190055501") == []
    assert counter.store.people.find_citizen(id_number="042190055501") is None
    assert counter.drafts.mine() == [] or all(d["id"] != "d1" for d in counter.store.people.drafts())
    row = counter.store.get_dossier(purged.code)
    assert (row.status, row.procedure_code, row.applicant_name) == ("returned", SIGNATURE, "")  # still counted
    with pytest.raises(DomainError, match="không còn chờ xác nhận"):
        counter.privacy.confirm_purge(purge.id)


def test_a_citizen_with_another_dossier_stays(counter, clock, leader):
    first = returned(counter, SIGNATURE, PURGED)
    synced(counter)
    clock.advance(days=365 * 2 + 1)
    second = returned(counter, COPY, PURGED)  # the same person, a permanent record
    synced(counter)
    purge = counter.privacy.list_purge()
    assert purge.dossier_ids == (first.id,)
    as_leader(counter)
    counter.privacy.confirm_purge(purge.id)
    citizen = counter.store.people.find_citizen(id_number="042190055501")
    assert citizen is not None and counter.dossiers.dossier(second.code).row.applicant_id == citizen["id"]
    assert counter.check() == []


def test_a_dossier_with_a_new_unsynced_action_is_kept_at_confirmation(counter, clock, leader):
    view = returned(counter, SIGNATURE, PURGED)
    synced(counter)
    clock.advance(days=365 * 2 + 1)
    purge = counter.privacy.list_purge()
    counter.dossiers.record_print(view.code, "receipt")  # a reprint after listing: not at the district yet
    as_leader(counter)
    done = counter.privacy.confirm_purge(purge.id)
    assert done.kept_ids == (view.id,) and done.purged_count == 0
    assert counter.dossiers.dossier(view.code).row.applicant_name == "Phạm Thị Hồng Nhung"


def test_the_leader_can_cancel_a_listing(counter, clock, leader):
    returned(counter, SIGNATURE, PURGED)
    synced(counter)
    clock.advance(days=365 * 2 + 1)
    purge = counter.privacy.list_purge()
    with pytest.raises(DomainError, match="không có quyền"):
        counter.privacy.cancel_purge(purge.id)
    as_leader(counter)
    assert counter.privacy.cancel_purge(purge.id).state == "cancelled"
    with pytest.raises(DomainError, match="không còn chờ xác nhận"):
        counter.privacy.confirm_purge(purge.id)


def test_check_finds_a_tombstone_nobody_confirmed(counter, clock, leader):
    view = returned(counter, SIGNATURE, PURGED)
    synced(counter)
    clock.advance(days=365 * 2 + 1)
    purge = counter.privacy.list_purge()
    as_leader(counter)
    counter.privacy.confirm_purge(purge.id)
    # someone edits the purge record afterwards to hide it: check() no longer finds the confirmation
    with counter.store.transaction():
        counter.store.conn.execute("UPDATE purges SET state = 'cancelled'")
    problems = counter.check()
    assert any(view.code in p and "không có xác nhận" in p for p in problems)


def test_a_tombstone_still_breaks_the_chain_when_removed_or_reordered():
    from desk_app.models.journal import TOMBSTONE, Action, seal, verify_chain

    at = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)
    chain, prev = [], "0" * 64
    for i in range(3):
        action = seal(Action(id=f"a{i}", dossier_id="d", kind="printed", at=at, clerk="lan", counter=1,
                             device_id="dev", payload={"form": "receipt"}), prev)
        chain.append(action)
        prev = action.hash
    from dataclasses import replace

    tomb = replace(chain[1], payload=TOMBSTONE, purged_at=at)
    assert verify_chain([chain[0], tomb, chain[2]]) == []
    assert verify_chain([chain[0], chain[2]])  # removed: the link breaks
    assert verify_chain([chain[0], replace(tomb, payload={"form": "x"})])  # a "tombstone" with content
    assert verify_chain([chain[0], replace(chain[1], payload={"form": "x"})])  # plain edit: hash differs


def test_the_district_sync_of_later_actions_still_works_after_a_purge(tmp_path, counter, clock, leader, db_path):
    """A real district server (uvicorn on 127.0.0.1, its own SQLite file): the purged actions
    stay at the district, the counter's later actions still chain onto the tombstones."""
    from desk_app.sync.client import SyncClient
    from desk_district import service
    from tests.conftest import FakeClock
    from tests.district.conftest import LiveServer

    server_clock = FakeClock(clock())
    live = LiveServer(f"sqlite:///{tmp_path / 'district.sqlite3'}", server_clock)
    try:
        client = SyncClient(db_path, clock=clock)
        client.enroll(live.base_url, live.enrollment_code("42010", 1, "Phường Đại Nài"))
        view = returned(counter, SIGNATURE, PURGED)
        report = client.sync_once()
        assert (report.error, report.pushed, report.waiting) == (None, 3, 0), report.summary()
        clock.advance(days=365 * 2 + 1)
        server_clock.advance(days=365 * 2 + 1)
        purge = counter.privacy.list_purge()
        assert purge.dossier_ids == (view.id,)
        as_leader(counter)
        counter.privacy.confirm_purge(purge.id)
        counter.login("lan", "canbo1234")
        later = returned(counter, SIGNATURE, OTHER)
        report = client.sync_once()
        assert (report.error, report.pushed, report.parked, report.waiting) == (None, 3, 0, 0), report.summary()
        assert counter.check() == []
        assert service.ward_stats(live.db, "42010")["rejected"] == 0
        assert counter.dossiers.dossier(later.code).status == "returned"
    finally:
        live.stop()
