"""Statistics against dossiers counted by hand, built through the real rules (working days,
the 24/11 holiday, the 15:00 cut-off for same-day procedures)."""

from __future__ import annotations

from datetime import date

import pytest

from desk_app.models.errors import IllegalTransition, ValidationError
from desk_app.models.statistics import Period, format_value
from desk_app.storage.schema import SCHEMA_VERSION

from .legacy import insert_dossier_before_v9, update_projection_before_v10

COPY = "2.000815"  # certified copy: same day, 15:00 cut-off
MARITAL = "1.004873"  # marital-status certificate: 3 working days
BIRTH = "1.001193"


GIVEN = ["An", "Bình", "Cường", "Dũng", "Đào", "Giang", "Hà", "Khoa", "Lâm", "Minh", "Nga"]


def person(n: int) -> dict:
    return {"full_name": f"Nguyễn Văn {GIVEN[n]}", "id_number": f"0420900{n:05d}", "birth_date": "15/03/1990",
            "sex": "Nam", "phone": f"0912{n:06d}", "address": "Tổ dân phố 3, Phường Đại Nài"}


@pytest.fixture
def ward(counter, clock):
    """The week of 23/11/2026 (Tuesday 24/11 is a holiday), with one dossier from the week before."""
    v = {}
    clock.set(2026, 11, 20, 14, 0)  # Friday, before the week
    v["I"] = counter.dossiers.receive(COPY, person(9), form_data={"pages": 1, "copies": 1})
    clock.set(2026, 11, 23, 9, 0)
    v["A"] = counter.dossiers.receive(COPY, person(1), form_data={"pages": 2, "copies": 1})
    v["C"] = counter.dossiers.receive(MARITAL, person(3))
    v["E"] = counter.dossiers.request_supplement(["Tờ khai có chữ ký"], "Thiếu chữ ký", procedure_code=MARITAL,
                                                 applicant=person(5))
    v["F"] = counter.dossiers.refuse("Không thuộc thẩm quyền của phường", procedure_code=BIRTH, applicant=person(6))
    v["G"] = counter.dossiers.receive(MARITAL, person(7))
    v["H"] = counter.dossiers.receive(MARITAL, person(8))
    counter.login("admin", "quantri123")
    v["D"] = counter.dossiers.receive(MARITAL, person(4))  # received by the admin
    counter.login("lan", "canbo1234")
    clock.set(2026, 11, 23, 9, 30)
    counter.dossiers.mark_result_ready(v["I"].code)  # Friday's same-day copy, ready on Monday: late
    counter.dossiers.return_result(v["I"].code)
    clock.set(2026, 11, 23, 10, 0)
    counter.dossiers.mark_result_ready(v["A"].code)
    clock.set(2026, 11, 23, 10, 5)
    v["A"] = counter.dossiers.return_result(v["A"].code)  # same day: on time
    clock.set(2026, 11, 23, 15, 30)
    v["B"] = counter.dossiers.receive(COPY, person(2), form_data={"pages": 1, "copies": 3})  # after 15:00
    clock.set(2026, 11, 23, 16, 0)
    counter.dossiers.mark_result_ready(v["B"].code)
    v["B"] = counter.dossiers.return_result(v["B"].code)  # due the next working day: early
    clock.set(2026, 11, 25, 9, 0)
    v["E"] = counter.dossiers.supplement(v["E"].code)
    clock.set(2026, 11, 26, 9, 0)
    counter.dossiers.issue_apology(v["C"].code, "Chờ xác minh", date(2026, 12, 2))
    counter.dossiers.withdraw(v["G"].code, "Công dân xin rút hồ sơ")
    counter.dossiers.transfer(v["H"].code, "UBND tỉnh Hà Tĩnh")
    clock.set(2026, 11, 30, 10, 0)
    counter.dossiers.mark_result_ready(v["C"].code)
    clock.set(2026, 11, 30, 10, 30)
    v["C"] = counter.dossiers.return_result(v["C"].code)  # after the first appointment: late despite the apology
    counter.dossiers.record_survey(v["A"].code, {"officer_polite": 5, "result_on_time": 4, "access_place": 2,
                                                 "trips": "1 lần"})
    counter.dossiers.record_survey(v["B"].code, {"officer_polite": 3, "result_on_time": 5}, channel="paper")
    clock.set(2026, 11, 30, 12, 0)
    clock.set(2026, 12, 1, 9, 0)
    v["J"] = counter.dossiers.receive(COPY, person(10), form_data={"pages": 1, "copies": 1})  # after the period
    clock.set(2026, 11, 30, 12, 0)  # the report is made on Monday 30/11 at noon
    return v


WEEK = Period(date(2026, 11, 23), date(2026, 11, 30))


def test_the_hand_counted_week(counter, ward):
    # the rules as the counter applied them (these are what the counts rest on)
    assert ward["B"].state.due_at.date() == date(2026, 11, 25)  # after 15:00, Tuesday a holiday
    assert ward["C"].state.original_due_at.date() == date(2026, 11, 27)
    assert [ward[k].state.timeliness for k in "ABC"] == ["on_time", "early", "late"]

    t = counter.statistics(WEEK).total
    # received: A B C D E(after its supplement) G H; not F (refused), not I (before), not J (after)
    assert t["received"] == 7
    # solved: I late (ready Monday for Friday), A on time, B early, C late
    assert (t["solved"], t["early"], t["on_time"], t["late"]) == (4, 1, 1, 2)
    # pending at noon on 30/11: D and H overdue (due 27/11); E due 30/11 17:00
    assert (t["pending_overdue"], t["pending_not_due"]) == (2, 1)
    assert t["supplement_requests"] == 1 and t["second_supplement_requests"] == 0
    assert (t["refused"], t["withdrawn"], t["apologies"], t["transferred"], t["surveys"]) == (1, 1, 1, 1, 2)
    assert t.on_time_rate == pytest.approx(2 / 4)


def test_average_time_to_return_and_against_the_legal_time(counter, ward):
    t = counter.statistics(WEEK).total
    solved = [counter.dossiers.dossier(ward[k].code).state for k in "IABC"]
    days = [(s.returned_at - s.received_at).total_seconds() / 86400 for s in solved]
    assert t.days_to_return_n == 4
    assert t.average_days_to_return == pytest.approx(sum(days) / 4, rel=1e-6)
    shares = [(s.result_ready_at - s.received_at) / (s.original_due_at - s.received_at) for s in solved]
    assert t.average_share_of_legal_time == pytest.approx(sum(shares) / 4, rel=1e-6)
    assert t.time_cut == pytest.approx(1 - sum(shares) / 4, rel=1e-6)


def test_by_procedure_clerk_and_month(counter, ward):
    by_proc = {key: f for key, _, f in counter.statistics(WEEK, dimension="procedure").rows}
    assert by_proc[COPY]["received"] == 2 and by_proc[COPY]["solved"] == 3
    assert by_proc[MARITAL]["received"] == 5 and by_proc[MARITAL]["pending_overdue"] == 2
    assert by_proc[BIRTH]["refused"] == 1

    table = counter.statistics(WEEK, dimension="clerk")
    by_clerk = {key: f for key, _, f in table.rows}
    assert by_clerk["admin"]["received"] == 1 and by_clerk["lan"]["received"] == 6
    assert dict((k, label) for k, label, _ in table.rows)["lan"] == "Trần Thị Lan"

    only_admin = counter.statistics(WEEK, filters={"clerk": "admin"}).total
    assert only_admin["received"] == 1 and only_admin["pending_overdue"] == 1

    domains = {key: f for key, _, f in counter.statistics(WEEK, dimension="domain").rows}
    assert domains["Chứng thực"]["solved"] == 3 and domains["Hộ tịch"]["solved"] == 1

    months = counter.statistics(Period(date(2026, 11, 1), date(2026, 12, 31)), dimension="month")
    labels = [label for _, label, _ in months.rows]
    assert labels == ["Tháng 11/2026", "Tháng 12/2026"]
    nov = months.rows[0][2]
    assert nov["received"] == 8 and nov["pending_overdue"] == 2  # with I (20/11); pending as of now (30/11)
    assert months.rows[1][2]["received"] == 1  # J, dated 1/12 by the clock of its receipt


def test_satisfaction_in_the_figures(counter, ward):
    t = counter.statistics(WEEK).total
    # by hand: officer 1/2, result 2/2, access 0/1 -> mean of areas answered = (0.5 + 1 + 0) / 3
    assert t.satisfaction.responses == 2
    assert t.satisfaction.overall == pytest.approx(0.5)
    assert format_value("satisfaction", t.satisfaction.overall) == "50,0 %"


def test_a_survey_only_after_return_and_only_once(counter, ward):
    with pytest.raises(IllegalTransition, match="đã có phiếu khảo sát"):
        counter.dossiers.record_survey(ward["A"].code, {"officer_polite": 5})
    with pytest.raises(IllegalTransition, match="khi đã trả kết quả"):
        counter.dossiers.record_survey(ward["D"].code, {"officer_polite": 5})
    with pytest.raises(ValidationError, match="cách ghi nhận|Cách ghi nhận"):
        counter.dossiers.record_survey(ward["I"].code, {"officer_polite": 5}, channel="phone")
    with pytest.raises(ValidationError, match="mức từ 1 đến 5"):
        counter.dossiers.record_survey(ward["I"].code, {"officer_polite": 9})
    assert counter.store.conn.execute("SELECT count(*) FROM surveys").fetchone()[0] == 2


def test_survey_rows_hold_no_name_and_sync_as_actions(counter, ward):
    row = counter.store.conn.execute("SELECT * FROM surveys s JOIN actions a ON a.id = s.action_id "
                                     "WHERE s.dossier_id = ?", (ward["B"].id,)).fetchone()
    assert row is not None
    text = " ".join(str(x) for x in row)
    assert "Nguyễn" not in text and "042090" not in text
    outbox = counter.store.conn.execute("SELECT count(*) FROM outbox o JOIN actions a ON a.id = o.action_id "
                                        "WHERE a.kind = 'survey_recorded'").fetchone()[0]
    assert outbox == 2


def test_period_parsing_and_presets():
    assert Period.parse("01/11/2026", "2026-11-30") == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert Period.quarter(date(2026, 11, 22)) == Period(date(2026, 10, 1), date(2026, 12, 31))
    assert Period.month(date(2026, 2, 10)).end == date(2026, 2, 28)
    with pytest.raises(ValidationError, match="trước ngày đầu kỳ"):
        Period.parse("30/11/2026", "01/11/2026")
    with pytest.raises(ValidationError, match="không đúng dạng"):
        Period.parse("hôm qua", "01/11/2026")


def test_every_dossier_knows_its_receiving_clerk(counter, ward):
    assert counter.store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    missing = counter.store.conn.execute(
        "SELECT count(*) FROM dossiers WHERE received_by IS NULL").fetchone()[0]
    assert missing == 0


def test_unknown_dimension_is_refused(counter, ward):
    with pytest.raises(ValueError):
        counter.statistics(WEEK, dimension="colour")


def test_a_version_5_database_gets_its_receiving_clerks_on_upgrade(db_path, counter, clock, monkeypatch):
    """Build a ward on schema 5 (the app before statistics), then open it with this one."""
    import desk_app.storage.db as dbmod
    from desk_app.counter import Counter

    counter.close()
    db_path.unlink()
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    monkeypatch.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS[:5])
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", 5)
    monkeypatch.setattr("desk_app.storage.store.Store.insert_action", _v5_insert_action)
    monkeypatch.setattr("desk_app.storage.store.Store.insert_dossier", insert_dossier_before_v9)
    monkeypatch.setattr("desk_app.storage.store.Store.update_projection", update_projection_before_v10)
    old = Counter.open(db_path, clock=clock, create=True)
    old.initialise(ward_code="42010", ward_name="Phường Đại Nài", counter_no=1, admin_username="admin",
                   admin_password="quantri123")
    old.login("admin", "quantri123")
    code = old.dossiers.receive(MARITAL, person(1)).code
    old.close()
    monkeypatch.undo()

    new = Counter.open(db_path, clock=clock)
    assert new.store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert new.store.conn.execute("SELECT received_by FROM dossiers WHERE code = ?", (code,)).fetchone() == ("admin",)
    assert new.statistics(WEEK, filters={"clerk": "admin"}).total["received"] == 1
    assert new.check() == []
    new.close()


def _v5_insert_action(self, action):
    """insert_action as schema 5 knew it (no received_by column, no surveys table)."""
    from desk_app.models.journal import canonical_json
    cursor = self.conn.execute(
        "INSERT INTO actions(id, dossier_id, kind, at, clerk, counter, device_id, payload, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (action.id, action.dossier_id, action.kind, action.at.isoformat(), action.clerk, action.counter,
         action.device_id, canonical_json(action.payload), action.prev_hash, action.hash))
    self.conn.execute(
        "INSERT INTO chain_heads(device_id, seq, hash) VALUES (?, ?, ?) ON CONFLICT(device_id) "
        "DO UPDATE SET seq = excluded.seq, hash = excluded.hash", (action.device_id, cursor.lastrowid, action.hash))


def test_pending_at_a_past_date_counts_what_closed_later(counter, ward):
    before = counter.statistics(Period(date(2026, 11, 16), date(2026, 11, 22))).total
    # I: received Friday 20/11, due 17:00 that day, ready only on Monday 23/11
    assert before["received"] == 1
    assert (before["pending_overdue"], before["pending_not_due"]) == (1, 0)
    assert counter.store.longest_open_days() >= 2.8  # I stayed open from Friday 14:00 to Monday 09:30


def test_rows_follow_vietnamese_order(counter, ward):
    labels = [label for _, label, _ in counter.statistics(WEEK, dimension="procedure").rows]
    assert labels == sorted(labels, key=lambda s: s.replace("Chứng", "Chung").replace("Cấp", "Cap").replace("Đ", "D"))
    assert labels[0].startswith("Cấp Giấy xác nhận") and labels[1].startswith("Chứng thực")
