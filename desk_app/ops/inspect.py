"""What support staff and scripts read of a ward, as plain JSON-ready dicts (``desk-app list`` and
``desk-app show --json``): one dossier's fields, state, due time, fee, the papers printed with
their digests, and its journal. Reading full personal data is logged in the access log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping

from ..models.errors import ValidationError
from ..models.lifecycle import ACTION_LABELS, STATUS_LABELS, STATUSES


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value)]
    return value


def dossier_rows(counter: Any, *, status: str | None = None, procedure: str | None = None,
                 limit: int = 1000) -> list[dict[str, Any]]:
    """One line per dossier: code, procedure, status, due time, flags (no personal data beyond
    the applicant's name, as the dossier list shows it)."""
    if status and status not in STATUSES:
        raise ValidationError(f"Không có trạng thái “{status}” (dùng: {', '.join(STATUSES)}).", field="status")
    if procedure:
        counter.catalogue.get(procedure)  # an unknown code says so in Vietnamese
    out = []
    for row in counter.store.lists.dossiers(status=status, procedure=procedure, limit=limit):
        out.append(_plain({
            "code": row.code, "official_code": row.official_code, "procedure_code": row.procedure_code,
            "procedure": counter.catalogue.name_of(row.procedure_code), "applicant": row.applicant_name,
            "status": row.status, "status_label": STATUS_LABELS.get(row.status, row.status),
            "received_at": row.received_at, "due_at": row.due_at, "returned_at": row.returned_at,
            "flags": counter.dossiers.flags_of(row),
        }))
    return out


def dossier_record(counter: Any, key: str) -> dict[str, Any]:
    """Everything the counter holds of one dossier; opening it is logged as a record viewed."""
    view = counter.dossiers.dossier(key)
    counter.privacy.log_access("view_record", view.code, {"procedure": view.row.procedure_code, "via": "cli show"})
    actions = counter.store.actions_for(view.id)
    state = view.state
    received = next((a for a in reversed(actions) if a.kind in ("received", "supplemented") and "fee" in a.payload), None)
    printed = [{"form": a.payload.get("form"), "copy_kind": a.payload.get("copy_kind"),
                "template": f"{a.payload.get('template_id', '')}@{a.payload.get('template_version', '')}",
                "sha256": a.payload.get("sha256"), "at": a.at, "clerk": a.clerk}
               for a in actions if a.kind == "printed"]
    return _plain({
        "code": view.code, "official_code": view.row.official_code,
        "procedure": {"code": view.row.procedure_code, "name": counter.catalogue.name_of(view.row.procedure_code)},
        "template": {"id": view.row.template_id, "version": view.row.template_version},
        "status": state.status, "status_label": state.status_label, "flags": view.flags,
        "received_at": state.received_at, "due_at": state.due_at, "original_due_at": state.original_due_at,
        "paused_at": state.paused_at, "returned_at": state.returned_at, "timeliness": state.timeliness,
        "fee": (received.payload.get("fee") if received else None),
        "applicant": state.data.get("applicant", {}), "principal": state.data.get("principal"),
        "fields": state.data.get("form_data", {}), "papers_received": state.data.get("papers", []),
        "papers_printed": printed,
        "journal": [{"seq": n, "kind": a.kind, "label": ACTION_LABELS.get(a.kind, a.kind), "at": a.at,
                     "clerk": a.clerk, "counter": a.counter, "payload": {k: v for k, v in a.payload.items()
                                                                           if k != "dossier"},
                     "hash": a.hash} for n, a in enumerate(actions, 1)],
    })
