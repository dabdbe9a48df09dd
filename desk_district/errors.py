"""Errors the API answers with: an HTTP status, a stable English ``error`` and a Vietnamese
``message`` for the clerk. Never a traceback."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "message": self.message, **self.extra}


MSG_UNAUTHORIZED = ("Máy chưa được xác thực: mã truy cập (token) thiếu, sai hoặc đã bị thu hồi. "
                    "Hãy liên hệ quản trị máy chủ để đăng ký lại quầy.")
MSG_ENROLL_REFUSED = ("Không đăng ký được quầy: mã đăng ký không đúng, không dành cho phường/xã và quầy này, "
                      "đã được dùng hoặc đã hết hạn. Hãy xin quản trị máy chủ một mã mới.")
MSG_DEVICE_MISMATCH = "Mã máy trong yêu cầu không khớp với máy đã đăng ký bằng mã truy cập này."
MSG_NOT_A_DEVICE = "Chức năng này chỉ dành cho máy tại quầy đã đăng ký."
MSG_NOT_ADMIN = "Chức năng này chỉ dành cho quản trị máy chủ (mã truy cập quản trị)."


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", MSG_UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)
