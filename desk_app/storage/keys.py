"""The ward's database key: made at set-up, never stored in plain text beside the data.

The database (and its backups) are encrypted with SQLCipher under a random 256-bit key. That
key is kept in ``<database>.key`` only *wrapped* (AES-256-GCM, from ``cryptography``) under keys
derived with Argon2id (``argon2-cffi``) from:

- the ward's passphrase, chosen by the admin at set-up (asked when the PC cannot unlock alone);
- the recovery key, printed once at set-up on the recovery sheet and sealed in an envelope the
  leader keeps: a lost passphrase never loses the ward's records.

On a PC with an operating-system key store (Windows Credential Manager, macOS Keychain, Secret
Service), the key is also kept there, so the counter opens without a prompt for the Windows
user who set it up. In this process the key lives only in memory (``remember``/``key_for``), so
worker threads (sync, backups, statistics) open their own connections without asking again.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from ..models.errors import DomainError

log = logging.getLogger(__name__)

FORMAT = "desk-app-key/1"
KEYRING_SERVICE = "desk-app (Quầy Một Cửa)"
PLAIN_HEADER = b"SQLite format 3\x00"
# Argon2id cost: about a quarter of a second on a counter PC, once per start.
KDF = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 2}
_KEYS: dict[Path, str] = {}


class KeyError_(DomainError):
    def __init__(self, message: str, code: str = "key") -> None:
        super().__init__(message, code=code)


class WrongSecret(KeyError_):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} không đúng. Dữ liệu không bị thay đổi.", code="wrong_key")


class Locked(KeyError_):
    def __init__(self, path: Path) -> None:
        super().__init__(f"Cơ sở dữ liệu {path.name} đã được mã hóa: cần mật khẩu khóa dữ liệu của phường "
                         "(hoặc khóa khôi phục) để mở.", code="locked")


def _norm(path: Path | str) -> Path:
    return Path(path).expanduser().resolve()


def remember(path: Path | str, key: str) -> None:
    _KEYS[_norm(path)] = key


def forget(path: Path | str) -> None:
    _KEYS.pop(_norm(path), None)


def key_for(path: Path | str) -> str | None:
    return _KEYS.get(_norm(path))


def key_file(db_path: Path | str) -> Path:
    path = Path(db_path)
    return path.with_name(path.name + ".key")


def is_encrypted(path: Path | str) -> bool:
    """A database file that is not plain SQLite (SQLCipher's first page is random bytes)."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return False
    with path.open("rb") as f:
        return f.read(16) != PLAIN_HEADER


def new_key() -> str:
    return secrets.token_hex(32)


def new_recovery_key() -> str:
    """25 characters in five groups (base32 without look-alikes), easy to type from paper."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(25))
    return "-".join(raw[i:i + 5] for i in range(0, 25, 5))


def _normalise_recovery(text: str) -> str:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return "-".join(cleaned[i:i + 5] for i in range(0, len(cleaned), 5))


def _derive(secret: str, salt: bytes, kdf: dict) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    return hash_secret_raw(secret.encode("utf-8"), salt, time_cost=kdf["time_cost"],
                           memory_cost=kdf["memory_cost"], parallelism=kdf["parallelism"], hash_len=32,
                           type=Type.ID)


def _wrap(key: str, secret: str, kdf: dict) -> dict:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = AESGCM(_derive(secret, salt, kdf)).encrypt(nonce, bytes.fromhex(key), FORMAT.encode())
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return {"kdf": "argon2id", **kdf, "salt": b64(salt), "nonce": b64(nonce), "sealed": b64(sealed)}


def _unwrap(entry: dict, secret: str) -> str | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kdf = {k: int(entry[k]) for k in ("time_cost", "memory_cost", "parallelism")}
    raw = lambda k: base64.b64decode(entry[k])  # noqa: E731
    try:
        return AESGCM(_derive(secret, raw("salt"), kdf)).decrypt(raw("nonce"), raw("sealed"), FORMAT.encode()).hex()
    except InvalidTag:
        return None


@dataclass
class KeyFile:
    path: Path
    data: dict

    @classmethod
    def create(cls, db_path: Path, key: str, passphrase: str, recovery: str, *, kdf: dict | None = None) -> "KeyFile":
        check_passphrase(passphrase)
        kdf = kdf or KDF
        data = {"format": FORMAT, "database": Path(db_path).name,
                "wrapped": {"passphrase": _wrap(key, passphrase, kdf),
                            "recovery": _wrap(key, _normalise_recovery(recovery), kdf)}}
        kf = cls(key_file(db_path), data)
        kf.save()
        return kf

    @classmethod
    def load(cls, db_path: Path) -> "KeyFile":
        path = key_file(db_path)
        if not path.exists():
            raise KeyError_(f"Không tìm thấy tệp khóa {path.name} cạnh cơ sở dữ liệu. Hãy chép tệp này cùng "
                            "cơ sở dữ liệu, hoặc khôi phục từ bản sao lưu của tệp khóa.", code="no_key_file")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KeyError_(f"Tệp khóa {path.name} bị hỏng ({exc}).") from None
        if data.get("format") != FORMAT:
            raise KeyError_(f"Tệp khóa {path.name} không đúng định dạng.")
        return cls(path, data)

    def save(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=2), encoding="utf-8")
        tmp.replace(self.path)

    def unlock(self, *, passphrase: str | None = None, recovery: str | None = None) -> str:
        if passphrase is not None:
            key = _unwrap(self.data["wrapped"]["passphrase"], passphrase)
            if key is None:
                raise WrongSecret("Mật khẩu khóa dữ liệu")
            return key
        if recovery is not None:
            key = _unwrap(self.data["wrapped"]["recovery"], _normalise_recovery(recovery))
            if key is None:
                raise WrongSecret("Khóa khôi phục")
            return key
        raise KeyError_("Cần mật khẩu khóa dữ liệu hoặc khóa khôi phục.")

    def change_passphrase(self, key: str, new_passphrase: str, *, kdf: dict | None = None) -> None:
        check_passphrase(new_passphrase)
        self.data["wrapped"]["passphrase"] = _wrap(key, new_passphrase, kdf or KDF)
        self.save()


def check_passphrase(passphrase: str) -> None:
    if len(passphrase or "") < 10:
        raise KeyError_("Mật khẩu khóa dữ liệu phải có ít nhất 10 ký tự.", code="weak_passphrase")


# -- the operating system's key store (optional) ---------------------------------------------

def _keyring():
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # noqa: BLE001 - no key store on this PC: the passphrase is asked instead
        return None
    backend = keyring.get_keyring()
    return None if isinstance(backend, fail.Keyring) else keyring


def store_in_keyring(db_path: Path, key: str) -> bool:
    kr = _keyring()
    if kr is None:
        return False
    try:
        kr.set_password(KEYRING_SERVICE, str(_norm(db_path)), key)
        return True
    except Exception as exc:  # noqa: BLE001
        log.warning("could not keep the key in the OS key store: %s", exc)
        return False


def key_from_keyring(db_path: Path) -> str | None:
    kr = _keyring()
    if kr is None:
        return None
    try:
        return kr.get_password(KEYRING_SERVICE, str(_norm(db_path)))
    except Exception as exc:  # noqa: BLE001
        log.warning("OS key store unavailable: %s", exc)
        return None
