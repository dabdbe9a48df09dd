"""Encryption at rest: no citizen data readable in the database file or its backups; opened
with the key, the passphrase or the recovery key; a wrong one refused clearly."""

from __future__ import annotations

from datetime import datetime

import pytest

from desk_app.counter import Counter
from desk_app.models.clock import VN_TZ
from desk_app.ops.backup import check_backup, make_backup, restore
from desk_app.storage import keys
from desk_app.storage.db import StorageError
from desk_app.storage.encryption import change_passphrase, encrypt_database, unlock, unlock_without_prompt
from tests.conftest import APPLICANT

FAST = {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1}  # tests only: the product uses keys.KDF
PASSPHRASE = "mật khẩu phường Đại Nài 2026"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=VN_TZ)
SECRETS = ["Nguyễn Văn Đức".encode(), "nguyen van duc".encode(), b"042090012345", b"0912345678"]


def readable(path) -> list[bytes]:
    data = path.read_bytes()
    for suffix in ("-wal",):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            data += extra.read_bytes()
    return [s for s in SECRETS if s in data]


@pytest.fixture
def ward(counter, db_path):
    code = counter.dossiers.receive("1.004873", APPLICANT).code
    make_backup(db_path, db_path.parent / "backups", now=NOW)  # a plain backup from before
    counter.close()
    assert readable(db_path)  # plain before: the test can see names
    yield code
    keys.forget(db_path)


def test_encrypted_file_and_backups_hold_nothing_readable(ward, db_path, clock):
    result = encrypt_database(db_path, PASSPHRASE, now=NOW, kdf=FAST, use_keyring=False)
    assert keys.is_encrypted(db_path) and readable(db_path) == []
    assert keys.is_encrypted(result.backup) and readable(result.backup) == []
    assert result.converted_backups and all(readable(p) == [] for p in result.converted_backups)
    assert not list(db_path.parent.glob("*.plain-old")) and not list(db_path.parent.glob("*.encrypting"))
    key_text = keys.key_file(db_path).read_text(encoding="utf-8")
    assert result.key not in key_text and result.recovery not in key_text  # only wrapped

    counter = Counter.open(db_path, clock=clock)  # this process unlocked it
    counter.login("lan", "canbo1234")
    counter.dossiers.receive("1.004873", {**APPLICANT, "id_number": "042090012346"})
    assert counter.dossiers.dossier(ward).row.applicant_name == "Nguyễn Văn Đức"
    assert counter.check() == []
    backup = make_backup(db_path, db_path.parent / "backups", now=NOW.replace(hour=18))
    counter.close()
    assert keys.is_encrypted(backup) and readable(backup) == [] and readable(db_path) == []
    assert (backup.parent / keys.key_file(db_path).name).exists()  # the wrapped key travels with backups
    assert check_backup(backup, key=result.key) == []


def test_opened_with_passphrase_or_recovery_key_and_refused_with_a_wrong_one(ward, db_path, clock):
    result = encrypt_database(db_path, PASSPHRASE, now=NOW, kdf=FAST, use_keyring=False)
    keys.forget(db_path)
    with pytest.raises(keys.Locked, match="đã được mã hóa"):
        Counter.open(db_path, clock=clock)
    assert not unlock_without_prompt(db_path)  # no OS key store here
    with pytest.raises(keys.WrongSecret, match="Mật khẩu khóa dữ liệu không đúng"):
        unlock(db_path, passphrase="không phải mật khẩu", use_keyring=False)
    with pytest.raises(keys.WrongSecret, match="Khóa khôi phục không đúng"):
        unlock(db_path, recovery="AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", use_keyring=False)

    assert unlock(db_path, passphrase=PASSPHRASE, use_keyring=False) == result.key
    keys.forget(db_path)
    typed = result.recovery.lower().replace("-", " ")  # typed from the paper, spacing as it comes
    assert unlock(db_path, recovery=typed, use_keyring=False) == result.key
    counter = Counter.open(db_path, clock=clock)
    assert counter.store.get_dossier(ward) is not None
    counter.close()


def test_a_lost_passphrase_is_replaced_with_the_recovery_key(ward, db_path, clock):
    result = encrypt_database(db_path, PASSPHRASE, now=NOW, kdf=FAST, use_keyring=False)
    keys.forget(db_path)
    change_passphrase(db_path, "mật khẩu mới của phường", recovery=result.recovery, kdf=FAST)
    with pytest.raises(keys.WrongSecret):
        unlock(db_path, passphrase=PASSPHRASE, use_keyring=False)
    assert unlock(db_path, passphrase="mật khẩu mới của phường", use_keyring=False) == result.key
    with pytest.raises(keys.KeyError_, match="ít nhất 10 ký tự"):
        change_passphrase(db_path, "ngắn", passphrase="mật khẩu mới của phường", kdf=FAST)


def test_wrong_key_file_or_missing_key_file(ward, db_path, tmp_path, clock):
    encrypt_database(db_path, PASSPHRASE, now=NOW, kdf=FAST, use_keyring=False)
    keys.forget(db_path)
    moved = tmp_path / "elsewhere.sqlite3"
    db_path.rename(moved)
    with pytest.raises(StorageError, match="thiếu tệp khóa"):
        Counter.open(moved, clock=clock)
    with pytest.raises(keys.KeyError_, match="Không tìm thấy tệp khóa"):
        unlock(moved, passphrase=PASSPHRASE, use_keyring=False)
    keys.remember(moved, "ab" * 32)  # some other ward's key
    with pytest.raises(keys.WrongSecret, match="Khóa dữ liệu không đúng"):
        Counter.open(moved, clock=clock)
    keys.forget(moved)


def test_restore_of_an_encrypted_backup_needs_the_ward_key(ward, db_path, clock):
    result = encrypt_database(db_path, PASSPHRASE, now=NOW, kdf=FAST, use_keyring=False)
    keys.forget(db_path)
    problems = check_backup(result.backup)
    assert problems and "cần khóa dữ liệu" in problems[0]
    unlock(db_path, passphrase=PASSPHRASE, use_keyring=False)
    restore(result.backup, db_path, now=NOW.replace(hour=19))
    counter = Counter.open(db_path, clock=clock)
    assert counter.store.get_dossier(ward) is not None and counter.check() == []
    counter.close()
    assert readable(db_path) == []


def test_encrypting_twice_or_a_weak_passphrase_is_refused(ward, db_path):
    with pytest.raises(keys.KeyError_, match="ít nhất 10 ký tự"):
        encrypt_database(db_path, "ngắn", now=NOW, kdf=FAST, use_keyring=False)
    assert not keys.is_encrypted(db_path)
    encrypt_database(db_path, PASSPHRASE, now=NOW, kdf=FAST, use_keyring=False)
    with pytest.raises(StorageError, match="đã được mã hóa"):
        encrypt_database(db_path, PASSPHRASE, now=NOW, kdf=FAST, use_keyring=False)
