"""The late-registration fee and the clerk's exemptions (issue 19, defect 2): the catalogue's
window (60 days for a birth, 15 for a death) decides, from the form's own date."""

from __future__ import annotations

from datetime import date

import pytest

from desk_app.models.catalogue import load_catalogue
from desk_app.models.errors import ValidationError
from desk_app.models.forms import load_library
from desk_app.models.intake import quote_fee, registration_timeliness
from desk_app.paths import templates_dir

CATALOGUE = load_catalogue()
BIRTH, DEATH = CATALOGUE.get("1.001193"), CATALOGUE.get("1.000656")
SETTINGS = {"fee.1.001193.late": "8.000", "fee.1.000656.late": "5000"}
TODAY = date(2026, 12, 4)


@pytest.mark.parametrize("proc, field, born, late", [
    (BIRTH, "child.birth_date", "05/10/2026", False),  # the 60th day
    (BIRTH, "child.birth_date", "04/10/2026", True),  # the 61st
    (DEATH, "deceased.death_date", "19/11/2026", False),  # the 15th day
    (DEATH, "deceased.death_date", "18/11/2026", True),
])
def test_the_window_counts_from_the_forms_date(proc, field, born, late):
    assert registration_timeliness(proc, {field: born}, TODAY).late is late
    quote = quote_fee(proc, {field: born}, SETTINGS, today=TODAY)
    assert quote.late is late
    assert quote.amount == ((8000 if proc is BIRTH else 5000) if late else 0)
    assert any(("quá hạn" if late else "đúng hạn") in line for line in quote.lines), quote.lines


def test_an_exemption_chosen_by_the_clerk_waives_the_late_fee():
    quote = quote_fee(BIRTH, {"child.birth_date": "01/01/2026", "fee_exempt": "Người thuộc hộ nghèo"},
                      SETTINGS, today=TODAY)
    assert (quote.amount, quote.late, quote.exemption) == (0, True, "Người thuộc hộ nghèo")
    with pytest.raises(ValidationError, match="không phải trường hợp được miễn"):
        # decided by the window, not chosen
        quote_fee(BIRTH, {"child.birth_date": "01/01/2026", "fee_exempt": "Đăng ký khai sinh đúng hạn"},
                  SETTINGS, today=TODAY)


def test_an_unknown_start_is_said_not_guessed():
    quote = quote_fee(BIRTH, {}, SETTINGS, today=TODAY)
    assert quote.amount == 0 and not quote.late
    assert any("chưa xác định được" in line for line in quote.lines)


def test_every_procedure_with_exemptions_offers_them_on_its_form():
    library = load_library(templates_dir(), strict=True)
    offered = 0
    for proc in CATALOGUE.procedures:
        form = library.latest(proc.declaration_template).for_procedure(proc)
        fields = {f.id: f for f in form.fields}
        if proc.chosen_fee_exemptions:
            assert fields["fee_exempt"].choices == proc.chosen_fee_exemptions, proc.code
            offered += 1
        else:
            assert "fee_exempt" not in fields, proc.code
        if proc.on_time_window_days:
            assert proc.on_time_from in fields, proc.code  # the window's start is typed on the form
    assert offered == 11


def test_a_fee_changed_on_a_day_applies_to_dossiers_received_from_that_day(counter, clock, applicant):
    """Fees carry effective dates: a dossier received before a change keeps its fee on every paper,
    one received after pays the new fee (catalogue fee_changes, and a province's amount set ahead
    as fee.<code>@YYYY-MM-DD)."""
    import io
    import re

    from pypdf import PdfReader

    from dataclasses import replace

    from desk_app.counter import Counter
    from desk_app.models.catalogue import parse_procedure
    from desk_app.printing.papers import Papers

    COPY = "2.000884"  # certification of a signature: 10.000 đồng/trường hợp today
    catalogue = counter.catalogue
    changed = parse_procedure({**catalogue.get(COPY).to_dict(), "fee_changes": [
        {"from": "2026-12-01", "fee": {"kind": "fixed", "amount": 15000, "unit": "trường hợp"},
         "source": "Thông tư giả định để thử (không phải văn bản thật)"}]})
    counter.store.reference.save_catalogue(replace(catalogue, procedures=tuple(
        changed if p.code == COPY else p for p in catalogue.procedures)))  # as a reference push stores it
    path = counter.store.path
    counter.close()
    counter = Counter.open(path, clock=clock)
    counter.login("lan", "canbo1234")
    form = {"certification.kind": "Chứng thực chữ ký", "document.name": "Giấy ủy quyền"}
    before = counter.dossiers.receive(COPY, applicant, form_data=form)  # Monday 23/11
    clock.set(2026, 12, 1, 9, 0)
    after = counter.dossiers.receive(COPY, {**applicant, "full_name": "Lê Văn Sau"}, form_data=form)

    def receipt(code):
        pdf = Papers(counter).dossier_paper(code, "receipt", record=False).pdf
        return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))

    assert "7. Phí, lệ phí: 10.000 đồng (Mười nghìn đồng); 10.000 đồng/trường hợp." in receipt(before.code)
    assert "7. Phí, lệ phí: 15.000 đồng (Mười lăm nghìn đồng); 15.000 đồng/trường hợp." in receipt(after.code)


def test_a_provincial_amount_set_ahead_applies_from_its_day():
    from datetime import date

    from desk_app.models.fees import settings_on

    settings = {"fee.1.004873": "8000", "fee.1.004873@2027-01-01": "10.000", "fee.1.004873@2026-07-01": "9000"}
    assert settings_on(settings, date(2026, 6, 30))["fee.1.004873"] == "8000"
    assert settings_on(settings, date(2026, 12, 3))["fee.1.004873"] == "9000"
    assert settings_on(settings, date(2027, 1, 1))["fee.1.004873"] == "10.000"
