"""PDF benchmark: ours (ReportLab, templates as data) against the ward's status quo (a Word
template converted with LibreOffice, one document at a time). Every sample is a different
dossier (names, numbers, code), so per-process caches only help with what a real counter
reuses: the template's fixed wording and the font.

    python bench/pdf_bench.py [--n 200] [--lo-n 5]

Prints p50/p95 ms per receipt, per declaration, and per receipt + declaration; then, when
`libreoffice` (or `soffice`) is on PATH, the time per document of
`libreoffice --headless --convert-to pdf` on a .docx holding the same receipt text.
Goals: ours at least 100x faster than LibreOffice; receipt + declaration under 25 ms.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402

from desk_app.counter import Counter  # noqa: E402
from desk_app.models.clock import VN_TZ  # noqa: E402
from desk_app.printing.papers import Papers  # noqa: E402
from desk_app.printing.render import render_pdf  # noqa: E402

BIRTH_FORM = {
    "relationship": "Mẹ", "child.full_name": "Trần Minh Khôi", "child.birth_date": "01/11/2026",
    "child.sex": "Nam", "child.ethnicity": "Kinh", "child.nationality": "Việt Nam",
    "child.birth_place": "Bệnh viện Đa khoa tỉnh Hà Tĩnh, phường Thành Sen, tỉnh Hà Tĩnh",
    "mother.full_name": "Nguyễn Thị Hương Giang", "mother.birth_date": "1995",
    "father.full_name": "Trần Văn Hải", "father.birth_date": "1992", "extract_copies": 2,
}
APPLICANT = {"full_name": "Nguyễn Thị Hương Giang", "id_number": "042195001234", "birth_date": "02/09/1995",
             "sex": "Nữ", "phone": "0912345678",
             "address": "Số 12, đường Trần Phú, Tổ dân phố 3, Phường Đại Nài, tỉnh Hà Tĩnh"}


SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLES = ["Thị", "Văn", "Hữu", "Đức", "Ngọc", "Thanh", "Minh", "Quốc", "Thùy", "Xuân"]
GIVENS = ["Hương Giang", "Hải", "Khôi", "Ánh Tuyết", "Lộc", "Quỳnh", "Dũng", "Nguyệt", "Thắng", "Yến", "Tùng", "Ỷ Lan"]
STREETS = ["Trần Phú", "Hà Huy Tập", "Nguyễn Du", "Phan Đình Phùng", "Xô Viết Nghệ Tĩnh", "Lý Tự Trọng"]


def people(n: int) -> list[tuple[dict, dict]]:
    """n different applicants and birth declarations: every paper of the run has its own
    names, numbers and code, so nothing a real counter would not reuse is reused."""
    out = []
    for i in range(n):
        mother = f"{SURNAMES[i % 14]} {MIDDLES[i % 10]} {GIVENS[i % 12]}"
        father = f"{SURNAMES[(i * 7 + 3) % 14]} {MIDDLES[(i + 1) % 10]} {GIVENS[(i * 5 + 2) % 12]}"
        child = f"{father.split()[0]} {MIDDLES[(i * 3) % 10]} {GIVENS[(i * 11 + 7) % 12]}"
        applicant = {**APPLICANT, "full_name": mother, "id_number": f"0421950{i:05d}", "phone": f"0912{i:06d}",
                     "address": f"Số {i + 1}, đường {STREETS[i % 6]}, Tổ dân phố {i % 9 + 1}, Phường Đại Nài, tỉnh Hà Tĩnh"}
        form = {**BIRTH_FORM, "child.full_name": child, "mother.full_name": mother, "father.full_name": father}
        out.append((applicant, form))
    return out


def stats(samples: list[float]) -> str:
    s = sorted(samples)
    return f"p50 {s[len(s) // 2]:7.2f} ms   p95 {s[min(len(s) - 1, int(len(s) * 0.95))]:7.2f} ms   (n={len(s)})"


def docx_with(paragraphs: list[str]) -> bytes:
    """A minimal Word document holding the given paragraphs (what a ward's .docx template becomes)."""
    body = "".join(f'<w:p><w:r><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman"/>'
                   f'<w:sz w:val="26"/></w:rPr><w:t xml:space="preserve">{escape(p)}</w:t></w:r></w:p>'
                   for p in paragraphs)
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f'<w:body>{body}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
                '<w:pgMar w:top="1134" w:right="850" w:bottom="1134" w:left="1701"/></w:sectPr></w:body></w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml", document)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--lo-n", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        counter = Counter.open(Path(tmp) / "ward.sqlite3", create=True,
                               clock=lambda: datetime(2026, 11, 23, 9, 30, tzinfo=VN_TZ))
        counter.initialise(ward_code="42010", ward_name="Phường Đại Nài", counter_no=1, admin_username="admin",
                           admin_password="quantri123")
        counter.login("admin", "quantri123")
        papers = Papers(counter)
        cases = []
        for applicant, form in people(args.n + 1):
            view = counter.dossiers.receive("1.001193", applicant, form_data=form)
            receipt_t = papers.template_for(view, "receipt")
            decl_t = papers.template_for(view, "declaration")
            cases.append((view, receipt_t, papers.dossier_context(view, receipt_t), decl_t,
                          papers.dossier_context(view, decl_t)))
        view, receipt_t, receipt_ctx, decl_t, decl_ctx = cases.pop()
        render_pdf(receipt_t, receipt_ctx)  # fonts registered, caches warm: a counter PC that has started

        def time_it(fn) -> list[float]:
            out = []
            for case in cases:  # a different dossier each time
                start = time.perf_counter()
                fn(case)
                out.append((time.perf_counter() - start) * 1000)
            return out

        receipt = time_it(lambda c: render_pdf(c[1], c[2]))
        decl = time_it(lambda c: render_pdf(c[3], c[4]))
        both = time_it(lambda c: (render_pdf(c[1], c[2]), render_pdf(c[3], c[4])))
        full = time_it(lambda c: papers.dossier_paper(c[0].code, "receipt", record=False))
        print("ours (ReportLab, one process, warm):")
        print(f"  receipt                         {stats(receipt)}")
        print(f"  declaration (birth)             {stats(decl)}")
        print(f"  receipt + declaration           {stats(both)}")
        print(f"  receipt incl. context from DB   {stats(full)}")

        office = shutil.which("libreoffice") or shutil.which("soffice")
        if args.lo_n < 1:
            counter.close()
            return 0
        if not office:
            print("LibreOffice not installed: status-quo comparison skipped (apt-get install libreoffice-writer).")
            counter.close()
            return 0
        text = PdfReader(io.BytesIO(render_pdf(receipt_t, receipt_ctx))).pages[0].extract_text()
        docx = Path(tmp) / "receipt.docx"
        docx.write_bytes(docx_with([line for line in text.splitlines() if line.strip()]))
        profile = Path(tmp) / "lo-profile"
        cmd = [office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
               "--outdir", str(Path(tmp) / "out"), str(docx)]
        subprocess.run(cmd, capture_output=True, timeout=180)  # first start builds the profile
        lo = []
        for _ in range(args.lo_n):
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, timeout=180)
            lo.append((time.perf_counter() - start) * 1000)
        produced = (Path(tmp) / "out" / "receipt.pdf").exists()
        print(f"status quo (LibreOffice {office}, .docx -> PDF, one at a time, produced={produced}):")
        print(f"  receipt                         {stats(lo)}")
        ratio = sorted(lo)[len(lo) // 2] / sorted(receipt)[len(receipt) // 2]
        print(f"ours is {ratio:.0f}x faster per receipt (p50 against p50)")
        counter.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
