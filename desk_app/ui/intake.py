"""Tiếp nhận: find the procedure, find the citizen, type the form for them, tick the papers,
then accept (and print for signature), ask for supplements once, or refuse.

Only shows and collects: the rules are in desk_app.models, the operations in Counter.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..counter import Counter, DossierView
from ..models.catalogue import Procedure
from ..models.errors import DomainError
from ..models.forms import FormCheck, FormTemplate, split_applicant
from ..models.intake import PAPER_KIND_LABELS
from ..models.journal import new_id
from ..models.privacy import mask_id_number, mask_phone
from ..models.validation import format_date
from ..printing.papers import Paper, Papers
from .common import InputDialog, ok_cancel
from .form_widget import TemplateForm
from .preview import DossierPrints, PdfPreviewDialog, PrinterBackend
from .survey import SurveyDialog, offer_survey

APPLICANT_FRAGMENT = "nguoi_nop_ho_so"


def warn(parent: QWidget, message: str) -> None:
    QMessageBox.warning(parent, "Quầy Một Cửa", message)


class SupplementDialog(QDialog):
    """Every missing or wrong item at once: there is no second request."""

    def __init__(self, items: list[str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (một lần)")
        self.items = QPlainTextEdit("\n".join(items))
        self.items.setObjectName("items")
        self.reason = QLineEdit("Hồ sơ chưa đủ thành phần theo quy định")
        self.reason.setObjectName("reason")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Các nội dung cần bổ sung (mỗi dòng một nội dung, ghi đủ một lần):"))
        layout.addWidget(self.items)
        layout.addWidget(QLabel("Lý do:"))
        layout.addWidget(self.reason)
        buttons = ok_cancel("Lập phiếu và in", "Quay lại", self.accept, self.reject)
        layout.addWidget(buttons)
        self.items.setTabChangesFocus(True)
        QWidget.setTabOrder(self.items, self.reason)
        self.items.setFocus()  # never on the button: Enter too early prints no empty request

    def values(self) -> tuple[list[str], str]:
        return [line.strip() for line in self.items.toPlainText().splitlines() if line.strip()], self.reason.text()


class IntakeView(QWidget):
    changed = Signal(object)  # the Changes of a dossier saved or printed here: the main window passes them on

    def __init__(self, counter: Counter, *, printer: PrinterBackend, preview: bool = True, parent=None) -> None:
        super().__init__(parent)
        self.counter, self.printer, self.preview = counter, printer, preview
        self.papers_service = Papers(counter)
        self.procedure: Procedure | None = None
        self.template: FormTemplate | None = None
        self.form: TemplateForm | None = None
        self.applicant_form: TemplateForm | None = None
        self._forms: dict[tuple, TemplateForm] = {}  # by template version and its catalogue choices
        self.draft_id = new_id()  # the form's id: its draft while typed, the dossier's submission after
        self.submitted = False  # the form on screen is saved as a dossier
        self.last_view: DossierView | None = None
        self.survey_dialog: SurveyDialog | None = None
        self.refusal_dialog: InputDialog | None = None  # open while the clerk types the reason
        self._draft_timer = QTimer(self, singleShot=True, interval=400, timeout=self.save_draft)
        self._dirty = False  # typed since the procedure was chosen or the dossier saved

        self.procedure_search = QLineEdit(objectName="procedure_search")
        self.procedure_search.setPlaceholderText("Thủ tục: gõ tên (không cần dấu) hoặc mã — F2")
        self.procedure_search.textChanged.connect(self.filter_procedures)
        self.procedure_search.returnPressed.connect(self.pick_first_procedure)
        self.procedure_list = QListWidget(objectName="procedure_list")
        self.procedure_list.itemActivated.connect(lambda item: self.choose_procedure(item.data(Qt.UserRole)))
        self.procedure_list.setMaximumHeight(150)
        self.procedure_list.setWordWrap(True)

        self.citizen_search = QLineEdit(objectName="citizen_search")
        self.citizen_search.setPlaceholderText("Công dân đã đến: CCCD, số điện thoại hoặc họ tên — Enter để tìm")
        self.citizen_search.returnPressed.connect(lambda: self.lookup_citizen(self.citizen_search.text()))
        self.citizen_results = QListWidget(objectName="citizen_results")
        self.citizen_results.setMaximumHeight(110)
        self.citizen_results.itemActivated.connect(lambda item: self.fill_citizen(item.data(Qt.UserRole)))

        self.heading = QLabel("Chọn thủ tục để bắt đầu.", objectName="heading")
        self.heading.setWordWrap(True)
        self.forms_box = QVBoxLayout()
        self.papers = QListWidget(objectName="papers")
        self.papers.setWordWrap(True)
        self.message = QLabel("", objectName="message")
        self.message.setWordWrap(True)

        self.accept_button = QPushButton("Tiếp nhận và in (Ctrl+Enter)", objectName="accept")
        self.accept_button.clicked.connect(lambda: self.accept())
        self.accept_button.setToolTip("Tiếp nhận hồ sơ đủ thành phần, in giấy hẹn và tờ khai để ký")
        self.same_day_button = QPushButton("Trả ngay (Ctrl+T)", objectName="same_day")
        self.same_day_button.clicked.connect(lambda: self.return_at_once())
        self.same_day_button.setToolTip("Không hẹn: tiếp nhận, giải quyết và trả kết quả ngay trong buổi")
        self.supplement_button = QPushButton("Bổ sung… (Ctrl+B)", objectName="supplement")
        self.supplement_button.clicked.connect(self.ask_supplement)
        self.supplement_button.setToolTip("Phiếu yêu cầu bổ sung: ghi đủ mọi nội dung còn thiếu, chỉ một lần")
        self.refuse_button = QPushButton("Từ chối… (Ctrl+R)", objectName="refuse")
        self.refuse_button.clicked.connect(self.ask_refusal)
        self.new_button = QPushButton("Mới (Ctrl+N)", objectName="new")
        self.new_button.clicked.connect(self.reset)

        left = QVBoxLayout()
        left.addWidget(QLabel("<b>1. Thủ tục</b>"))
        left.addWidget(self.procedure_search)
        left.addWidget(self.procedure_list)
        left.addWidget(QLabel("<b>2. Công dân</b>"))
        left.addWidget(self.citizen_search)
        left.addWidget(self.citizen_results)
        left.addWidget(QLabel("<b>4. Thành phần hồ sơ đã nhận</b> (bỏ chọn giấy còn thiếu)"))
        left.addWidget(self.papers, 1)
        left_widget = QWidget()
        left_widget.setLayout(left)

        right = QVBoxLayout()
        right.addWidget(self.heading)
        right.addLayout(self.forms_box, 1)
        right.addWidget(self.message)
        buttons = QHBoxLayout()
        for button in (self.accept_button, self.same_day_button, self.supplement_button, self.refuse_button,
                       self.new_button):
            buttons.addWidget(button)
        right.addLayout(buttons)
        right_widget = QWidget()
        right_widget.setLayout(right)

        splitter = QSplitter()
        splitter.addWidget(left_widget)
        splitter.addWidget(right_widget)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        for keys, slot in (("Ctrl+Return", self.accept), ("Ctrl+Enter", self.accept), ("Ctrl+T", self.return_at_once),
                           ("Ctrl+B", self.ask_supplement), ("Ctrl+R", self.ask_refusal), ("Ctrl+N", self.reset)):
            QShortcut(QKeySequence(keys), self, activated=slot)
        self.filter_procedures("")
        self._update_buttons()

    # -- procedure --------------------------------------------------------------------------
    def filter_procedures(self, text: str) -> None:
        catalogue = self.counter.catalogue
        found = catalogue.find(text) if text.strip() else catalogue.active()
        self.procedure_list.clear()
        for proc in found:
            item = QListWidgetItem(f"{proc.code} — {proc.name}")
            item.setData(Qt.UserRole, proc.code)
            self.procedure_list.addItem(item)
        if self.procedure_list.count():
            self.procedure_list.setCurrentRow(0)

    def pick_first_procedure(self) -> None:
        item = self.procedure_list.currentItem()
        if item is not None:
            self.choose_procedure(item.data(Qt.UserRole))

    def choose_procedure(self, code: str, *, values: dict[str, Any] | None = None,
                         papers: list[str] | None = None) -> None:
        try:
            proc = self.counter.catalogue.get(code)
            template = self.counter.templates.latest(proc.declaration_template).for_procedure(proc)
        except DomainError as exc:
            warn(self, exc.message)
            return
        self.procedure, self.template = proc, template
        self._clear_forms()
        self._dirty = False
        if self.submitted:  # another procedure after a dossier was saved: a new form
            self.draft_id, self.submitted = new_id(), False
        has_applicant = any(f.id.startswith("applicant.") for f in template.fields)
        if not has_applicant:
            self.applicant_form = self._form_for(self.counter.templates.latest(APPLICANT_FRAGMENT))
            self.forms_box.addWidget(self.applicant_form, 1)
            self.applicant_form.show()
        self.form = self._form_for(template)
        self.forms_box.addWidget(self.form, 3)
        self.form.show()
        self.papers.clear()
        chosen = set(papers) if papers is not None else None
        for comp in proc.components:
            item = QListWidgetItem(f"{comp.name} — {PAPER_KIND_LABELS.get(comp.paper_kind, comp.paper_kind)}"
                                   f" ({comp.count})" + ("" if comp.required else " — nếu có"))
            item.setData(Qt.UserRole, comp.name)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            ticked = comp.name in chosen if chosen is not None else comp.required
            item.setCheckState(Qt.Checked if ticked else Qt.Unchecked)
            self.papers.addItem(item)
        fee = self.papers_service.procedure_context(proc)["fee"]
        self.heading.setText(f"<b>{proc.name}</b> ({proc.code}) — thời hạn: "
                             f"{proc.time_limit.describe(self.counter.office_hours.same_day_cutoff)}; lệ phí: {fee}")
        if values:
            self.set_values(values)
        self.message.setText("")
        self._update_buttons()
        self.citizen_search.setFocus()

    def _form_for(self, template: FormTemplate) -> TemplateForm:
        """Forms are built once per template version and reused (building one takes tens of ms)."""
        key = (template.key, tuple(f.choices for f in template.fields if f.choices_from))
        form = self._forms.get(key)
        if form is None:
            form = TemplateForm(template, today=self.counter.now().date())
            form.changed.connect(self._schedule_draft)
            if template.id == APPLICANT_FRAGMENT:
                form.completed.connect(lambda: self.form and self.form.focus_first())
            else:
                form.completed.connect(self.papers.setFocus)
            self._forms[key] = form
        else:
            form.blockSignals(True)  # a reset is not typing: no draft for it
            form.clear()
            form.blockSignals(False)
            form.today = self.counter.now().date()
        return form

    def _clear_forms(self) -> None:
        for form in (self.applicant_form, self.form):
            if form is not None:
                self.forms_box.removeWidget(form)
                form.hide()
        self.applicant_form = self.form = None

    # -- citizen ----------------------------------------------------------------------------
    def lookup_citizen(self, text: str) -> None:
        """A returning citizen is found by CCCD, phone or name; nobody types them twice."""
        rows = self.counter.privacy.search_citizens(text, limit=20)
        self.citizen_results.clear()
        for row in rows:  # masked: the full values show only once the clerk picks the citizen
            born = format_date(date.fromisoformat(row["birth_date"])) if row["birth_date"] else ""
            masked = mask_id_number(row["id_number"]) if row["id_number"] else "—"
            phone = f"  ĐT {mask_phone(row['phone'])}" if row["phone"] else ""
            item = QListWidgetItem(f"{row['full_name']}  {born}  CCCD {masked}{phone}")
            item.setData(Qt.UserRole, row["id"])
            self.citizen_results.addItem(item)
        if len(rows) == 1:
            self.fill_citizen(rows[0]["id"])
        elif rows:
            self.citizen_results.setCurrentRow(0)
            self.citizen_results.setFocus()
        else:
            self.message.setText("Chưa có công dân này trong máy: nhập mới ở tờ khai.")
            self._focus_form()

    def fill_citizen(self, citizen_id: str) -> None:
        try:
            row = self.counter.privacy.open_citizen(citizen_id)  # the full record: logged as a view
        except DomainError as exc:
            warn(self, exc.message)
            return
        if row is None:
            return
        known = {f"applicant.{k}": row[k] for k in ("full_name", "id_number", "phone", "email", "address") if row.get(k)}
        if row.get("birth_date"):
            known["applicant.birth_date"] = format_date(date.fromisoformat(row["birth_date"]))
        if row.get("sex"):
            known["applicant.sex"] = row["sex"].capitalize()
        self.set_values(known, only_empty=True)
        self.message.setText(f"Đã điền thông tin đã biết của {row['full_name']}.")
        self._focus_form(after_applicant=True)

    def set_values(self, values: dict[str, Any], only_empty: bool = False) -> None:
        """Fill the applicant's and the form's fields (a draft, a returning citizen, tests)."""
        applicant = {k: v for k, v in values.items() if k.startswith("applicant.")}
        if self.applicant_form is not None:
            self.applicant_form.set_values(applicant, only_empty=only_empty)
        if self.form is not None:
            own = values if self.applicant_form is None else {k: v for k, v in values.items() if k not in applicant}
            self.form.set_values(own, only_empty=only_empty)

    def _focus_form(self, after_applicant: bool = False) -> None:
        if self.form is None:
            return
        if not after_applicant:
            (self.applicant_form or self.form).focus_first()
            return
        typed = self.form.values()  # after a known citizen: the first empty field of the form itself
        for f in self.form.template.fields:
            if not f.id.startswith("applicant.") and not typed.get(f.id):
                self.form.field_widget(f.id).setFocus()
                return
        self.form.focus_first()

    # -- collecting -------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for form in (self.applicant_form, self.form):
            if form is not None:
                out.update(form.values())
        return out

    def ticked_papers(self) -> list[str]:
        return [self.papers.item(i).data(Qt.UserRole) for i in range(self.papers.count())
                if self.papers.item(i).checkState() == Qt.Checked]

    def missing_papers(self) -> list[str]:
        required = {c.name for c in self.procedure.components if c.required} if self.procedure else set()
        return [name for name in (self.papers.item(i).data(Qt.UserRole) for i in range(self.papers.count()))
                if name in required and name not in self.ticked_papers()]

    def _checked(self) -> FormCheck | None:
        """Every field checked at once; None (with the messages shown) when something is wrong."""
        if self.procedure is None or self.form is None:
            warn(self, "Hãy chọn thủ tục trước.")
            return None
        result = FormCheck()
        for form in (self.applicant_form, self.form):
            if form is None:
                continue
            part = form.check()
            result.values.update(part.values)
            result.errors.update(part.errors)
            result.warnings.update(part.warnings)
        if result.errors:
            self.message.setText(f"<span style='color:#b00020'>Còn {len(result.errors)} chỗ cần sửa "
                                 "(ghi chú đỏ dưới từng ô).</span>")
            return None
        return result

    def _split(self, checked: FormCheck) -> tuple[dict[str, Any], dict[str, Any]]:
        return split_applicant(checked.values)

    # -- decisions --------------------------------------------------------------------------
    def accept(self, *, print_papers: bool = True, at_once: bool = False) -> DossierView | None:
        """Receive the dossier typed; ``at_once``: received, solved and returned in one step."""
        if self._shown_if_saved():
            return self.last_view
        checked = self._checked()
        if checked is None:
            return None
        missing = self.missing_papers()
        if missing:
            answer = QMessageBox.question(
                self, "Hồ sơ chưa đủ",
                "Còn thiếu: " + "; ".join(missing) + ".\nLập phiếu yêu cầu bổ sung (một lần, ghi đủ các nội dung)?")
            if answer == QMessageBox.Yes:
                self.ask_supplement()
            return None
        applicant, form_data = self._split(checked)
        try:
            operation = self.counter.dossiers.receive_and_return if at_once else self.counter.dossiers.receive
            view = operation(self.procedure.code, applicant, form_data=form_data, papers=self.ticked_papers(),
                             template=(self.template.id, self.template.version), submission_id=self.draft_id)
        except DomainError as exc:
            warn(self, exc.message)
            return None
        self._saved(view, ["receipt", "declaration"] if print_papers else [])
        return view

    def return_at_once(self) -> DossierView | None:
        """"Không hẹn": a complete same-day dossier received, solved and handed back in one sitting."""
        if self.procedure is not None and self.procedure.time_limit.kind != "same_day":
            warn(self, "Chỉ thủ tục giải quyết trong ngày mới trả ngay được.")
            return None
        view = self.accept(print_papers=False, at_once=True)  # all three steps, or none
        if view is None or view.repeated:
            return view
        self.message.setText(f"Đã tiếp nhận và trả kết quả ngay hồ sơ {view.code}.")
        self._print(view.code, ["receipt", "declaration"])
        self.changed.emit(view.changes)
        self.survey_dialog = offer_survey(self.counter, view.code, self, on_done=self._surveyed)
        return view

    def _surveyed(self, dialog: SurveyDialog) -> None:
        if self.survey_dialog is dialog:
            self.survey_dialog = None
        if dialog.view is not None:
            self.message.setText(f"Đã tiếp nhận và trả kết quả ngay hồ sơ {dialog.code}; "
                                 "đã ghi nhận phiếu khảo sát sự hài lòng.")
            self.changed.emit(dialog.view.changes)

    def _shown_if_saved(self) -> bool:
        """The form on screen is a dossier already: say so (before any question) and stop."""
        view = self.counter.dossiers.saved_as(self.draft_id) if self.submitted else None
        if view is not None:
            self._saved(view, [])
        return view is not None

    def ask_supplement(self) -> None:
        if self._shown_if_saved():
            return
        if self.procedure is None:
            warn(self, "Hãy chọn thủ tục trước.")
            return
        dialog = SupplementDialog(self.missing_papers(), self)
        if dialog.exec() == QDialog.Accepted:
            items, reason = dialog.values()
            self.request_supplement(items, reason)

    def request_supplement(self, items: list[str], reason: str) -> DossierView | None:
        values = self.values()
        applicant, form_data = split_applicant(values)
        try:
            view = self.counter.dossiers.request_supplement(
                items, reason, procedure_code=self.procedure.code, applicant=applicant, form_data=form_data,
                papers=self.ticked_papers(), template=(self.template.id, self.template.version),
                contact=self.counter.setting("ward.phone") or "", submission_id=self.draft_id)
        except DomainError as exc:
            warn(self, exc.message)
            return None
        self._saved(view, ["supplement"])
        return view

    def ask_refusal(self) -> None:
        if self._shown_if_saved():
            return
        if self.procedure is None:
            warn(self, "Hãy chọn thủ tục trước.")
            return
        dialog = InputDialog("Từ chối tiếp nhận hồ sơ", "Lý do được ghi trên phiếu từ chối giao cho công dân.", self,
                             ok_text="Từ chối và in phiếu")
        dialog.add_text("reason", "Lý do từ chối (ghi cụ thể):")
        dialog.submit = lambda values: self.refuse(values["reason"])  # a blank reason keeps the dialog open
        self.refusal_dialog = dialog
        dialog.exec()
        self.refusal_dialog = None

    def refuse(self, reason: str) -> DossierView | None:
        applicant, form_data = split_applicant(self.values())
        try:
            view = self.counter.dossiers.refuse(reason, procedure_code=self.procedure.code, applicant=applicant,
                                                form_data=form_data, template=(self.template.id, self.template.version),
                                                submission_id=self.draft_id)
        except DomainError as exc:
            warn(self, exc.message)
            return None
        self._saved(view, ["refusal"])
        return view

    def _saved(self, view: DossierView, forms: list[str]) -> None:
        self.last_view = view
        self._dirty = False
        self._draft_timer.stop()  # the dossier is saved: a pending draft save would resurrect it
        if view.repeated:  # the second press of a form already saved: show it, record nothing
            self.message.setText(f"Hồ sơ này đã được lưu (mã {view.code}, {view.state.status_label.lower()}); "
                                 "không tạo hồ sơ mới. Nhập hồ sơ khác: bấm Mới (Ctrl+N).")
            return
        self.counter.drafts.discard(self.draft_id)
        self.submitted = True  # the draft id stays the form's until Mới: saving again finds this dossier
        note = f" Lưu ý: {' '.join(view.warnings)}" if view.warnings else ""
        due = f", hẹn trả {view.state.due_at:%H:%M ngày %d/%m/%Y}" if view.state.due_at else ""
        self.message.setText(f"Đã lưu hồ sơ {view.code}{due}.{note}")
        if forms:
            self._print(view.code, forms)
        self.changed.emit(view.changes)

    def _print(self, code: str, forms: list[str]) -> None:
        try:
            papers: list[tuple[str, Paper]] = [(f, self.papers_service.dossier_paper(code, f, record=False))
                                               for f in forms]
        except DomainError as exc:
            warn(self, exc.message)
            return
        prints = DossierPrints(self.counter, code, papers, after=self.changed.emit)
        if self.preview:
            PdfPreviewDialog(prints.papers, self.printer, self, on_print=prints.printed, on_save=prints.saved).exec()
            return
        for paper in prints.papers:
            try:
                self.printer.print_pdf(paper.pdf, paper.filename)
            except DomainError as exc:
                warn(self, exc.message)
                return
            prints.printed(paper)

    # -- drafts -----------------------------------------------------------------------------
    def _schedule_draft(self, *_: Any) -> None:
        self._dirty = True
        self._draft_timer.start()

    def save_draft(self) -> None:
        if self.procedure is None or self.template is None or self.submitted:
            return
        values = {k: v for k, v in self.values().items() if v not in ("", None, False)}
        if not values:
            return
        self.counter.drafts.save(self.draft_id, procedure_code=self.procedure.code,
                                         template=(self.template.id, self.template.version), values=values,
                                         papers=self.ticked_papers())

    def has_unsaved_form(self) -> bool:
        """A procedure chosen and something typed that is not yet a dossier (it lives as a draft)."""
        if self.procedure is None or self.template is None:
            return False
        if not self._dirty:  # what shows is the dossier just saved, or nothing typed yet
            return False
        return any(form is not None and not form.is_blank() for form in (self.applicant_form, self.form))

    def shutdown(self) -> None:
        """Before the database closes: save what is pending, start no timer after."""
        if self._draft_timer.isActive():
            self._draft_timer.stop()
            self.save_draft()

    def restore_draft(self, draft: dict[str, Any]) -> None:
        self.draft_id, self.submitted = draft["id"], False
        self.choose_procedure(draft["procedure_code"], values=draft["values"], papers=draft["papers"])
        self.message.setText("Đã mở lại hồ sơ đang nhập dở.")

    def reset(self) -> None:
        self._draft_timer.stop()
        self._dirty = False
        self.procedure = self.template = None
        self._clear_forms()
        self.papers.clear()
        self.citizen_results.clear()
        self.citizen_search.clear()
        self.procedure_search.clear()
        self.heading.setText("Chọn thủ tục để bắt đầu.")
        self.draft_id, self.submitted = new_id(), False
        self._update_buttons()
        self.procedure_search.setFocus()

    def _update_buttons(self) -> None:
        chosen = self.procedure is not None
        for button in (self.accept_button, self.supplement_button, self.refuse_button):
            button.setEnabled(chosen)
        self.same_day_button.setEnabled(chosen and self.procedure.time_limit.kind == "same_day")
