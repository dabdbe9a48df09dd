"""Every paper the counter hands out: which template, filled from which data, and the audit.

``Papers(counter)`` finds templates by slip type (receipt, supplement, refusal, apology,
stop_notice, control, book, listing) or by the procedure's declaration template id, builds
the context from the dossier's journal and the ward settings, renders the PDF and records
the print as a journal action (original or reprint).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from ..counter import Counter, DossierView
from ..models.catalogue import Procedure
from ..models.errors import DomainError
from ..models.fees import describe as describe_fee, format_money, settings_on
from ..models.words import money_in_words
from ..models.forms import FormTemplate, TemplateLibrary, derive_values
from ..models.deadlines import TIMELINESS_LABELS, classify_return
from ..models.clock import as_vn
from ..models.intake import PAPER_KIND_LABELS, papers_on_file
from ..models.journal import Action
from ..models.lifecycle import ACTION_LABELS, STATUS_LABELS
from ..models.papers import DOSSIER_PAPERS, NEEDED_STEP, PAPER_LABELS, copy_kind
from ..models.validation import format_date
from ..models.wording import paper_wording
from .render import render_pdf
from .verify import verification_text


WORDS = paper_wording()


@dataclass(frozen=True)
class Paper:
    pdf: bytes
    template: FormTemplate
    filename: str

    @property
    def digest(self) -> str:
        """SHA-256 of the PDF: journaled with each print."""
        return hashlib.sha256(self.pdf).hexdigest()


def balanced_lines(text: str) -> str:
    """Two lines of about equal length, for the issuing unit under the body's name in the
    header ("BỘ PHẬN TIẾP NHẬN / VÀ TRẢ KẾT QUẢ"), never one orphan word."""
    words = text.split()
    if len(words) < 4:
        return text
    best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
    return " ".join(words[:best]) + "\n" + " ".join(words[best:])


def _ward_place(name: str) -> str:
    for prefix in WORDS.texts("ward.place_prefixes"):
        if name.startswith(prefix):
            return name[len(prefix):].split(" (")[0]
    return name


def mid_sentence(name: str) -> str:
    """A unit's name inside a sentence, its kind in small letters (Nghị định 30/2020/NĐ-CP):
    "Phường Đại Nài" -> "phường Đại Nài", "Thị trấn X" -> "thị trấn X"."""
    name = name.split(" (")[0]
    for prefix in WORDS.texts("ward.place_prefixes"):
        if name.startswith(prefix):
            return prefix.lower() + name[len(prefix):]
    return name


class Papers:
    def __init__(self, counter: Counter, library: TemplateLibrary | None = None) -> None:
        self.counter = counter
        self._library = library

    # -- templates ----------------------------------------------------------------------------
    @property
    def library(self) -> TemplateLibrary:
        return self._library or self.counter.templates

    def slip_template(self, slip_type: str) -> FormTemplate:
        """The ward may pick a variant (setting ``template.<slip_type>``); else the newest."""
        chosen = self.counter.setting(f"template.{slip_type}")
        if chosen:
            return self.library.get(chosen)
        candidates = [t for t in self.library.versions.values() if t.slip_type == slip_type]
        if not candidates:
            raise DomainError(f"Chưa có mẫu cho loại giấy “{PAPER_LABELS.get(slip_type, slip_type)}”.",
                              code="template_missing")
        return self.library.latest(sorted(candidates, key=lambda t: t.id)[0].id)

    def template_for(self, view: DossierView, form: str) -> FormTemplate:
        if form == "declaration":
            tid = view.row.template_id or (view.procedure.declaration_template if view.procedure else None)
            if not tid:
                raise DomainError("Thủ tục này không có tờ khai.", code="template_missing")
            return self.library.get(tid, view.row.template_version or None)
        if form not in DOSSIER_PAPERS:
            raise DomainError(f"Không có loại giấy “{form}” (dùng: {', '.join(DOSSIER_PAPERS)}).", code="bad_form")
        return self.slip_template(form)

    # -- context --------------------------------------------------------------------------------
    def paper_key(self) -> str:
        key = self.counter.setting("paper_key")
        if not key:
            key = secrets.token_hex(32)
            self.counter.set_settings({"paper_key": key})
        return key

    def ward_context(self) -> dict[str, Any]:
        c = self.counter
        name = c.ward_name
        unit = c.setting("ward.unit") or WORDS.text("ward.unit", ward=mid_sentence(name))
        body = c.setting("ward.body") or WORDS.text("ward.body", ward=mid_sentence(name))
        return {
            "name": name,
            "code": c.ward_code,
            "body": body,
            "body_lines": balanced_lines(body.upper()),
            "unit": unit,
            "unit_lines": balanced_lines(unit.upper()),
            "place": c.setting("ward.place") or _ward_place(name),
            "province": c.setting("ward.province") or "",
            "address": c.setting("ward.address") or "",
            "phone": c.setting("ward.phone") or "",
            "hotline": c.setting("ward.hotline") or "",
            "head_title": c.setting("ward.head_title") or WORDS.text("ward.head_title"),
            "head_name": c.setting("ward.head_name") or "",
        }

    def _clerk_name(self, username: str | None) -> str:
        if not username:
            return ""
        row = self.counter.store.reference.get_clerk(username)
        return row["full_name"] if row else username

    def procedure_context(self, proc: Procedure | None, day: date | None = None) -> dict[str, Any]:
        """A procedure as the papers describe it, with the fee in force on ``day`` (today)."""
        if proc is None:
            return {}
        day = day or self.counter.now().date()
        return {
            "code": proc.code, "name": proc.name, "domain": proc.domain,
            "time_limit": proc.time_limit.describe(self.counter.office_hours.same_day_cutoff),
            "fee": proc.fee_wording(self.counter.settings(), day),
            "result": proc.result, "solved_by": WORDS.text("procedure.solved_by_ward" if proc.solved_by == "ward" else "procedure.solved_by_other"),
            "channels": ", ".join(proc.submit_channels),
            "components": [{"name": c.name, "paper_kind": c.paper_kind_label, "count": c.count,
                            "required": WORDS.text("procedure.component_required" if c.required else "procedure.component_optional")} for c in proc.components],
            "process": [{"text": s} for s in proc.process],
            "legal_basis": [{"text": s} for s in proc.legal_basis],
            "exemptions": [{"text": s} for s in proc.fee_exemptions],
        }

    def _handover_steps(self, view: Any, actions: list, unit: str) -> list[dict[str, Any]]:
        """The hand-overs the control slip lists. Each is judged against its own step time when
        the transfer carried one (working hours from the previous hand-over), else against the
        dossier's appointment."""
        calendar = self.counter.calendar
        steps: list[dict[str, Any]] = []
        previous = next((_when(a) for a in actions if a.kind in ("received", "supplemented")), None)
        return_hours = None
        for a in actions:
            if a.kind in ("received", "supplemented"):
                previous = _when(a)
            elif a.kind == "processing_started":  # the one-stop hands the dossier to the specialist
                steps.append({"from_unit": unit, "to_unit": a.payload.get("to") or WORDS.text("steps.specialist"),
                              "at": a.at, "due": "", "due_text": "", "verdict": "", "note": ACTION_LABELS[a.kind],
                              "people": self._handover_people(a)})
                previous = a.at
            elif a.kind in ("transferred", "transfer_returned"):
                hours = a.payload.get("step_hours") if a.kind == "transferred" else return_hours
                due = calendar.add_working_hours(previous, float(hours)) if hours and previous else None
                judge = due or (view.state.original_due_at if a.kind == "transfer_returned" else None)
                outgoing = a.kind == "transferred"
                steps.append({
                    "from_unit": unit if outgoing else a.payload.get("from_unit", ""),
                    "to_unit": a.payload.get("to_unit", "") if outgoing else unit,
                    "at": a.at, "due": due or "",
                    "due_text": WORDS.text("steps.due", due=f"{due:%H:%M %d/%m/%Y}") if due else "",
                    "verdict": TIMELINESS_LABELS[classify_return(a.at, judge)] if judge else "",
                    "note": ACTION_LABELS[a.kind], "people": self._handover_people(a),
                })
                if outgoing:
                    return_hours = a.payload.get("return_hours")
                previous = a.at
        return steps

    def _handover_people(self, action: Action) -> str:
        """Who handed over (the clerk who recorded it) and who received, as the slip lists them."""
        giver = WORDS.text("steps.giver", name=self._clerk_name(action.clerk))
        taker = action.payload.get("to", "") if action.kind == "processing_started" else ""
        return giver + (WORDS.text("steps.taker", name=taker) if taker else "")

    def dossier_context(self, view: DossierView, template: FormTemplate, *, copy_kind: str = "original",
                        actions: list[Action] | None = None) -> dict[str, Any]:
        c = self.counter
        if actions is None:
            actions = c.store.actions_for(view.id)
        last = {a.kind: a for a in actions}
        data = view.state.data
        now = c.now()
        papers = [{"name": p["name"] + (WORDS.text("papers.brought", day=format_date(as_vn(p["brought_at"]).date()))
                                        if p.get("brought_at") else ""),
                   "paper_kind": PAPER_KIND_LABELS.get(p["paper_kind"], p["paper_kind"]),
                   "count": p["count"]} for p in papers_on_file(actions)]
        applicant = dict(data.get("applicant", {}))
        if applicant.get("birth_date"):
            applicant["birth_date"] = format_date(date.fromisoformat(applicant["birth_date"]))
        applicant["sex"] = (applicant.get("sex") or "").capitalize()
        principal = dict(data.get("principal") or {})
        ward = self.ward_context()
        unit = ward["unit"]
        steps = self._handover_steps(view, actions, unit)
        received = last.get("supplemented") or last.get("received")
        context: dict[str, Any] = {
            "ward": ward,
            "counter": {"number": c.counter_no},
            "clerk": {"full_name": self._clerk_name(actions[0].clerk if actions else None),
                      "username": actions[0].clerk if actions else ""},
            # a declaration is dated the day the citizen declared it, whenever it is printed
            "declared": {"at": actions[0].at if actions else now,
                         "date": (actions[0].at if actions else now).date()},
            "printed": {"at": now, "date": now.date(), "copy_kind": copy_kind,
                        "copy_label": WORDS.text("footer.reprint") if copy_kind == "reprint" else ""},
            "dossier": {
                "code": view.code, "official_code": view.row.official_code or "",
                "received_at": received.at if received else (actions[0].at if actions else None),
                "due_at": view.state.due_at, "original_due_at": view.state.original_due_at,
                # the appointment the receipt gave: a reprint never shows a later apology's date
                "receipt_due_at": _dt(received.payload.get("due_at")) if received else view.state.due_at,
                "returned_at": view.state.returned_at, "status": STATUS_LABELS.get(view.status, view.status),
                "sets": 1,
                "time_limit": view.procedure.time_limit.describe(c.office_hours.same_day_cutoff) if view.procedure else "",
                "fee": self._fee_text(view, received),
                "result_place": c.setting("ward.result_place") or ward["unit"],
                "book_line": "", "request": view.procedure.name if view.procedure else view.row.procedure_code,
                "papers": papers, "steps": steps, "home_unit": data.get("home_unit") or "",
                # received, solved and handed back in one sitting: no appointment to print
                "returned_at_once": bool("returned" in last and last["returned"].payload.get("at_once")),
            },
            "procedure": self.procedure_context(view.procedure),
            "applicant": applicant,
            "principal": principal,
            "authorisation": {"text": data.get("authorisation") or ""},
        }
        if "supplement_requested" in last:
            p = last["supplement_requested"].payload
            context["supplement"] = {"reason": p.get("reason", ""), "contact": p.get("contact", ""),
                                     "at": last["supplement_requested"].at,
                                     "items": [{"text": i} for i in p.get("items", [])]}
            context["clerk"] = {"full_name": self._clerk_name(last["supplement_requested"].clerk)}
        if "refused" in last:
            context["refusal"] = {"reason": last["refused"].payload.get("reason", ""), "at": last["refused"].at}
        if "apology_issued" in last:
            p = last["apology_issued"].payload
            context["apology"] = {"reason": p.get("reason", ""), "new_due_at": datetime.fromisoformat(p["new_due_at"]),
                                  "previous_due_at": datetime.fromisoformat(p["previous_due_at"]) if p.get("previous_due_at") else None,
                                  "channel": p.get("channel", ""), "at": last["apology_issued"].at}
        if "withdrawn" in last:
            p = last["withdrawn"].payload
            context["withdrawal"] = {"reason": p.get("reason", ""), "clerk": self._clerk_name(last["withdrawn"].clerk),
                                     "at": last["withdrawn"].at,
                                     "requested_at": datetime.fromisoformat(p["requested_at"]) if p.get("requested_at") else last["withdrawn"].at}
        form_values = dict(data.get("form_data", {}))
        context.update(form_values)  # flat ids such as "child.full_name"
        context.update(_money_fields(template, form_values))
        context.update(derive_values(template, form_values, context, today=now.date()))
        context["verify"] = {"text": verification_text(self.paper_key(), view.code, template.id, template.version, now)}
        return context

    def _fee_text(self, view: DossierView, received) -> str:
        """The amount fixed at intake, in figures and words, then the wording of the fee in force
        that day (a fee changed since does not change a paper printed again)."""
        day = received.at.date() if received else self.counter.now().date()
        settings = settings_on(self.counter.settings(), day)
        spec = view.procedure.fee_on(day) if view.procedure else None
        rule = view.procedure.fee_wording(self.counter.settings(), day) if view.procedure else ""
        fee = (received.payload.get("fee") if received else None) or {}
        if "amount" not in fee:
            return rule
        amount = int(fee["amount"])
        if fee.get("exemption"):
            return WORDS.text("fee.exempt", exemption=fee["exemption"])
        if fee.get("late"):
            late = spec.late if spec and spec.late else None
            late_rule = describe_fee(late, settings) if late else rule
            if amount == 0:  # the province's late fee is not set at this ward: nothing was charged
                return WORDS.text("fee.late_not_set", rule=late_rule[:1].lower() + late_rule[1:])
            return WORDS.text("fee.late", amount=format_money(amount), words=money_in_words(amount), rule=late_rule)
        if amount == 0:
            return rule.split(";")[0] if rule else WORDS.text("fee.free")
        return WORDS.text("fee.charged", amount=format_money(amount), words=money_in_words(amount), rule=rule)

    # -- papers ---------------------------------------------------------------------------------
    def dossier_paper(self, key: str, form: str, *, record: bool = True) -> Paper:
        """Render one paper of a dossier; ``record`` journals the print (a preview does not)."""
        view = self.counter.dossiers.dossier(key)
        actions = self.counter.store.actions_for(view.id)  # read once for the checks and the context
        if view.status == "cancelled":
            raise DomainError(f"Hồ sơ {view.code} đã hủy do nhập nhầm: không in giấy tờ của hồ sơ này.",
                              code="not_printable")
        needed = NEEDED_STEP.get(form)
        if needed and not any(a.kind in needed for a in actions):
            steps = " hoặc ".join(f"“{ACTION_LABELS[k]}”" for k in needed)
            raise DomainError(f"Hồ sơ {view.code} chưa có bước {steps} nên chưa in được "
                              f"{PAPER_LABELS[form].lower()}.", code="not_printable")
        if form == "receipt" and view.state.received_at is None and view.status != "returned":
            raise DomainError(f"Hồ sơ {view.code} chưa được tiếp nhận (đang “{STATUS_LABELS.get(view.status)}”) "
                              "nên chưa có giấy hẹn trả kết quả.", code="not_printable")
        template = self.template_for(view, form)
        # as it will come out of the printer: a preview of a paper printed before says "Bản in lại"
        context = self.dossier_context(view, template, copy_kind=copy_kind(actions, form), actions=actions)
        paper = Paper(render_pdf(template, context), template, f"{view.code}-{form}.pdf")
        if record:
            self.counter.dossiers.record_print(view.code, form, template_id=template.id, template_version=template.version,
                                               digest=paper.digest)
        return paper

    def listing(self, procedure_code: str) -> Paper:
        """The public listing (niêm yết) of one procedure."""
        proc = self.counter.catalogue.get(procedure_code)
        template = self.slip_template("listing")
        now = self.counter.now()
        context = {"ward": self.ward_context(), "procedure": self.procedure_context(proc),
                   "printed": {"at": now, "date": now.date(), "copy_kind": "original", "copy_label": ""}}
        return Paper(render_pdf(template, context), template, f"niem-yet-{proc.code}.pdf")

    def book_rows(self, start: date, end: date) -> list[dict[str, Any]]:
        """The tracking book's rows: dossiers created from ``start`` to ``end``, oldest first
        (the PDF here and the spreadsheet of printing/reports.py alike)."""
        c = self.counter
        tz = c.now().tzinfo
        rows = []
        for row in c.store.lists.book_entries(datetime.combine(start, time(0, 0), tz),
                                              datetime.combine(end, time(23, 59, 59), tz)):
            rows.append({
                "code": row["code"], "procedure": c.catalogue.name_of(row["procedure_code"]),
                "applicant": row["applicant_name"],
                "contact": "; ".join(x for x in (row["address"], row["applicant_phone"]) if x),
                "solver": WORDS.text("book.solver_transferred" if row["transferred"] else "book.solver_ward"),
                "received_at": _dt(row["received_at"] or row["created_at"]),
                "due_at": _dt(row["due_at"]), "returned_at": _dt(row["returned_at"]),
                "result_channel": (WORDS.text("book.cancelled") if row["status"] == "cancelled"
                                   else WORDS.text("book.returned_in_person") if row["returned_at"] else ""),
                "status": STATUS_LABELS.get(row["status"], row["status"]),
                "cancelled": row["status"] == "cancelled",  # struck through, its code kept
            })
        return rows

    def book(self, start: date, end: date) -> Paper:
        """The tracking book (sổ theo dõi hồ sơ) of dossiers received from ``start`` to ``end``."""
        if end < start:
            raise DomainError("Ngày kết thúc phải sau ngày bắt đầu.", code="bad_range")
        c = self.counter
        template = self.slip_template("book")
        rows = self.book_rows(start, end)
        now = c.now()
        context = {"ward": self.ward_context(), "book": {"from": start, "to": end, "count": len(rows), "rows": rows},
                   "printed": {"at": now, "date": now.date(), "copy_kind": "original", "copy_label": ""}}
        return Paper(render_pdf(template, context), template, f"so-theo-doi-{start:%Y%m%d}-{end:%Y%m%d}.pdf")


def _money_fields(template: FormTemplate, values: dict[str, Any]) -> dict[str, str]:
    """A sum of money as a paper writes it: "50.000.000 đồng (Năm mươi triệu đồng)", never 50000000."""
    out = {}
    for f in template.fields:
        raw = str(values.get(f.id) or "").replace(".", "").replace(" ", "")
        if f.type == "money" and raw.isdigit():
            out[f.id] = WORDS.text("money", amount=format_money(int(raw)), words=money_in_words(int(raw)))
    return out


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _when(action: Any) -> datetime:
    """When an intake action started the legal clock."""
    started = action.payload.get("clock_started_at")
    return datetime.fromisoformat(started) if started else action.at
