"""The window's side of encryption: a new ward is encrypted right after set-up with its
recovery key shown once; an encrypted ward is opened with the passphrase or the recovery key."""

from __future__ import annotations

from pathlib import Path

import re

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel

from desk_app.counter import Counter
from desk_app.storage import keys
from desk_app.storage.encryption import encrypt_database
from desk_app.ui import app as app_module
from desk_app.ui.unlock import RecoveryKeyDialog, UnlockDialog
from tests.conftest import APPLICANT
from tests.storage.test_encryption import FAST, NOW, PASSPHRASE, readable


def test_unlock_dialog_with_passphrase_then_recovery_key(qtbot, counter, db_path):
    code = counter.dossiers.receive("1.004873", APPLICANT).code
    counter.close()
    result = encrypt_database(db_path, PASSPHRASE, now=NOW, kdf=FAST, use_keyring=False)
    keys.forget(db_path)
    dialog = UnlockDialog(db_path)
    qtbot.addWidget(dialog)
    dialog.secret.setText("mật khẩu sai")
    dialog.submit()
    assert dialog.error.text().startswith("Mật khẩu khóa dữ liệu không đúng") and keys.key_for(db_path) is None
    dialog.use_recovery.setChecked(True)
    dialog.secret.setText(result.recovery)
    dialog.submit()
    assert dialog.result() == QDialog.Accepted and keys.key_for(db_path) == result.key
    again = Counter.open(db_path)
    assert again.store.get_dossier(code) is not None
    again.close()
    keys.forget(db_path)


def test_a_new_ward_is_encrypted_after_setup_and_shows_its_recovery_key(qtbot, tmp_path, monkeypatch):
    path = tmp_path / "new.sqlite3"
    counter = Counter.open(path, create=True)
    counter.initialise(ward_code="42001", ward_name="Phường Thành Sen", counter_no=1, admin_username="quantri",
                       admin_password="matkhau-manh", admin_full_name="Lê Văn Quản")
    seen = {}

    def fake_exec(dialog: RecoveryKeyDialog) -> int:
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok)
        seen["enabled_before"] = ok.isEnabled()
        dialog.done_box.setChecked(True)
        seen["enabled_after"] = ok.isEnabled()
        seen["recovery"] = dialog.findChild(QLabel, "recovery").text()
        seen["sheet"] = dialog.sheet
        return QDialog.Accepted

    monkeypatch.setattr(RecoveryKeyDialog, "exec", fake_exec)
    setup = type("Setup", (), {"passphrase": "khoa-du-lieu-phuong", "made_by": "Lê Văn Quản"})()
    opened = app_module._encrypt_new_ward(counter, path, setup)
    try:
        assert keys.is_encrypted(path) and readable(path) == []
        assert opened.login("quantri", "matkhau-manh").role == "admin"
    finally:
        opened.close()
    assert seen["enabled_before"] is False and seen["enabled_after"] is True
    assert seen["sheet"].startswith(b"%PDF")
    assert re.fullmatch(r"[A-Z2-9]{5}(-[A-Z2-9]{5}){4}", seen["recovery"])
    from desk_app.storage.encryption import unlock
    keys.forget(path)
    assert unlock(path, recovery=seen["recovery"], use_keyring=False)  # the key shown is the real one
    keys.forget(path)
    assert Path(keys.key_file(path)).exists()
