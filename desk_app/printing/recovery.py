"""The recovery sheet: the ward's recovery key on paper, to seal in an envelope."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..models.forms import load_template_file
from ..paths import templates_dir
from ..models.settings import default_of
from ..storage import keys
from .render import render_pdf


def recovery_sheet(recovery_key: str, *, db_path: Path, ward_name: str, made_by: str, made_at: datetime) -> bytes:
    template = load_template_file(templates_dir() / "reports" / "phieu_khoa_khoi_phuc.toml")
    body = ward_name.split(" (")[0]
    context = {
        "ward": {"name": ward_name, "body": f"UBND {body}", "unit_lines": default_of("ward.unit"),
                 "place": body.replace("Phường ", "").replace("Xã ", ""), "unit": default_of("ward.unit")},
        "printed": {"at": made_at, "date": made_at.date(), "copy_kind": "original", "copy_label": ""},
        "recovery": {"key": recovery_key, "database": str(db_path), "made_at": made_at, "made_by": made_by,
                     "key_file": keys.key_file(db_path).name},
    }
    return render_pdf(template, context)
