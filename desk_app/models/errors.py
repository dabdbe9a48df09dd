"""Domain errors carry a message in Vietnamese that the clerk can read as is."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the counter was broken. ``message`` is Vietnamese, for the clerk."""

    def __init__(self, message: str, *, code: str = "domain_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ValidationError(DomainError):
    """Bad input in one field. ``field`` names the field (English id) when known."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message, code=code)
        self.field = field


class IllegalTransition(DomainError):
    """An action that the dossier's current status does not allow."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="illegal_transition")


class NotLoggedIn(DomainError):
    def __init__(self) -> None:
        super().__init__("Chưa đăng nhập. Vui lòng đăng nhập để thao tác.", code="not_logged_in")
