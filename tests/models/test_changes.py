"""Each operation says what it changed (models/changes): a screen refreshes that and no more."""

from __future__ import annotations

from desk_app.models.changes import Changes


def test_a_new_dossier_changes_the_queues_the_figures_and_the_outbox(counter, applicant):
    view = counter.dossiers.receive("1.004873", applicant)
    assert view.changes == Changes(frozenset({view.code}), queues=True, figures=True, outbox=True)


def test_a_print_changes_only_its_dossier_and_the_outbox(counter, applicant):
    code = counter.dossiers.receive("1.004873", applicant).code
    printed = counter.dossiers.record_print(code, "receipt", template_id="giay_tiep_nhan", template_version="2026.1")
    assert printed.changes == Changes(frozenset({code}), queues=False, figures=False, outbox=True)


def test_a_step_of_the_dossier_path_moves_it_between_queues(counter, applicant):
    code = counter.dossiers.receive("1.004873", applicant).code
    assert counter.dossiers.start_processing(code).changes.queues
    assert counter.dossiers.mark_result_ready(code).changes.queues


def test_a_survey_moves_the_figures_not_the_queues(counter, applicant):
    code = counter.dossiers.receive("1.004873", applicant).code
    counter.dossiers.mark_result_ready(code)
    counter.dossiers.return_result(code, received_by="Nguyễn Văn An")
    changes = counter.dossiers.record_survey(code, {"officer_polite": 5, "result_on_time": 4}).changes
    assert changes.figures and not changes.queues and changes.dossiers == {code}


def test_a_same_sitting_return_says_the_dossier_was_created():
    created = Changes(frozenset({"A"}), queues=True, figures=True, outbox=True)
    printed = Changes(frozenset({"A"}), outbox=True)
    assert (printed | created) == created
    assert Changes().empty and not printed.empty
