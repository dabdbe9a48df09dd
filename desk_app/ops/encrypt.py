"""Encrypting a ward's file and the recovery-key sheet that goes with it, the same from the
window's first set-up and from ``desk-app encrypt``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..printing.recovery import recovery_sheet
from ..storage.encryption import Encrypted, encrypt_database
from ..storage.store import Store


@dataclass(frozen=True)
class EncryptedWard:
    result: Encrypted
    sheet: bytes  # the PDF to print, seal and hand to the leader (shown once)


def encrypt_ward(path: Path, passphrase: str, *, made_by: str, now: datetime) -> EncryptedWard:
    """Encrypt the plain ward database at ``path`` (closed by the caller) and make its sheet."""
    store = Store.open(path, create=False)
    try:
        ward = store.get_setting("ward_name") or ""
    finally:
        store.close()
    result = encrypt_database(path, passphrase, now=now)
    return EncryptedWard(result, recovery_sheet(result.recovery, db_path=path, ward_name=ward, made_by=made_by,
                                                made_at=now))
