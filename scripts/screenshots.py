"""Save screenshots of every main screen into docs/screenshots/ (run under Xvfb or offscreen).

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from desk_app.counter import Counter  # noqa: E402
from desk_app.demo import DEMO_ACCOUNTS, generate_demo  # noqa: E402
from desk_app.models.clock import VN_TZ  # noqa: E402
from desk_app.printing.papers import Papers  # noqa: E402
from desk_app.ui.app import LoginDialog, MainWindow, SetupDialog  # noqa: E402
from desk_app.ui.preview import PdfPreviewDialog  # noqa: E402
from desk_app.ui.survey import SurveyDialog  # noqa: E402

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
NOW = datetime(2026, 11, 23, 10, 15, tzinfo=VN_TZ)


class NoPrinter:
    def print_pdf(self, pdf: bytes, title: str) -> None:
        pass


def shot(app: QApplication, widget, name: str) -> None:
    widget.show()
    for _ in range(5):
        app.processEvents()
    widget.grab().save(str(OUT / f"{name}.png"))
    print(f"  {name}.png")


def record_demo_surveys(counter: Counter, n: int = 60, seed: int = 7) -> None:
    """More surveys on returned demo dossiers not yet surveyed, mostly satisfied."""
    rng = random.Random(seed)
    survey = counter.survey
    rows = list(counter.store.query(
        "SELECT code FROM dossiers d WHERE status = 'returned' AND NOT EXISTS "
        "(SELECT 1 FROM surveys s WHERE s.dossier_id = d.id) ORDER BY code LIMIT ?", [n]))[:-1]  # one left to ask
    for row in rows:
        answers = {q.id: rng.choices([5, 4, 3, 2, 1], weights=[40, 38, 12, 7, 3])[0]
                   for q in survey.questions if q.kind == "scale" and rng.random() < 0.9}
        answers["trips"] = rng.choices(["1 lần", "2 lần", "3 lần trở lên"], weights=[80, 17, 3])[0]
        counter.dossiers.record_survey(row["code"], answers, channel=rng.choice(["citizen", "citizen", "paper"]))


def wait_statistics(app: QApplication, view) -> None:
    deadline = time.monotonic() + 30
    app.processEvents()
    while view.is_busy and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    font = app.font()
    font.setPointSize(11)
    app.setFont(font)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ward.sqlite3"
        generate_demo(path, dossiers=400, seed=1, end=NOW)
        counter = Counter.open(path, clock=lambda: NOW)
        login = LoginDialog(counter)
        login.username.setText(DEMO_ACCOUNTS[1][0])
        shot(app, login, "01-login")
        login.close()
        counter.login(DEMO_ACCOUNTS[1][0], DEMO_ACCOUNTS[1][3])
        window = MainWindow(counter, printer=NoPrinter(), preview=False)
        window.resize(1366, 768)

        intake = window.intake
        intake.procedure_search.setText("khai sinh")
        intake.pick_first_procedure()
        known = counter.store.query("SELECT id_number FROM citizens WHERE id_number IS NOT NULL LIMIT 1")
        intake.lookup_citizen(next(known)["id_number"])
        intake.set_values({"relationship": "Cha", "child.full_name": "Nguyễn Minh An", "child.birth_date": "01/11/2026",
                           "child.sex": "Nam", "child.birth_place": "Bệnh viện Đa khoa tỉnh Hà Tĩnh"})
        shot(app, window, "02-intake-birth")
        intake.form.set_values({"child.birth_date": "31/11/2026"})
        intake.form.check()
        shot(app, window, "03-intake-validation")
        intake.shutdown()
        intake.reset()

        window.tabs.setCurrentWidget(window.dossiers)
        window.dossiers.show_queue("overdue")
        shot(app, window, "04-dossiers-overdue")
        window.dossiers.show_queue("ready_to_return")
        row = counter.dossiers.queue("ready_to_return")
        if row:
            window.dossiers.open_dossier(row[0].code)
        shot(app, window, "05-dossier-detail")

        window.tabs.setCurrentWidget(window.catalogue)
        shot(app, window, "06-catalogue")

        record_demo_surveys(counter)
        stats = window.statistics
        window.tabs.setCurrentWidget(stats)
        stats.set_preset("year")
        wait_statistics(app, stats)
        shot(app, window, "09-statistics")
        stats.set_grouping("procedure")
        wait_statistics(app, stats)
        shot(app, window, "10-statistics-by-procedure")
        stats.set_grouping(None)

        unsurveyed = counter.store.query(
            "SELECT code FROM dossiers d WHERE status = 'returned' AND NOT EXISTS "
            "(SELECT 1 FROM surveys s WHERE s.dossier_id = d.id) LIMIT 1")
        survey = SurveyDialog(counter, next(unsurveyed)["code"], window)
        survey.set_answers({"access_place": 5, "access_equipment": 4, "procedure_posted": 4})
        survey.resize(1200, 740)
        shot(app, survey, "11-survey")
        survey.scroll.verticalScrollBar().setValue(survey.scroll.verticalScrollBar().maximum())
        shot(app, survey, "12-survey-end")
        survey.close()

        code = counter.store.query("SELECT code FROM dossiers WHERE status = 'returned' LIMIT 1")
        paper = Papers(counter).dossier_paper(next(code)["code"], "receipt", record=False)
        preview = PdfPreviewDialog([paper], NoPrinter())
        preview.resize(900, 768)
        shot(app, preview, "07-print-preview")
        preview.close()
        window.intake.shutdown()
        window.close()
        stats.wait(10)
        counter.close()

        setup = SetupDialog(Counter.open(Path(tmp) / "new.sqlite3", create=True))
        setup.fields["ward_name"].setText("Phường Thành Sen")
        setup.fields["ward_code"].setText("42001")
        setup.fields["counter_no"].setText("1")
        shot(app, setup, "08-first-start-setup")
    print(f"Screenshots in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
