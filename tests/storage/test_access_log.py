"""The access log (Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15): who viewed, printed, exported or
searched by ID number, on a real file through the real Counter. Append-only, never a full ID."""

from __future__ import annotations

from datetime import date

import pytest

from desk_app.cli.main import main as cli
from desk_app.models.errors import DomainError
from desk_app.models.privacy import CLI_ACTOR
from desk_app.printing.papers import Papers
from desk_app.storage.driver import DatabaseError

FULL_ID = "042090012345"


@pytest.fixture
def dossier(counter, applicant):
    return counter.dossiers.receive("1.004873", applicant)


def entries(counter, **filters):
    return counter.store.privacy.access_entries(filters or None)


def everything_stored(counter) -> str:
    """Every value of every access-log row as one text (to look for a full ID number)."""
    rows = counter.store.conn.execute("SELECT * FROM access_log").fetchall()
    return " ".join(str(v) for row in rows for v in row)


def test_opening_a_record_logs_who_where_and_when(counter, dossier, clock):
    clock.advance(minutes=5)
    view = counter.privacy.open_record(dossier.code)
    assert view.code == dossier.code and view.row.applicant_id_number == FULL_ID
    [entry] = entries(counter)
    assert entry["kind"] == "view_record" and entry["subject"] == dossier.code
    assert entry["clerk"] == "lan" and entry["counter"] == 1 and entry["device_id"] == counter.device_id
    assert entry["at"] == clock.at and len(entry["id"]) == 32
    assert entry["detail"] == {"procedure": "1.004873"} and entry["synced_at"] is None
    # the screen refreshing after an action is the same look, not a new one
    counter.privacy.open_record(dossier.code)
    assert len(entries(counter)) == 1
    # another login (the same clerk after a lock, or another) is a new access
    counter.login("admin", "quantri123")
    counter.privacy.open_record(dossier.code)
    assert [e["clerk"] for e in entries(counter)] == ["admin", "lan"]


def test_opening_needs_a_login_and_an_existing_dossier(counter, dossier):
    with pytest.raises(DomainError) as missing:
        counter.privacy.open_record("42010-Q01-000000-9999")
    assert missing.value.code == "not_found"
    counter.logout()
    with pytest.raises(DomainError) as nobody:
        counter.privacy.open_record(dossier.code)
    assert nobody.value.code == "not_logged_in"
    assert entries(counter) == []


def test_a_returning_citizen_opened_at_intake_is_a_view(counter, dossier):
    citizen_id = dossier.row.applicant_id
    row = counter.privacy.open_citizen(citizen_id)
    assert row["id_number"] == FULL_ID
    [entry] = entries(counter)
    assert (entry["kind"], entry["subject"], entry["detail"]) == ("view_record", f"citizen:{citizen_id}",
                                                                 {"record": "citizen"})


def test_printing_is_logged_besides_the_journal(counter, dossier):
    Papers(counter).dossier_paper(dossier.code, "receipt")
    Papers(counter).dossier_paper(dossier.code, "receipt")
    prints = entries(counter, kind="print")
    assert [(e["subject"], e["detail"]["form"], e["detail"]["copy_kind"]) for e in prints] == [
        (dossier.code, "receipt", "reprint"), (dossier.code, "receipt", "original")]
    journal = [a.kind for a in counter.store.actions_for(dossier.id)]
    assert journal.count("printed") == 2
    Papers(counter).dossier_paper(dossier.code, "receipt", record=False)  # a preview is not a print
    assert len(entries(counter, kind="print")) == 2


@pytest.mark.parametrize("query", [FULL_ID, "042 090 012 345", "042.090.012.345"])
def test_a_search_by_id_number_keeps_only_the_masked_number(counter, dossier, query):
    rows = counter.dossiers.search(query)
    assert [r.code for r in rows] == [dossier.code]
    [entry] = entries(counter)
    assert entry["kind"] == "search_id" and entry["subject"] == "0420******45"
    assert entry["detail"] == {"in": "dossiers", "found": 1}
    assert FULL_ID not in everything_stored(counter)


def test_citizen_search_a_cmnd_and_other_searches(counter, dossier, clock):
    counter.privacy.search_citizens(FULL_ID)
    counter.dossiers.search("012345678")              # an old 9-digit CMND, nobody has it
    counter.dossiers.search("0912345678")              # a phone number: not an ID search
    counter.dossiers.search("nguyen van duc")
    counter.dossiers.search(dossier.code)
    logged = [(e["subject"], e["detail"]) for e in reversed(entries(counter))]
    assert logged == [("0420******45", {"in": "citizens", "found": 1}),
                      ("0123***78", {"in": "dossiers", "found": 0})]
    counter.dossiers.search("012345678")  # the same search again (the list refreshing) is not logged twice
    assert len(entries(counter)) == 2
    clock.advance(minutes=10)  # ... but it is a new search a while later
    counter.dossiers.search("012345678")
    assert len(entries(counter)) == 3
    assert FULL_ID not in everything_stored(counter) and "012345678" not in everything_stored(counter)


def test_the_log_is_append_only(counter, dossier):
    counter.privacy.open_record(dossier.code)
    conn = counter.store.conn
    for sql in ("UPDATE access_log SET clerk = 'admin'", "UPDATE access_log SET subject = ''",
                "UPDATE access_log SET at = '2020-01-01T00:00:00+07:00'", "DELETE FROM access_log"):
        with pytest.raises(DatabaseError, match="append-only"):
            with counter.store.transaction():
                conn.execute(sql)
    [entry] = entries(counter)
    assert entry["clerk"] == "lan" and entry["subject"] == dossier.code


def test_sync_bookkeeping_stamps_each_entry_once(counter, dossier, clock):
    counter.privacy.open_record(dossier.code)
    counter.dossiers.search(FULL_ID)
    pending = counter.privacy.unsynced_access()
    assert [e["kind"] for e in pending] == ["view_record", "search_id"]  # recorded order
    assert counter.privacy.mark_access_synced([pending[0]["id"]]) == 1
    assert [e["kind"] for e in counter.privacy.unsynced_access()] == ["search_id"]
    assert counter.privacy.mark_access_synced([pending[0]["id"]]) == 0  # already stamped: left alone
    with pytest.raises(DatabaseError, match="append-only"):
        with counter.store.transaction():
            counter.store.conn.execute("UPDATE access_log SET synced_at = NULL")
    assert counter.store.privacy.mark_access_synced([e["id"] for e in pending], clock.at) == 1
    assert counter.privacy.unsynced_access() == []


def test_only_leaders_and_admins_read_the_log(counter, dossier, clock):
    counter.privacy.open_record(dossier.code)
    with pytest.raises(DomainError) as refused:
        counter.privacy.access_log()
    assert refused.value.code == "forbidden"
    with pytest.raises(DomainError):
        counter.privacy.access_clerks()
    counter.login("admin", "quantri123")
    counter.add_clerk("hung", "Lê Văn Hùng", "leader", "lanhdao123")
    counter.login("hung", "lanhdao123")
    assert [e["clerk"] for e in counter.privacy.access_log()] == ["lan"]
    assert counter.privacy.access_clerks() == ["lan"]


def test_filters_by_period_clerk_and_kind(counter, dossier, clock):
    counter.privacy.open_record(dossier.code)                      # Monday 23/11
    clock.set(2026, 11, 24, 23, 59)
    counter.login("admin", "quantri123")
    counter.privacy.open_record(dossier.code)                      # Tuesday 24/11, late
    clock.set(2026, 11, 25, 0, 0)
    counter.dossiers.search(FULL_ID)                                # Wednesday 25/11, midnight
    assert len(counter.privacy.access_log()) == 3
    assert [e["at"].day for e in counter.privacy.access_log({"start": date(2026, 11, 24), "end": date(2026, 11, 24)})] == [24]
    assert [e["kind"] for e in counter.privacy.access_log({"start": date(2026, 11, 24)})] == ["search_id", "view_record"]
    assert [e["clerk"] for e in counter.privacy.access_log({"clerk": "lan"})] == ["lan"]
    assert [e["at"].day for e in counter.privacy.access_log({"kind": "view_record"})] == [24, 23]  # newest first
    assert counter.privacy.access_log({"kind": "export"}) == []


def test_exports_from_the_command_line_name_the_file_and_period(counter, dossier, db_path, tmp_path, capsys,
                                                               monkeypatch):
    monkeypatch.setenv("USER", "tho")
    monkeypatch.setenv("LOGNAME", "tho")
    out = tmp_path / "so-theo-doi.xlsx"
    assert cli(["report", "--db", str(db_path), "--kind", "book", "--from", "2026-11-01", "--to", "2026-11-30",
                "--out", str(out)]) == 0, capsys.readouterr().err
    [entry] = entries(counter, kind="export")
    assert entry["clerk"] == CLI_ACTOR and entry["subject"] == str(out)
    assert entry["detail"] == {"what": "book", "period": {"from": "2026-11-01", "to": "2026-11-30"},
                               "format": "xlsx", "rows": 1, "by": "procedure", "os_user": "tho"}
    pdf = tmp_path / "giay-hen.pdf"
    assert cli(["print", "--db", str(db_path), dossier.code, "--form", "receipt", "--out", str(pdf)]) == 0
    kinds = [(e["kind"], e["clerk"], e["subject"]) for e in entries(counter)]
    assert kinds[:2] == [("export", "admin", str(pdf)), ("print", "admin", dossier.code)]


def test_a_search_from_the_command_line_is_logged_masked(counter, dossier, db_path, capsys):
    assert cli(["search", "--db", str(db_path), FULL_ID]) == 0
    out = capsys.readouterr().out
    assert dossier.code in out and FULL_ID not in out
    [entry] = entries(counter)
    assert (entry["kind"], entry["clerk"], entry["subject"]) == ("search_id", CLI_ACTOR, "0420******45")
