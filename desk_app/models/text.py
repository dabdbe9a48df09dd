"""Vietnamese text: NFC normalisation and search folding.

(Being extended: legacy TCVN3/VNI repair, name casing.)
"""

from __future__ import annotations

import unicodedata


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (composed) form."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Search key: lower case, no tone or vowel marks, Đ/đ as d.

    "Nguyễn Văn Đức" -> "nguyen van duc".
    """
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).lower()
