"""One dossier state for every reader: a paused clock is paused in the list, the queues, the
statistics and the detail pane alike (issue 19, defect 1)."""

from __future__ import annotations

from datetime import date

import pytest

from desk_app.counter import Counter
from desk_app.models.errors import DomainError, ValidationError
from desk_app.models.statistics import Period
from desk_app.storage.statistics import gather

MARITAL = "1.004873"  # marital-status certificate: verification may pause the clock


def paused_past_due(counter, clock, applicant):
    view = counter.dossiers.receive(MARITAL, applicant)  # due Friday 27/11/2026 17:00
    clock.set(2026, 11, 25, 9, 0)
    counter.dossiers.pause_clock(view.code, "Chờ kết quả xác minh tình trạng hôn nhân")
    clock.set(2026, 11, 30, 8, 0)  # past the old appointment: the clock stands still
    return view.code


def test_a_paused_dossier_is_not_late_in_the_list_nor_in_the_queues(counter, clock, applicant):
    code = paused_past_due(counter, clock, applicant)
    late = counter.dossiers.receive(MARITAL, applicant).code  # received now, not paused: the control
    clock.set(2026, 12, 4, 8, 0)
    row = counter.store.get_dossier(code)
    assert row.paused_at is not None
    assert counter.dossiers.flags_of(row) == counter.dossiers.dossier(code).flags == {"paused"}
    for name in ("overdue", "needs_apology", "due_today", "due_tomorrow"):
        assert code not in [r.code for r in counter.dossiers.queue(name)], name
    assert late in [r.code for r in counter.dossiers.queue("overdue")]
    assert late in [r.code for r in counter.dossiers.queue("needs_apology")]
    assert "needs_apology" in counter.dossiers.flags_of(counter.store.get_dossier(late))


def test_the_statistics_count_a_paused_dossier_as_not_yet_due(counter, clock, applicant):
    code = paused_past_due(counter, clock, applicant)
    period = Period(clock().date().replace(day=1), clock().date())
    total = gather(counter.store, period, now=clock()).total
    assert (total.counts["pending_overdue"], total.counts["pending_not_due"]) == (0, 1)
    counter.dossiers.resume_clock(code)  # the appointment moves by the working time it stood still
    total = gather(counter.store, period, now=clock()).total
    assert (total.counts["pending_overdue"], total.counts["pending_not_due"]) == (0, 1)


def test_an_older_database_learns_its_paused_dossiers(db_path, counter, clock, applicant):
    code = paused_past_due(counter, clock, applicant)
    resumed = counter.dossiers.receive(MARITAL, applicant).code
    counter.dossiers.pause_clock(resumed, "Xác minh")
    counter.dossiers.resume_clock(resumed)
    conn = counter.store.conn
    conn.execute("DROP INDEX dossiers_submission")  # as schema 9 had it
    conn.execute("ALTER TABLE dossiers DROP COLUMN submission_id")
    conn.execute("ALTER TABLE dossiers DROP COLUMN paused_at")
    conn.execute("DROP TABLE inbox")
    conn.execute("PRAGMA user_version = 9")
    counter.close()
    again = Counter.open(db_path, clock=clock)
    assert again.store.get_dossier(code).paused_at is not None
    assert again.store.get_dossier(resumed).paused_at is None
    again.close()


def test_a_same_day_return_is_one_transaction_all_three_steps_or_none(counter, applicant, monkeypatch):
    COPY = "2.000884"  # certification of a signature: same day
    view = counter.dossiers.receive_and_return(COPY, applicant)
    assert view.status == "returned"
    assert [a.kind for a in counter.store.actions_for(view.id)] == ["received", "result_ready", "returned"]
    before = counter.store.checks.counts()

    def broken(*args, **kwargs):
        raise DomainError("Mất điện giữa chừng")

    monkeypatch.setattr(counter.dossiers, "return_result", broken)
    with pytest.raises(DomainError):
        counter.dossiers.receive_and_return(COPY, {**applicant, "id_number": "042090099999"})
    assert counter.store.checks.counts() == before  # no dossier, no action, no outbox row left
    with pytest.raises(ValidationError, match="trong ngày"):
        counter.dossiers.receive_and_return(MARITAL, applicant)
    assert counter.check() == []


def test_a_dossier_needs_its_apology_from_the_last_day_one_is_on_time(counter, clock, applicant):
    """Nghị định 118/2025: the apology comes at least one day before the due date. The queue shows
    the dossier from that day, not after the due time; an apology made later is recorded late."""
    code = counter.dossiers.receive(MARITAL, applicant).code  # Monday 23/11, due Friday 27/11 17:00
    assert code not in [r.code for r in counter.dossiers.queue("needs_apology")]
    clock.set(2026, 11, 26, 9, 0)  # Thursday: the last day an apology is on time
    assert code in [r.code for r in counter.dossiers.queue("needs_apology")]
    assert "needs_apology" in counter.dossiers.dossier(code).flags
    late = counter.dossiers.receive(MARITAL, {**applicant, "full_name": "Lê Văn Trễ"}).code  # due Tue 01/12
    clock.set(2026, 11, 27, 10, 0)  # Friday, the due day itself: an apology now is late
    view = counter.dossiers.issue_apology(code, "Chờ kết quả xác minh", date(2026, 12, 2))
    assert view.state.apology_on_time is False
    assert code not in [r.code for r in counter.dossiers.queue("needs_apology")]
    assert late not in [r.code for r in counter.dossiers.queue("needs_apology")]  # due next Tuesday
