"""Save screenshots of the main screens into docs/screenshots/ (run under Xvfb or offscreen).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from desk_app.counter import Counter  # noqa: E402
from desk_app.demo import DEMO_ACCOUNTS, generate_demo  # noqa: E402
from desk_app.ui.app import DossierDialog, LoginDialog, MainWindow  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    font = app.font()
    font.setPointSize(11)
    app.setFont(font)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ward.sqlite3"
        generate_demo(path, dossiers=400, seed=1)
        counter = Counter.open(path)
        login = LoginDialog(counter)
        login.username.setText(DEMO_ACCOUNTS[1][0])
        login.show()
        app.processEvents()
        login.grab().save(str(OUT / "login.png"))
        counter.login(DEMO_ACCOUNTS[1][0], DEMO_ACCOUNTS[1][3])
        window = MainWindow(counter)
        window.resize(1366, 768)
        window.show()
        app.processEvents()
        window.grab().save(str(OUT / "main-queues.png"))
        window.search.setText("nguyen thi")
        app.processEvents()
        window.grab().save(str(OUT / "main-search.png"))
        dialog = DossierDialog(counter, window.model.rows[0].code, window)
        dialog.show()
        app.processEvents()
        dialog.grab().save(str(OUT / "dossier-journal.png"))
        counter.close()
    print(f"Screenshots in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
