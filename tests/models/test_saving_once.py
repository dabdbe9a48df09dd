"""A form is saved once (issue: a second Ctrl+Enter made a second dossier with its own code and
receipt, and a second Ctrl+B bypassed the one-supplement rule), and an action that must say why
is never recorded with an empty reason."""

from __future__ import annotations

import pytest

from desk_app.models.errors import ValidationError

MARITAL = "1.004873"


def test_saving_the_same_form_twice_gives_the_dossier_it_became(counter, applicant):
    first = counter.dossiers.receive(MARITAL, applicant, submission_id="form-1")
    before = counter.store.checks.counts()
    again = counter.dossiers.receive(MARITAL, applicant, submission_id="form-1")
    assert again.repeated and not first.repeated
    assert again.code == first.code and again.changes.empty
    assert counter.store.checks.counts() == before  # no dossier, action or outbox row added
    other = counter.dossiers.receive(MARITAL, applicant, submission_id="form-2")
    assert other.code != first.code and not other.repeated


def test_a_second_supplement_request_from_the_same_form_is_the_first(counter, applicant):
    ask = dict(procedure_code=MARITAL, applicant=applicant, papers=[], submission_id="form-3")
    first = counter.dossiers.request_supplement(["Giấy xác nhận nơi cư trú"], "Thiếu giấy tờ", **ask)
    again = counter.dossiers.request_supplement(["Khác"], "Lần hai", **ask)
    assert again.code == first.code and again.repeated
    assert again.state.supplement_requests == 1 and again.state.supplement_items == ("Giấy xác nhận nơi cư trú",)


def test_the_same_form_saved_again_after_a_restart_is_still_found(db_path, counter, clock, applicant):
    from desk_app.counter import Counter

    code = counter.dossiers.receive(MARITAL, applicant, submission_id="form-4").code
    counter.close()
    again = Counter.open(db_path, clock=clock)
    again.login("lan", "canbo1234")
    assert again.dossiers.saved_as("form-4").code == code
    assert again.dossiers.saved_as("never-saved") is None
    again.close()


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_a_stop_refusal_apology_or_supplement_with_a_blank_reason_is_refused(counter, applicant, blank):
    code = counter.dossiers.receive(MARITAL, applicant).code
    with pytest.raises(ValidationError, match="lý do dừng"):
        counter.dossiers.withdraw(code, blank)
    with pytest.raises(ValidationError, match="lý do chậm"):
        counter.dossiers.issue_apology(code, blank, counter.now().date().replace(day=30))
    with pytest.raises(ValidationError, match="lý do từ chối"):
        counter.dossiers.refuse(blank, procedure_code=MARITAL, applicant=applicant)
    with pytest.raises(ValidationError, match="lý do yêu cầu bổ sung"):
        counter.dossiers.request_supplement(["Giấy xác nhận nơi cư trú"], blank, dossier=code)
    assert counter.dossiers.dossier(code).status == "received"
    assert [a.kind for a in counter.store.actions_for(counter.dossiers.dossier(code).id)] == ["received"]
