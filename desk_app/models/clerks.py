"""Clerk accounts: roles and argon2 password hashes."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import DomainError, ValidationError

ROLE_LABELS = {
    "clerk": "Cán bộ một cửa",
    "leader": "Lãnh đạo",
    "admin": "Quản trị",
}
ROLES = tuple(ROLE_LABELS)
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Clerk:
    username: str
    full_name: str
    role: str
    active: bool = True

    def can(self, permission: str) -> bool:
        """Leaders see reports and the access log; admins also manage accounts and settings."""
        allowed = {
            "clerk": {"intake", "process", "print"},
            # a dossier entered by mistake whose papers the citizen already holds: a leader cancels it
            "leader": {"intake", "process", "print", "reports", "confirm_purge", "cancel_handed_over"},
            "admin": {"intake", "process", "print", "reports", "confirm_purge", "cancel_handed_over", "manage"},
        }
        return permission in allowed.get(self.role, set())


PASSWORDS_DIFFER = "Hai lần nhập mật khẩu không giống nhau."


def validate_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,31}", username):
        raise ValidationError(
            "Tên đăng nhập gồm 2–32 ký tự: chữ không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới.",
            field="username",
        )
    return username


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"Vai trò không hợp lệ: {role!r}.", field="role")
    return role


def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự.", field="password")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """A readable one-time password for a new admin created without a terminal."""
    return secrets.token_urlsafe(12)


class LoginFailed(DomainError):
    def __init__(self) -> None:
        super().__init__("Tên đăng nhập hoặc mật khẩu không đúng.", code="login_failed")
