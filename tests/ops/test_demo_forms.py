"""The demo ward types its forms as the entry screen would (issue: the demo wrote keys no template
reads, so its declarations printed the child's fields empty)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from desk_app.counter import Counter
from desk_app.demo import DEMO_ACCOUNTS, generate_demo
from desk_app.models.forms import check_values
from desk_app.printing.papers import Papers


def test_every_demo_form_passes_the_entry_screens_rules_and_prints_filled(tmp_path):
    path = tmp_path / "demo.sqlite3"
    generate_demo(path, dossiers=150, seed=5)
    counter = Counter.open(path)
    counter.login(DEMO_ACCOUNTS[1][0], DEMO_ACCOUNTS[1][3])
    try:
        rows = counter.store.lists.dossiers(limit=1000)
        assert len(rows) >= 140  # the rules refuse (almost) nothing the demo types
        checked = 0
        for row in rows:
            view = counter.dossiers.dossier(row.code)
            if not row.template_id:
                continue
            template = counter.templates.get(row.template_id, row.template_version)
            form = dict(view.state.data.get("form_data", {}))
            unknown = set(form) - {f.id for f in template.fields}
            assert not unknown, (row.code, unknown)  # no key the template does not read
            day = (view.state.received_at or view.state.last_action_at).date()
            result = check_values(template.for_procedure(view.procedure), form, today=day)
            errors = {k: v for k, v in result.errors.items() if not k.startswith("applicant.")}  # typed apart
            assert not errors, (row.code, errors)
            checked += 1
        assert checked > 50
        birth = next(r for r in rows if r.procedure_code == "1.001193")
        child = counter.dossiers.dossier(birth.code).state.data["form_data"]["child.full_name"]
        pdf = Papers(counter).dossier_paper(birth.code, "declaration", record=False).pdf
        text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
        assert child.upper() in text
    finally:
        counter.close()
