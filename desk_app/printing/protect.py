"""Exports are unreadable without their password: XLSX with Office's own encryption (AES,
ECMA-376 agile, opens in Excel and LibreOffice after the password), PDF with AES-256 (opens in
any PDF reader after the password). Both from maintained libraries (msoffcrypto-tool, pypdf)."""

from __future__ import annotations

import io

from ..models.errors import ValidationError

MIN_LENGTH = 8


def check_password(password: str) -> None:
    if len(password or "") < MIN_LENGTH:
        raise ValidationError(f"Mật khẩu tệp xuất phải có ít nhất {MIN_LENGTH} ký tự.", field="password")


def protect(data: bytes, fmt: str, password: str) -> bytes:
    check_password(password)
    if fmt == "xlsx":
        from msoffcrypto.format.ooxml import OOXMLFile

        out = io.BytesIO()
        OOXMLFile(io.BytesIO(data)).encrypt(password, out)
        return out.getvalue()
    if fmt == "pdf":
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.encrypt(user_password=password, owner_password=None, algorithm="AES-256")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    raise ValidationError(f"Không bảo vệ được định dạng “{fmt}”.", field="format")
