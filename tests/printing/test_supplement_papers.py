"""The papers brought after the one supplement request: recorded, counted from the day the dossier
is complete, and listed on the new receipt with what was handed in at intake (issue: a
supplemented dossier's receipt printed "Thành phần hồ sơ nộp gồm: (không có)")."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from desk_app.models.errors import DomainError
from desk_app.printing.papers import Papers

MARITAL = "1.004873"
FORM = "Tờ khai cấp Giấy xác nhận tình trạng hôn nhân (theo mẫu)"
IDENTITY = ("Giấy tờ tùy thân của người yêu cầu: hộ chiếu, thẻ căn cước, thẻ căn cước công dân, chứng minh nhân dân "
            "hoặc căn cước điện tử còn giá trị sử dụng")
DIVORCE = "Giấy tờ chứng minh đã ly hôn hoặc bên vợ, chồng đã chết (trường hợp đã có vợ, chồng)"


def text_of(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


@pytest.fixture
def waiting(counter, clock, applicant):
    """Asked on Monday 23/11 for the identity paper; the form was handed in."""
    return counter.dossiers.request_supplement([IDENTITY], "Thiếu giấy tờ tùy thân", procedure_code=MARITAL,
                                               applicant=applicant, papers=[FORM])


def test_papers_brought_complete_the_dossier_and_the_receipt_lists_them_all(counter, clock, waiting):
    clock.set(2026, 11, 26, 9, 30)  # Thursday: the citizen comes back
    view = counter.dossiers.supplement(waiting.code, papers=[IDENTITY, DIVORCE])
    assert view.status == "received"
    assert view.state.received_at.date().isoformat() == "2026-11-26"  # counted from the day it is complete
    assert view.state.due_at > view.state.received_at
    text = text_of(Papers(counter).dossier_paper(view.code, "receipt", record=False).pdf)
    assert "(không có)" not in text
    assert FORM in text
    assert "Giấy tờ tùy thân của người yêu cầu" in text and "(bổ sung ngày 26/11/2026)" in text
    assert "Giấy tờ chứng minh đã ly hôn" in text
    assert text.count("bổ sung ngày 26/11/2026") == 2  # the form came at intake, the other two later


def test_still_incomplete_after_the_supplement_is_refused_with_the_way_out(counter, clock, waiting):
    with pytest.raises(DomainError, match="vẫn chưa đủ: Giấy tờ tùy thân.*từ chối tiếp nhận"):
        counter.dossiers.supplement(waiting.code, papers=[DIVORCE])
    assert counter.dossiers.dossier(waiting.code).status == "waiting_supplement"
