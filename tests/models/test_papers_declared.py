"""The papers of a dossier, declared once (models/papers.py): the printing room, the dossier
screen and the journal agree on which paper exists when, and on what a reprint is."""

from __future__ import annotations

import pytest

from desk_app.models.errors import DomainError
from desk_app.models.papers import DOSSIER_PAPERS, NEEDED_STEP, available, copy_kind
from desk_app.printing.papers import Papers


def test_each_slip_exists_once_its_step_is_journalled_and_printing_agrees(counter, applicant, clock):
    view = counter.dossiers.receive("1.004873", applicant)
    papers = Papers(counter)
    kinds = [a.kind for a in counter.store.actions_for(view.id)]
    have = available(received=True, has_declaration=True, kinds=kinds)
    assert have == ["receipt", "declaration"]
    for form in DOSSIER_PAPERS:
        if form in have:
            assert papers.dossier_paper(view.code, form, record=False).pdf.startswith(b"%PDF")
        else:
            with pytest.raises(DomainError) as err:
                papers.dossier_paper(view.code, form, record=False)
            assert err.value.code == "not_printable" and NEEDED_STEP[form]
    counter.dossiers.issue_apology(view.code, "Cần xác minh thêm", clock().date().replace(day=30))
    kinds = [a.kind for a in counter.store.actions_for(view.id)]
    assert "apology" in available(received=True, has_declaration=True, kinds=kinds)


def test_the_preview_of_a_paper_printed_before_says_reprint_like_the_journal(counter, applicant):
    view = counter.dossiers.receive("1.004873", applicant)
    papers = Papers(counter)
    assert copy_kind(counter.store.actions_for(view.id), "receipt") == "original"
    papers.dossier_paper(view.code, "receipt")  # printed: journalled as the original
    assert copy_kind(counter.store.actions_for(view.id), "receipt") == "reprint"
    preview = papers.dossier_paper(view.code, "receipt", record=False)
    from pypdf import PdfReader
    import io
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(preview.pdf)).pages)
    assert "Bản in lại" in " ".join(text.split())
    counter_prints = [a.payload["copy_kind"] for a in counter.store.actions_for(view.id) if a.kind == "printed"]
    assert counter_prints == ["original"]  # the preview journals nothing
