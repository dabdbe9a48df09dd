"""``desk-app --self-test``: can this installation serve a counter? Run by the IT officer after
installing, and by CI on the built bundle.

In a temporary folder it creates a ward database (schema, catalogue, clerks), receives a dossier
for every procedure of the catalogue through the real operations, prints every paper (each
procedure's declaration, every one-stop slip, the tracking book, the public listing) and any
other template of the library, checks the font's Vietnamese coverage and the Qt libraries.
Prints one line per check and exits 0 only when all pass.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

from ..models.clock import VN_TZ

APPLICANT = {"full_name": "Nguyễn Thị Ánh Tuyết", "id_number": "042195001234", "birth_date": "02/09/1995",
             "sex": "Nữ", "phone": "0912345678", "address": "Số 12, đường Trần Phú, Phường Đại Nài, tỉnh Hà Tĩnh"}


class _Report:
    def __init__(self, out: Callable[[str], None]) -> None:
        self.out, self.failures = out, 0

    def check(self, label: str, fn: Callable[[], str | None]) -> None:
        start = time.perf_counter()
        try:
            detail = fn() or ""
        except Exception as exc:  # noqa: BLE001 - report every failure, keep checking
            self.failures += 1
            self.out(f"LỖI  {label}: {exc}")
            self.out("     " + traceback.format_exc().strip().splitlines()[-1])
            return
        self.out(f"OK   {label} ({(time.perf_counter() - start) * 1000:.0f} ms){': ' + detail if detail else ''}")


def run_self_test(out: Callable[[str], None] = print, *, folder: Path | None = None) -> int:
    report = _Report(out)
    out("Quầy Một Cửa — tự kiểm tra")
    with tempfile.TemporaryDirectory(prefix="desk-app-selftest-") as tmp:
        base = folder or Path(tmp)
        _checks(report, base / "ward.sqlite3")
    if report.failures:
        out(f"KẾT QUẢ: {report.failures} kiểm tra không đạt.")
        return 1
    out("KẾT QUẢ: tất cả kiểm tra đạt.")
    return 0


def _checks(report: _Report, db_path: Path) -> None:
    from ..counter import Counter
    from ..printing.fonts import register_fonts
    from ..storage.schema import SCHEMA_VERSION

    state: dict = {}
    clock_at = [datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)]  # a Monday: same-day rules apply

    def qt() -> str:
        from PySide6 import QtCore, QtPdf, QtPrintSupport, QtWidgets  # noqa: F401
        return f"PySide6 {QtCore.qVersion()}"

    def fonts() -> str:
        return f"phông {register_fonts()} đủ chữ tiếng Việt"

    def pdf_accelerator() -> str:
        # ReportLab falls back to plain Python without complaint: a bundle built without its
        # C accelerator would print every paper about three times slower
        import importlib.util

        if importlib.util.find_spec("_rl_accel") is None:
            raise RuntimeError("thiếu bộ tăng tốc của ReportLab (_rl_accel): giấy tờ in chậm hơn khoảng 3 lần")
        return "có bộ tăng tốc của ReportLab"

    def database() -> str:
        counter = Counter.open(db_path, clock=lambda: clock_at[0], create=True)
        counter.initialise(ward_code="42010", ward_name="Phường Tự Kiểm Tra", counter_no=1,
                           admin_username="admin", admin_password="tu-kiem-tra-1")
        counter.login("admin", "tu-kiem-tra-1")
        state["counter"] = counter
        version = counter.store.checks.schema_version()
        if version != SCHEMA_VERSION:
            raise RuntimeError(f"lược đồ {version}, cần {SCHEMA_VERSION}")
        return f"lược đồ {version}, {len(counter.catalogue.procedures)} thủ tục"

    def intake() -> str:
        counter = state["counter"]
        views = []
        for proc in counter.catalogue.procedures:
            form = _sample_form(counter, proc.declaration_template)
            views.append(counter.dossiers.receive(proc.code, APPLICANT, form_data=form))
        state["views"] = views
        problems = counter.check()
        if problems:
            raise RuntimeError("; ".join(problems[:3]))
        return f"{len(views)} hồ sơ tiếp nhận, nhật ký toàn vẹn"

    def papers() -> str:
        from ..printing.papers import Papers

        counter, views = state["counter"], state["views"]
        p = Papers(counter)
        rendered: set[str] = set()
        count = 0
        for view in views:
            paper = p.dossier_paper(view.code, "declaration", record=False)
            _check_pdf(paper.pdf)
            rendered.add(p.template_for(view, "declaration").key)
            count += 1
        first, second, third, fourth = views[0], views[1], views[2], views[3]
        counter.dossiers.request_supplement(["Bản sao giấy tờ tùy thân"], "Thiếu giấy tờ", procedure_code=first.procedure.code,
                                            applicant=APPLICANT)
        supplement = counter.dossiers.request_supplement(["Giấy ủy quyền"], "Thiếu", procedure_code=second.procedure.code,
                                                         applicant=APPLICANT)
        refused = counter.dossiers.refuse("Không thuộc thẩm quyền", procedure_code=third.procedure.code, applicant=APPLICANT)
        counter.dossiers.transfer(fourth.code, "UBND tỉnh")
        clock_at[0] += timedelta(hours=1)
        withdrawn = views[5]
        counter.dossiers.withdraw(withdrawn.code, "Công dân xin dừng")
        late = next(v for v in views[6:] if v.state.due_at and v.state.due_at.date() > clock_at[0].date())
        new_due = counter.calendar.add_working_days(late.state.due_at.date(), 2)
        counter.dossiers.issue_apology(late.code, "Cần xác minh thêm", new_due)
        for key, form in ((first.code, "receipt"), (supplement.code, "supplement"), (refused.code, "refusal"),
                          (late.code, "apology"), (withdrawn.code, "stop_notice"), (fourth.code, "control")):
            view = counter.dossiers.dossier(key)
            _check_pdf(p.dossier_paper(key, form, record=False).pdf)
            rendered.add(p.template_for(view, form).key)
            count += 1
        _check_pdf(p.book(date(2026, 11, 1), date(2026, 11, 30)).pdf)
        _check_pdf(p.listing(first.procedure.code).pdf)
        count += 2
        state["rendered"], state["papers"] = rendered, p
        return f"{count} giấy tờ in được"

    def other_templates() -> str:
        from ..printing.render import render_pdf

        p, rendered = state["papers"], state["rendered"]
        view = state["views"][0]
        count = 0
        for template in p.library.versions.values():
            if template.kind in ("fragment",) or template.key in rendered:
                continue
            if template.kind in ("book", "listing", "report"):
                continue  # printed through their own flows above (book, listing) or by `report`
            _check_pdf(render_pdf(template, p.dossier_context(view, template, copy_kind="original")))
            count += 1
        errors = p.library.errors
        if errors:
            raise RuntimeError("; ".join(str(e) for e in errors[:3]))
        return f"{count} mẫu khác (các phiên bản cũ) in được, không mẫu nào lỗi"

    def encryption() -> str:
        from ..storage import keys
        from ..storage.encryption import encrypt_database, unlock

        path = db_path.with_name("encrypted.sqlite3")
        counter = Counter.open(path, clock=lambda: clock_at[0], create=True)
        counter.initialise(ward_code="42010", ward_name="Phường Tự Kiểm Tra", counter_no=1,
                           admin_username="admin", admin_password="tu-kiem-tra-1")
        counter.login("admin", "tu-kiem-tra-1")
        counter.dossiers.receive(counter.catalogue.procedures[0].code, APPLICANT,
                                 form_data=_sample_form(counter, counter.catalogue.procedures[0].declaration_template))
        counter.close()
        result = encrypt_database(path, "mật khẩu tự kiểm tra", now=clock_at[0], use_keyring=False)
        keys.forget(path)
        if APPLICANT["full_name"].encode() in path.read_bytes() or not keys.is_encrypted(path):
            raise RuntimeError("dữ liệu chưa được mã hóa")
        unlock(path, recovery=result.recovery, use_keyring=False)
        reopened = Counter.open(path)
        try:
            if reopened.check():
                raise RuntimeError("; ".join(reopened.check()[:3]))
        finally:
            reopened.close()
            keys.forget(path)
        return "SQLCipher mã hóa, mở lại bằng khóa khôi phục"

    report.check("thư viện Qt", qt)
    report.check("phông chữ", fonts)
    report.check("tốc độ in", pdf_accelerator)
    report.check("cơ sở dữ liệu", database)
    if "counter" not in state:
        return
    try:
        report.check("tiếp nhận hồ sơ", intake)
        if "views" in state:
            report.check("in giấy tờ", papers)
        if "papers" in state:
            report.check("mẫu giấy tờ", other_templates)
        report.check("mã hóa dữ liệu", encryption)
    finally:
        state["counter"].close()


def _check_pdf(pdf: bytes) -> None:
    if not pdf.startswith(b"%PDF") or b"Tinos" not in pdf or len(pdf) < 2000:
        raise RuntimeError("tệp PDF không hợp lệ")


def _sample_form(counter, template_id: str) -> dict:
    """Values for every required field of a declaration (what a clerk would type)."""
    if template_id not in counter.templates.ids():
        return {}
    template = counter.templates.latest(template_id)
    values = {}
    for field in template.fields:
        if not field.required or field.id.startswith("applicant."):
            continue
        values[field.id] = _sample(field)
    return values


def _sample(field) -> object:
    kind = field.type
    if kind == "name":
        return "Trần Minh Khôi"
    if kind in ("date", "birth_date"):
        return "01/11/2026" if "child" in field.id else "02/09/1995"
    if kind == "cccd":
        return "042195001234"
    if kind == "phone":
        return "0912345678"
    if kind == "email":
        return "tu.kiem.tra@example.vn"
    if kind == "choice":
        return field.choices[0]
    if kind in ("number", "money"):
        return max(1, int(field.minimum or 1))
    if kind == "bool":
        return True
    return "Nội dung kiểm tra"
