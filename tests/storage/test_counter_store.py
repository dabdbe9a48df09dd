"""The counter's operations through a real SQLite file."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from desk_app.counter import Counter, NotLoggedIn
from desk_app.models.clerks import LoginFailed
from desk_app.models.clock import VN_TZ
from desk_app.models.errors import DomainError, IllegalTransition, ValidationError
from desk_app.storage import db as dbmod
from desk_app.storage import driver
from desk_app.storage.db import DatabaseTooNew, StorageError, open_database

from .legacy import insert_dossier_before_v9, update_projection_before_v10

BIRTH = "1.001193"        # same day, 15:00 rule
MARITAL = "1.004873"      # 3 working days
SIGNATURE = "2.000884"    # same day


def vn(*args):
    return datetime(*args, tzinfo=VN_TZ)


def test_receive_gives_code_due_time_journal_and_outbox(counter, applicant):
    view = counter.dossiers.receive(BIRTH, applicant, form_data={"child_full_name": "Nguyễn Minh An"})
    assert view.code == "42010-Q01-261123-0001"
    assert view.status == "received"
    assert view.state.due_at == vn(2026, 11, 23, 17, 0)  # same day: received 09:00 Monday
    row = view.row
    assert row.applicant_name == "Nguyễn Văn Đức"     # normalised name
    assert row.applicant_id_number == "042090012345"
    assert row.applicant_phone == "0912345678"
    assert counter.store.outbox.count() == 1
    [action] = counter.store.actions_for(view.id)
    assert action.kind == "received" and action.clerk == "lan" and action.counter == 1
    assert action.payload["dossier"]["code"] == view.code  # the journal alone rebuilds the dossier
    second = counter.dossiers.receive(SIGNATURE, applicant)
    assert second.code == "42010-Q01-261123-0002"


def test_after_three_pm_same_day_procedure_is_due_next_working_day(counter, clock, applicant):
    clock.set(2026, 11, 27, 15, 1)  # Friday, a minute after 15:00
    view = counter.dossiers.receive(BIRTH, applicant)
    assert view.state.due_at == vn(2026, 11, 30, 17, 0)  # Monday
    clock.set(2026, 11, 27, 15, 0)  # 15:00 itself is not after 15:00
    assert counter.dossiers.receive(BIRTH, applicant).state.due_at == vn(2026, 11, 27, 17, 0)
    clock.set(2026, 11, 27, 14, 59)
    assert counter.dossiers.receive(BIRTH, applicant).state.due_at == vn(2026, 11, 27, 17, 0)


def test_returning_citizen_is_found_by_cccd_and_not_typed_twice(counter, applicant):
    counter.dossiers.receive(BIRTH, applicant)
    counter.dossiers.receive(SIGNATURE, {"full_name": "Nguyễn Văn Đức", "id_number": "042090012345"})
    assert counter.store.checks.counts()["citizens"] == 1
    known = counter.store.people.find_citizen(id_number="042090012345")
    assert known["phone"] == "0912345678" and known["address"].startswith("Số 12")
    assert [c["full_name"] for c in counter.store.search.search_citizens("nguyen van duc")] == ["Nguyễn Văn Đức"]


def test_id_number_disagreeing_with_birth_year_is_refused_and_nothing_is_saved(counter, applicant):
    before = counter.store.checks.counts()
    with pytest.raises(ValidationError, match="tức sinh năm 1990") as err:
        counter.dossiers.receive(BIRTH, {**applicant, "birth_date": "15/03/1991"})
    assert err.value.field == "applicant.id_number"
    assert counter.store.checks.counts() == before


def test_bad_input_is_refused_in_vietnamese_and_nothing_is_saved(counter, applicant):
    with pytest.raises(ValidationError) as err:
        counter.dossiers.receive(BIRTH, {**applicant, "id_number": "12345"})
    assert err.value.field == "applicant.id_number"
    with pytest.raises(ValidationError):
        counter.dossiers.receive(BIRTH, {**applicant, "birth_date": "31/02/1990"})
    with pytest.raises(DomainError) as err:
        counter.dossiers.receive("9.999999", applicant)
    assert "Không tìm thấy thủ tục" in err.value.message
    assert counter.store.checks.counts()["dossiers"] == 0


def test_incomplete_papers_point_to_the_one_supplement_request(counter, applicant):
    proc = counter.catalogue.get(BIRTH)
    required = [c.name for c in proc.components if c.required]
    with pytest.raises(DomainError) as err:
        counter.dossiers.receive(BIRTH, applicant, papers=required[:1])
    assert err.value.code == "incomplete" and required[-1] in err.value.message


def test_supplement_once_then_received_with_a_fresh_clock(counter, clock, applicant):
    view = counter.dossiers.request_supplement(["Giấy chứng sinh (bản chính)", "Bản sao CCCD của mẹ"],
                                               "Hồ sơ thiếu giấy tờ theo quy định", procedure_code=MARITAL,
                                               applicant=applicant)
    assert view.status == "waiting_supplement" and view.state.due_at is None
    clock.set(2026, 11, 25, 10, 0)  # Wednesday
    view = counter.dossiers.supplement(view.code)
    assert view.status == "received"
    assert view.state.due_at == vn(2026, 11, 30, 17, 0)  # 3 working days from Thursday 26/11
    with pytest.raises(IllegalTransition) as err:
        counter.dossiers.request_supplement(["Ảnh"], "Thiếu ảnh", dossier=view.code)
    assert "quá một lần" in err.value.message


def test_full_story_with_transfer_and_early_return(counter, clock, applicant):
    view = counter.dossiers.receive(MARITAL, applicant)
    counter.dossiers.start_processing(view.code)
    counter.dossiers.transfer(view.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    clock.advance(days=1)
    counter.dossiers.transfer_received(view.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    view = counter.dossiers.transfer_returned(view.code, "Sở Tư pháp tỉnh Hà Tĩnh")
    assert view.status == "result_ready" and {"ready_early", "notify_citizen"} <= view.flags
    assert [r.code for r in counter.dossiers.queue("ready_to_return")] == [view.code]
    counter.dossiers.notify_citizen(view.code, "Điện thoại")
    clock.advance(hours=2)
    view = counter.dossiers.return_result(view.code, received_by="Nguyễn Văn Đức")
    assert view.status == "returned" and view.state.timeliness == "early"
    assert counter.check() == []


def test_overdue_apology_once_and_queues(counter, clock, applicant):
    view = counter.dossiers.receive(MARITAL, applicant)  # due Friday 27/11 17:00 (24/11 is a holiday)
    clock.set(2026, 11, 25, 9, 0)
    assert [r.code for r in counter.dossiers.queue("overdue")] == []
    with pytest.raises(ValidationError) as err:
        counter.dossiers.issue_apology(view.code, "Cần xác minh", date(2026, 11, 28))  # a Saturday
    assert "không phải ngày làm việc" in err.value.message
    view = counter.dossiers.issue_apology(view.code, "Cần xác minh thêm tại nơi cư trú trước đây", date(2026, 12, 1))
    assert view.state.due_at == vn(2026, 12, 1, 17, 0) and view.state.apology_on_time
    with pytest.raises(IllegalTransition):
        counter.dossiers.issue_apology(view.code, "Lần hai", date(2026, 12, 3))
    other = counter.dossiers.receive(MARITAL, {"full_name": "Lê Thị Hoa", "id_number": "042185000111"})
    clock.set(2026, 12, 2, 9, 0)
    assert {r.code for r in counter.dossiers.queue("overdue")} == {view.code, other.code}
    assert [r.code for r in counter.dossiers.queue("needs_apology")] == [other.code]
    assert "needs_apology" in counter.dossiers.dossier(other.code).flags


def test_withdrawal_only_before_a_result(counter, applicant):
    a = counter.dossiers.receive(MARITAL, applicant)
    assert counter.dossiers.withdraw(a.code, "Công dân xin rút hồ sơ").status == "withdrawn"
    b = counter.dossiers.receive(MARITAL, applicant)
    counter.dossiers.mark_result_ready(b.code)
    with pytest.raises(IllegalTransition) as err:
        counter.dossiers.withdraw(b.code, "Đổi ý")
    assert "đã có kết quả" in err.value.message


def test_printing_is_audited_original_then_reprint(counter, applicant):
    view = counter.dossiers.receive(BIRTH, applicant)
    counter.dossiers.record_print(view.code, "receipt", template_id="phieu_tiep_nhan", template_version="1")
    counter.dossiers.record_print(view.code, "receipt", template_id="phieu_tiep_nhan", template_version="1")
    prints = [a.payload["copy_kind"] for a in counter.store.actions_for(view.id) if a.kind == "printed"]
    assert prints == ["original", "reprint"]


def test_search_by_name_without_diacritics_cccd_phone_and_code(counter, applicant):
    view = counter.dossiers.receive(BIRTH, applicant)
    counter.dossiers.receive(BIRTH, {"full_name": "Đặng Thị Đào", "id_number": "042195001122", "phone": "0987654321"})
    for query in ("nguyen van duc", "Nguyễn Văn", "ngu du", "042090", "042090012345", "0912 345 678",
                  "+84 912 345 678", view.code, view.code.lower(), "261123-0001"):
        assert view.code in [r.code for r in counter.dossiers.search(query)], query
    assert [r.applicant_name for r in counter.dossiers.search("dang thi dao")] == ["Đặng Thị Đào"]
    assert counter.dossiers.search("") == [] and counter.dossiers.search("   ") == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text())
def test_search_never_raises_on_any_text(counter, query):
    counter.dossiers.search(query)
    counter.store.search.search_citizens(query)


def test_login_roles_and_no_anonymous_actions(counter, applicant):
    with pytest.raises(LoginFailed):
        counter.login("lan", "sai-mat-khau")
    with pytest.raises(DomainError) as err:
        counter.add_clerk("minh", "Võ Minh", "clerk", "canbo1234")  # a clerk cannot manage accounts
    assert err.value.code == "forbidden"
    counter.logout()
    with pytest.raises(NotLoggedIn):
        counter.dossiers.receive(BIRTH, applicant)


def test_a_failure_inside_the_transaction_leaves_nothing_half_saved(counter, applicant):
    counter.store.conn.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(driver.DatabaseError):
        counter.dossiers.receive(BIRTH, applicant)
    counts = counter.store.checks.counts()
    assert (counts["dossiers"], counts["actions"], counts["citizens"]) == (0, 0, 0)
    counter.store.conn.execute("DROP TRIGGER boom")
    assert counter.dossiers.receive(BIRTH, applicant).code.endswith("-0001")  # the number was not used up


def test_journal_is_append_only_and_tampering_is_detected(counter, applicant):
    view = counter.dossiers.receive(BIRTH, applicant)
    counter.dossiers.mark_result_ready(view.code)
    conn = counter.store.conn
    with pytest.raises(driver.IntegrityError):
        conn.execute("UPDATE actions SET clerk = 'x'")
    with pytest.raises(driver.IntegrityError):
        conn.execute("DELETE FROM actions")
    assert counter.check() == []
    conn.execute("DROP TRIGGER actions_no_update")  # someone with a DB editor
    conn.execute("UPDATE actions SET payload = replace(payload, 'Đức', 'Đúc') WHERE kind = 'received'")
    problems = counter.check()
    assert any("mã băm không khớp" in p for p in problems)


def test_projection_tampering_is_detected(counter, applicant):
    view = counter.dossiers.receive(BIRTH, applicant)
    counter.store.conn.execute("UPDATE dossiers SET status = 'returned' WHERE id = ?", (view.id,))
    assert any("không khớp nhật ký" in p for p in counter.check())


def test_database_newer_than_the_app_is_refused_untouched(db_path, counter):
    counter.store.conn.execute("PRAGMA user_version = 99")
    counter.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseTooNew) as err:
        open_database(db_path)
    assert "phiên bản phần mềm mới hơn" in err.value.message
    assert db_path.read_bytes() == before


def test_not_a_database_gives_a_clear_message(tmp_path):
    bad = tmp_path / "ward.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError) as err:
        open_database(bad)
    assert "không phải cơ sở dữ liệu" in err.value.message


def test_migration_backs_up_first(db_path, counter, applicant, monkeypatch):
    code = counter.dossiers.receive(BIRTH, applicant).code
    counter.close()
    monkeypatch.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS + ["CREATE TABLE future_thing (x INTEGER);"])
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", len(dbmod.MIGRATIONS))
    db = open_database(db_path)
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == dbmod.SCHEMA_VERSION
    [backup] = list((db_path.parent / "backups").iterdir())
    old = sqlite3.connect(backup)
    assert old.execute("SELECT code FROM dossiers").fetchall() == [(code,)]
    assert old.execute("PRAGMA user_version").fetchone()[0] == dbmod.SCHEMA_VERSION - 1


def test_a_version_8_database_keeps_its_search_index_on_upgrade(db_path, counter, clock, applicant, monkeypatch):
    """Schema 8 indexed new dossiers by a trigger; 9 indexes them in Store.insert_dossier. What
    the trigger indexed stays found, what comes after is indexed once, not twice."""
    counter.close()
    for path in [db_path, *db_path.parent.glob(db_path.name + "-*")]:
        path.unlink()
    monkeypatch.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS[:8])
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", 8)
    monkeypatch.setattr("desk_app.storage.store.Store.insert_dossier", insert_dossier_before_v9)
    monkeypatch.setattr("desk_app.storage.store.Store.update_projection", update_projection_before_v10)
    old = Counter.open(db_path, clock=clock, create=True)
    old.initialise(ward_code="42010", ward_name="Phường Đại Nài", counter_no=1, admin_username="admin",
                   admin_password="quantri123")
    old.login("admin", "quantri123")
    before = old.dossiers.receive(BIRTH, applicant).code
    assert old.check() == []
    old.close()
    monkeypatch.undo()

    new = Counter.open(db_path, clock=clock)
    new.login("admin", "quantri123")
    after = new.dossiers.receive(BIRTH, {**applicant, "full_name": "Đặng Thị Đào", "id_number": "042195001122",
                                         "birth_date": "01/01/1995", "sex": "Nữ"}).code
    assert [r.code for r in new.dossiers.search("nguyen van duc")] == [before]
    assert [r.code for r in new.dossiers.search("dang thi dao")] == [after]
    assert new.check() == []  # each dossier in the index exactly once
    new.close()


def test_reopened_database_keeps_everything(db_path, counter, clock, applicant):
    code = counter.dossiers.receive(BIRTH, applicant).code
    counter.close()
    again = Counter.open(db_path, clock=clock)
    again.login("lan", "canbo1234")
    assert again.dossiers.dossier(code).status == "received"
    assert again.store.get_setting("ward_name") == "Phường Đại Nài"
    assert again.check() == []
    again.close()


def test_deleting_the_last_action_is_detected(counter, applicant):
    view = counter.dossiers.receive(BIRTH, applicant)
    counter.dossiers.mark_result_ready(view.code)
    conn = counter.store.conn
    conn.execute("DROP TRIGGER actions_no_delete")
    conn.execute("DELETE FROM outbox WHERE action_id = (SELECT id FROM actions ORDER BY seq DESC LIMIT 1)")
    conn.execute("DELETE FROM actions WHERE seq = (SELECT max(seq) FROM actions)")
    assert any("đầu chuỗi" in p for p in counter.check())


def test_the_intake_snapshot_is_read_back_from_the_journal(counter, applicant):
    view = counter.dossiers.receive(BIRTH, applicant, form_data={"child_full_name": "nguyễn minh  an"})
    again = counter.dossiers.dossier(view.code)
    assert again.state.data["form_data"] == {"child_full_name": "nguyễn minh an"}
    assert again.state.data["applicant"]["full_name"] == "Nguyễn Văn Đức"
    assert [p["name"] for p in again.state.data["papers"]] == [c.name for c in again.procedure.components if c.required]


def test_official_code_is_kept_beside_ours_and_searchable(counter, applicant):
    view = counter.dossiers.receive(MARITAL, applicant)
    other = counter.dossiers.receive(MARITAL, applicant)
    view = counter.dossiers.assign_official_code(view.code, "000.17.22.H56-261123-0001")
    assert view.row.official_code == "000.17.22.H56-261123-0001"
    assert counter.dossiers.dossier("000.17.22.H56-261123-0001").code == view.code
    assert [r.code for r in counter.dossiers.search("H56-261123")] == [view.code]
    assert view.code in [r.code for r in counter.dossiers.search(view.code)]
    with pytest.raises(DomainError) as err:
        counter.dossiers.assign_official_code(other.code, "000.17.22.H56-261123-0001")
    assert "đã gắn với hồ sơ" in err.value.message
    assert counter.check() == []


def test_due_tomorrow_queue_warns_before_the_apology_deadline(counter, clock, applicant):
    view = counter.dossiers.receive(MARITAL, applicant)  # Monday 23/11 (24/11 is a holiday): due Friday 27/11
    assert view.state.due_at == vn(2026, 11, 27, 17, 0)
    clock.set(2026, 11, 25, 8, 0)
    assert counter.dossiers.queue("due_tomorrow") == []
    clock.set(2026, 11, 26, 8, 0)  # Thursday: the due date is the next working day
    assert [r.code for r in counter.dossiers.queue("due_tomorrow")] == [view.code]
    counter.dossiers.issue_apology(view.code, "Chờ xác minh", date(2026, 11, 30))
    assert counter.dossiers.queue("due_tomorrow") == []


def test_a_draft_survives_closing_the_app_and_is_per_clerk(db_path, counter, clock):
    counter.drafts.save("d1", procedure_code=BIRTH, template=("to_khai_khai_sinh", "2024.1"),
                                values={"child.full_name": "Nguyễn Minh"}, papers=["Giấy chứng sinh"])
    counter.drafts.save("d1", procedure_code=BIRTH, template=("to_khai_khai_sinh", "2024.1"),
                                values={"child.full_name": "Nguyễn Minh An"}, papers=["Giấy chứng sinh"])
    counter.close()
    again = Counter.open(db_path, clock=clock)
    again.login("lan", "canbo1234")
    [draft] = again.drafts.mine()
    assert draft["values"] == {"child.full_name": "Nguyễn Minh An"} and draft["papers"] == ["Giấy chứng sinh"]
    again.login("admin", "quantri123")
    assert again.drafts.mine() == []
    again.login("lan", "canbo1234")
    again.drafts.discard("d1")
    assert again.drafts.mine() == []
    again.close()


def test_other_applicant_fields_a_form_asks_are_kept(counter, applicant):
    view = counter.dossiers.receive(BIRTH, {**applicant, "ethnicity": "Tày", "nationality": "Việt Nam"})
    assert view.state.data["applicant"]["ethnicity"] == "Tày"
    assert counter.store.people.find_citizen(id_number="042090012345")["data"]["ethnicity"] == "Tày"


def test_outbox_counts_follow_every_change(counter, applicant):
    view = counter.dossiers.receive(BIRTH, applicant)
    counter.dossiers.mark_result_ready(view.code)
    conn = counter.store.conn
    assert counter.store.outbox.counts() == {"pending": 2, "sending": 0, "attention": 0}
    conn.execute("UPDATE outbox SET state = 'attention' WHERE seq = (SELECT min(seq) FROM outbox)")
    conn.execute("DELETE FROM outbox WHERE state = 'pending'")
    assert counter.store.outbox.counts() == {"pending": 0, "sending": 0, "attention": 1}
    actual = dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    assert counter.store.outbox.count() == sum(actual.values()) == 1
