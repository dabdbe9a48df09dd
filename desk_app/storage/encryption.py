"""Turning encryption on for a ward database, unlocking it, changing its passphrase.

``encrypt_database`` migrates a plain file: an encrypted copy is exported with SQLCipher's
``sqlcipher_export``, checked (integrity, same rows), kept as the first backup, and only then
put in place of the plain file; plain backups in the backups folder are converted too. The
wrapped key file (``keys.KeyFile``) is written before the switch, so a crash at any point
leaves either the plain database or the encrypted one with its key file, never neither.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import keys
from .db import StorageError, connect
from .driver import ENCRYPTION

COUNTED = ("dossiers", "actions", "citizens", "clerks")


@dataclass(frozen=True)
class Encrypted:
    key: str
    recovery: str
    backup: Path
    converted_backups: tuple[Path, ...]
    keyring: bool


def _export(source: Path, target: Path, key: str, *, source_key: str | None = None) -> None:
    """Copy ``source`` into a new file ``target`` encrypted under ``key``."""
    target.unlink(missing_ok=True)
    conn = connect(source, key=source_key)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute(f"ATTACH DATABASE ? AS enc KEY \"x'{key}'\"", (str(target),))
        conn.execute("SELECT sqlcipher_export('enc')")
        conn.execute(f"PRAGMA enc.user_version = {int(version)}")  # not copied by the export
        conn.execute("DETACH DATABASE enc")
    finally:
        conn.close()


def _counts(path: Path, key: str | None) -> dict[str, int]:
    conn = connect(path, key=key, readonly=True)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise StorageError(f"Bản mã hóa {path.name} không đạt kiểm tra toàn vẹn; dữ liệu gốc không bị thay đổi.")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED if t in tables}
    finally:
        conn.close()


def encrypt_database(db_path: Path, passphrase: str, *, now: datetime, kdf: dict | None = None,
                     use_keyring: bool = True) -> Encrypted:
    """Encrypt the plain database at ``db_path`` (the app must not have it open)."""
    db_path = Path(db_path)
    if not ENCRYPTION:
        raise StorageError("Bản cài đặt này thiếu thư viện mã hóa (sqlcipher3).")
    if not db_path.exists():
        raise StorageError(f"Không tìm thấy cơ sở dữ liệu: {db_path}")
    if keys.is_encrypted(db_path):
        raise StorageError("Cơ sở dữ liệu này đã được mã hóa.")
    keys.check_passphrase(passphrase)
    key, recovery = keys.new_key(), keys.new_recovery_key()
    staged = db_path.with_name(db_path.name + ".encrypting")
    _export(db_path, staged, key)
    if _counts(staged, key) != _counts(db_path, None):
        staged.unlink(missing_ok=True)
        raise StorageError("Bản mã hóa không khớp số liệu với dữ liệu gốc; dữ liệu gốc không bị thay đổi.")
    backups = db_path.parent / "backups"
    backups.mkdir(parents=True, exist_ok=True)
    first = backups / f"{db_path.stem}-before-encryption-{now:%Y%m%d-%H%M%S}.sqlite3"
    _export(staged, first, key, source_key=key)  # the backup taken first, itself encrypted
    keys.KeyFile.create(db_path, key, passphrase, recovery, kdf=kdf)
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    _switch(staged, db_path)
    converted = []
    for old in sorted(backups.glob("*.sqlite3")):
        if old == first or keys.is_encrypted(old):
            continue
        _export(old, old.with_name(old.name + ".encrypting"), key)  # plain backups leave the disk too
        _switch(old.with_name(old.name + ".encrypting"), old)
        converted.append(old)
    keys.remember(db_path, key)
    stored = keys.store_in_keyring(db_path, key) if use_keyring else False
    return Encrypted(key, recovery, first, tuple(converted), stored)


def _switch(new: Path, path: Path) -> None:
    """Put ``new`` in place of ``path`` atomically (a crash leaves one or the other), then zero
    the old plain bytes through a second name for them."""
    old = path.with_name(path.name + ".plain-old")
    old.unlink(missing_ok=True)
    try:
        os.link(path, old)
    except OSError:
        old = None
    os.replace(new, path)
    if old is not None:
        _overwrite(old)
        old.unlink(missing_ok=True)


def _overwrite(path: Path) -> None:
    """Best effort: zero the plain file's bytes before it is replaced (an SSD or a journaling
    file system may keep old blocks: full-disk encryption is the real answer, see the docs)."""
    try:
        size = path.stat().st_size
        with path.open("r+b") as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(0, size, len(chunk)):
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        pass


def unlock(db_path: Path, *, passphrase: str | None = None, recovery: str | None = None,
           use_keyring: bool = True) -> str:
    """The ward key from the passphrase or the recovery key; remembered for this process (and
    kept in the OS key store when there is one, so the next start needs no prompt)."""
    key = keys.KeyFile.load(db_path).unlock(passphrase=passphrase, recovery=recovery)
    connect(db_path, key=key).close()  # the key file and the database belong together
    keys.remember(db_path, key)
    if use_keyring:
        keys.store_in_keyring(db_path, key)
    return key


def unlock_without_prompt(db_path: Path) -> bool:
    """True when this process can already open ``db_path``: plain, unlocked before, or the
    OS key store has its key."""
    if not keys.is_encrypted(db_path) or keys.key_for(db_path):
        return True
    key = keys.key_from_keyring(db_path)
    if key:
        try:
            connect(db_path, key=key).close()
        except keys.KeyError_:
            return False
        keys.remember(db_path, key)
        return True
    return False


def change_passphrase(db_path: Path, new_passphrase: str, *, passphrase: str | None = None,
                      recovery: str | None = None, kdf: dict | None = None) -> None:
    """A new passphrase, proven by the old one or the recovery key (the leader's envelope)."""
    key_file = keys.KeyFile.load(db_path)
    key = key_file.unlock(passphrase=passphrase, recovery=recovery)
    key_file.change_passphrase(key, new_passphrase, kdf=kdf)
