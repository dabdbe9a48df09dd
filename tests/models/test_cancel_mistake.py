"""'Hủy hồ sơ nhập nhầm': a dossier typed by mistake is cancelled, not stopped (a stop is a legal
act): a reason is required, the clerk may before any paper reached the citizen and a leader
after; it is journaled and synced like any action, struck through in the tracking book, counted
apart in the statistics, and its code is never issued again."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from desk_app.models.errors import DomainError, ValidationError
from desk_app.models.statistics import Period
from desk_app.printing.papers import Papers
from desk_app.printing.render import Renderer
from reportlab.platypus import Table

MARITAL = "1.004873"


def test_the_clerk_cancels_a_mistake_before_any_paper_left_the_counter(counter, applicant):
    view = counter.dossiers.receive(MARITAL, applicant)
    with pytest.raises(ValidationError, match="lý do hủy"):
        counter.dossiers.cancel(view.code, "  ")
    cancelled = counter.dossiers.cancel(view.code, "Chọn nhầm thủ tục")
    assert cancelled.status == "cancelled" and cancelled.state.status_label == "Đã hủy (nhập nhầm)"
    last = counter.store.actions_for(view.id)[-1]
    assert (last.kind, last.payload["reason"], last.clerk) == ("cancelled", "Chọn nhầm thủ tục", "lan")
    assert counter.store.outbox.counts()["pending"] >= 2  # synced like every action
    assert all(view.code not in [r.code for r in counter.dossiers.queue(q)] for q in
               ("due_today", "due_tomorrow", "overdue", "needs_apology"))
    with pytest.raises(DomainError, match="không in giấy tờ"):
        Papers(counter).dossier_paper(view.code, "receipt")
    with pytest.raises(DomainError):
        counter.dossiers.cancel(view.code, "Lần hai")  # once
    again = counter.dossiers.receive(MARITAL, applicant)
    assert again.code != view.code and again.code > view.code  # the code is never issued again


def test_after_a_paper_was_handed_over_only_a_leader_cancels(counter, applicant):
    view = counter.dossiers.receive(MARITAL, applicant)
    Papers(counter).dossier_paper(view.code, "receipt")  # the receipt went to the citizen
    with pytest.raises(DomainError, match="chỉ lãnh đạo"):
        counter.dossiers.cancel(view.code, "Nhập trùng")
    counter.login("admin", "quantri123")
    done = counter.dossiers.cancel(view.code, "Nhập trùng với hồ sơ khác")
    assert done.status == "cancelled"
    assert counter.store.actions_for(view.id)[-1].payload["handed_over"] is True


def test_a_cancelled_dossier_counts_apart_and_is_struck_through_in_the_book(counter, applicant, clock):
    kept = counter.dossiers.receive(MARITAL, applicant)
    wrong = counter.dossiers.receive(MARITAL, {**applicant, "full_name": "Trần Văn Nhầm"})
    counter.dossiers.cancel(wrong.code, "Nhập sai người nộp")
    day = counter.now().date()
    figures = counter.statistics(Period(day, day)).total
    assert figures.counts["received"] == 1 and figures.counts["cancelled"] == 1
    pdf = Papers(counter).book(day, day).pdf
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)  # narrow columns
    assert kept.code in text and wrong.code in text and "Đãhủy(nhậpnhầm)" in text
    # the cancelled row's cells are drawn struck through, the other row's not
    papers = Papers(counter)
    template = papers.slip_template("book")
    rows = papers.book_rows(day, day)
    story = Renderer(template, {"ward": papers.ward_context(), "book": {"from": day, "to": day, "count": 2,
                                                                         "rows": rows}}).build()
    table = next(f for f in story if isinstance(f, Table) and len(f._cellvalues) == 3)  # heading + 2 rows
    struck = {}
    for cells in table._cellvalues[1:]:
        code = "".join(getattr(frag, "text", "") for frag in cells[1].frags)
        struck[code] = all(getattr(frag, "strike", 0) for frag in cells[1].frags)
    assert struck == {kept.code: False, wrong.code: True}
