"""A note (the level above, or a clerk, writing where a dossier stands) fits any status and
changes none; it must say something."""

from __future__ import annotations

from datetime import datetime

import pytest

from desk_app.models.clock import VN_TZ
from desk_app.models.errors import ValidationError
from desk_app.models.journal import Action
from desk_app.models.lifecycle import ACTION_LABELS, DossierState, STATUSES, apply

AT = datetime(2026, 12, 4, 9, 0, tzinfo=VN_TZ)


def note(payload):
    return Action(id="n1", dossier_id="d1", kind="note", at=AT, clerk="district", counter=0,
                  device_id="district", payload=payload)


@pytest.mark.parametrize("status", STATUSES)
def test_a_note_fits_every_status_and_changes_none(status):
    state = apply(DossierState(status=status), note({"text": "Đã chuyển Phòng Hộ tịch"}))
    assert state.status == status and state.action_count == 1
    assert ACTION_LABELS["note"] == "Ghi chú"


@pytest.mark.parametrize("payload", [{}, {"text": "  "}, {"text": 3}])
def test_an_empty_note_is_refused(payload):
    with pytest.raises(ValidationError, match="Ghi chú phải có nội dung"):
        apply(DossierState(status="transferred"), note(payload))
