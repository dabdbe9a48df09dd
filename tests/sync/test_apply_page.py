"""A pulled page of other devices' actions applied on a real counter database: each dossier's
state replayed once per page, and the result exactly what replaying every journal gives."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk_app.counter import Counter
from desk_app.models.clerks import Clerk
from desk_app.models.journal import new_id
from desk_app.storage.records import action_from_row
from desk_app.sync.client import SyncReport, apply_page, retry_held

BIRTH = "1.001193"


@pytest.fixture
def other(tmp_path, clock):
    """The ward's second counter, its own PC: the actions it journals are what a pull brings."""
    c = Counter.open(tmp_path / "counter-2.sqlite3", clock=clock, create=True)
    c.initialise(ward_code="42010", ward_name="Phường Đại Nài", counter_no=2,
                 admin_username="admin", admin_password="quantri123", admin_full_name="Lê Văn Hai")
    c.set_settings({"device_id": new_id()})
    c.clerk = Clerk("admin", "Lê Văn Hai", "admin", True)
    yield c
    c.close()


def journal(counter: Counter) -> list[dict]:
    """The counter's own actions as the server hands them on (with a server_seq each)."""
    rows = counter.store.query("SELECT * FROM actions WHERE device_id = ? ORDER BY seq", [counter.device_id])
    return [{**action_from_row(r).to_dict(), "server_seq": n} for n, r in enumerate(rows, 1)]


def apply(counter: Counter, items: list) -> tuple[int, SyncReport]:
    report = SyncReport()
    with counter.store.transaction():
        applied = apply_page(counter.store, items, counter.device_id, report)
    return applied, report


def test_a_page_of_whole_lifecycles_gives_what_replaying_each_journal_gives(counter, other, applicant, clock):
    codes = []
    for k in range(4):
        view = other.dossiers.receive(BIRTH, {**applicant, "id_number": f"04209001234{k}"})
        codes.append(view.code)
        clock.advance(minutes=5)
        other.dossiers.mark_result_ready(view.code)
        if k % 2:
            other.dossiers.return_result(view.code, received_by="Nguyễn Văn Đức")
    page = journal(other)
    applied, report = apply(counter, page)
    assert (applied, report.notes) == (len(page), [])
    for code in codes:  # the projection as the other counter has it
        mine, theirs = counter.dossiers.dossier(code).row, other.dossiers.dossier(code).row
        assert (mine.status, mine.due_at, mine.result_ready_at, mine.returned_at, mine.timeliness) == (
            theirs.status, theirs.due_at, theirs.result_ready_at, theirs.returned_at, theirs.timeliness)
    assert counter.check() == []  # every projection equals the replay of its journal
    # the other counter's chain as held here ends where the other counter's own does
    assert counter.store.chain_head(other.device_id) == other.store.chain_head(other.device_id) == page[-1]["hash"]
    assert apply(counter, page)[0] == 0  # a page pulled again changes nothing


def test_a_page_of_new_dossiers_is_searchable_and_indexed_in_one_write(counter, other, applicant):
    """FTS5 writes what it holds in memory as a new index segment at every savepoint: indexed by
    a trigger, each dossier of a page was a segment of its own (and merges), a third of the time
    to apply the page. Indexed by the insert itself, the page's dossiers go out together."""
    names = ["An", "Bình", "Chi", "Dung", "Giang", "Hà", "Khánh", "Lan", "Minh", "Ngọc", "Phương", "Quế"]
    codes = [other.dossiers.receive(BIRTH, {**applicant, "full_name": f"Trần Thị {name}",
                                            "id_number": f"0420900123{k:02d}"}).code for k, name in enumerate(names)]
    segments = []
    counter.store.conn.set_trace_callback(
        lambda sql: segments.append(sql) if "INSERT INTO" in sql and "dossier_fts_idx" in sql else None)
    try:
        assert apply(counter, journal(other))[0] == 12
    finally:
        counter.store.conn.set_trace_callback(None)
    assert len(segments) == 1
    assert sorted(r.code for r in counter.dossiers.search("tran thi")) == sorted(codes)
    assert [r.applicant_name for r in counter.dossiers.search("tran thi phuong")] == ["Trần Thị Phương"]
    assert [r.code for r in counter.dossiers.search(codes[5])] == [codes[5]]
    assert counter.check() == []  # the index holds each dossier exactly once


def test_an_action_twice_in_a_page_or_already_here_is_applied_once(counter, other, applicant):
    view = other.dossiers.receive(BIRTH, applicant)
    other.dossiers.mark_result_ready(view.code)
    received, ready = journal(other)
    assert apply(counter, [received])[0] == 1
    applied, report = apply(counter, [received, ready, ready])
    assert (applied, report.notes) == (1, [])
    assert counter.dossiers.dossier(view.code).status == "result_ready"
    assert counter.store.conn.execute("SELECT count(*) FROM actions").fetchone()[0] == 2
    assert counter.check() == []


def test_unusable_items_are_skipped_and_said_the_rest_applied(counter, other, applicant, clock):
    first = other.dossiers.receive(BIRTH, applicant)
    clock.advance(minutes=1)
    other.dossiers.mark_result_ready(first.code)
    second = other.dossiers.receive(BIRTH, {**applicant, "id_number": "042090099999"})
    received, ready, received_2 = journal(other)
    orphan = {**ready, "id": new_id(), "dossier_id": new_id()}  # a dossier this counter never saw, no snapshot
    again = {**ready, "id": new_id(), "at": (clock() + timedelta(minutes=2)).isoformat()}  # ready twice
    page = [received, "not an action", {"id": "x"}, orphan, ready, again, received_2]
    applied, report = apply(counter, page)
    assert applied == 3
    assert len(report.notes) == 4, report.notes
    assert sum("không đúng định dạng" in n for n in report.notes) == 2
    assert any("chưa có trên máy này" in n for n in report.notes)
    assert any("Không áp dụng được thao tác result_ready" in n for n in report.notes)
    assert counter.dossiers.dossier(first.code).status == "result_ready"  # the refused one left it as it was
    assert counter.dossiers.dossier(second.code).status == "received"
    assert counter.check() == []  # nothing half-written


def test_an_action_the_database_refuses_is_skipped_alone(counter, other, applicant, clock):
    """A dossier of a procedure this counter's catalogue lacks breaks a constraint half-way: the
    page is applied again action by action, and only that one is left out."""
    first = other.dossiers.receive(BIRTH, applicant)
    clock.advance(minutes=1)
    second = other.dossiers.receive(BIRTH, {**applicant, "id_number": "042090099999"})
    other.dossiers.mark_result_ready(second.code)
    received, received_2, ready_2 = journal(other)
    snapshot = {**received["payload"]["dossier"], "procedure_code": "9.999999"}
    unknown = {**received, "id": new_id(), "dossier_id": new_id(), "payload": {**received["payload"],
                                                                               "dossier": snapshot}}
    applied, report = apply(counter, [received, unknown, received_2, ready_2])
    assert applied == 3
    assert len(report.notes) == 1 and unknown["id"] in report.notes[0], report.notes
    assert counter.dossiers.dossier(first.code).status == "received"
    assert counter.dossiers.dossier(second.code).status == "result_ready"
    assert counter.store.conn.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 2
    assert counter.check() == []


def test_what_cannot_be_applied_is_held_then_applied_once_its_dossier_arrives(counter, other, applicant, clock):
    view = other.dossiers.receive(BIRTH, applicant)
    clock.advance(minutes=1)
    other.dossiers.mark_result_ready(view.code)
    received, ready = journal(other)
    applied, report = apply(counter, [ready])  # the dossier's first action not pulled yet
    assert (applied, report.held) == (0, 1)
    assert any("chưa có trên máy này" in n for n in report.notes)
    assert counter.store.conn.execute("SELECT count(*) FROM inbox").fetchone()[0] == 1
    applied, report = apply(counter, [received, "not an action"])
    assert (applied, report.held) == (1, 1)  # the malformed one is held too, never dropped
    assert retry_held(counter.store, counter.device_id) == 1
    assert counter.store.conn.execute("SELECT count(*) FROM inbox").fetchone()[0] == 1  # the malformed one
    assert counter.dossiers.dossier(view.code).status == "result_ready"
    assert counter.check() == []
