"""The QR code on every paper: a keyed hash the district can check.

Content: ``QMC1|<dossier code>|<template>@<version>|<printed yyyymmddHHMM>|<signature>``.
The signature is HMAC-SHA256 with the ward's paper key (made at set-up, shared with the
district at enrolment), base32, 20 characters: short enough for a small QR code, far
too long to guess.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

PREFIX = "QMC1"


def _signature(key: str, message: str) -> str:
    digest = hmac.new(bytes.fromhex(key), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:20]


def verification_text(key: str, code: str, template_id: str, version: str, printed_at: datetime) -> str:
    message = f"{PREFIX}|{code}|{template_id}@{version}|{printed_at:%Y%m%d%H%M}"
    return f"{message}|{_signature(key, message)}"


def verify_text(key: str, text: str) -> bool:
    message, _, signature = text.rpartition("|")
    if not message.startswith(PREFIX + "|") or not signature:
        return False
    return hmac.compare_digest(_signature(key, message), signature)
