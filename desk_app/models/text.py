"""Vietnamese text: NFC normalisation, cleaning of pasted input, legacy-font repair, search folding.

Every string typed or pasted by a clerk goes through ``clean_text``. Wards still hold Word and
Excel files typed in the pre-Unicode fonts (TCVN3/ABC ".VnTime", VNI "VNI-Times"); copied from
there, the text arrives as the Latin-1 letters those fonts drew over ("Céng hoµ", "Coäng hoøa").
``clean_text`` repairs that only when it is clearly legacy text, so ordinary input is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

__all__ = [
    "nfc",
    "fold",
    "clean_text",
    "from_tcvn3",
    "from_vni",
    "detect_legacy_encoding",
    "normalize_name",
    "is_vietnamese_syllable",
]


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (composed) form."""
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------------------------
# Search folding
# --------------------------------------------------------------------------------------------

def _fold_slow(text: str) -> str:
    # Lower first: some capitals lower to a letter plus a mark ("İ" -> "i̇"), stripped below.
    lowered = text.lower().replace("đ", "d").replace("ð", "d")
    decomposed = unicodedata.normalize("NFD", lowered)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for cp in range(0x80):
        table[cp] = chr(cp).lower()
    # Latin-1, Latin Extended-A/B and Latin Extended Additional hold every Vietnamese letter.
    for start, end in ((0x00C0, 0x0250), (0x1E00, 0x1F00)):
        for cp in range(start, end):
            folded = _fold_slow(chr(cp))
            if folded.isascii():
                table[cp] = folded
    for cp in range(0x0300, 0x0370):  # combining diacritics (NFD input)
        table[cp] = None
    return table


_FOLD_TABLE = _build_fold_table()


def fold(text: str) -> str:
    """Search key: lower case, no tone or vowel marks, Đ/đ as d.

    "Nguyễn Văn Đức" -> "nguyen van duc". Apply to ``clean_text`` output so legacy-font
    input folds like its Unicode form.
    """
    # A translate table covers Vietnamese in one C-level pass; it runs over millions of rows.
    quick = text.translate(_FOLD_TABLE)
    if quick.isascii():
        return quick
    return _fold_slow(text)


# --------------------------------------------------------------------------------------------
# Legacy encodings: tables
# --------------------------------------------------------------------------------------------

# Tone order used in the tables below: none, sắc, huyền, hỏi, ngã, nặng.
_TONE_MARKS = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_TONE_MARK_SET = frozenset(_TONE_MARKS[1:])


def _toned(vowel: str, tone: int) -> str:
    return nfc(vowel + _TONE_MARKS[tone])


# TCVN 5712:1993 VN3 ("ABC"), the 8-bit code of .VnTime/.VnArial fonts. Per vowel: the codes
# for the plain letter (None when it is ASCII) and for sắc, huyền, hỏi, ngã, nặng. Toned
# capitals have no code of their own: the ".VnTimeH" fonts draw the lowercase codes as capitals.
_TCVN3_LOWER: dict[str, tuple[int | None, int, int, int, int, int]] = {
    "a": (None, 0xB8, 0xB5, 0xB6, 0xB7, 0xB9),
    "ă": (0xA8, 0xBE, 0xBB, 0xBC, 0xBD, 0xC6),
    "â": (0xA9, 0xCA, 0xC7, 0xC8, 0xC9, 0xCB),
    "e": (None, 0xD0, 0xCC, 0xCE, 0xCF, 0xD1),
    "ê": (0xAA, 0xD5, 0xD2, 0xD3, 0xD4, 0xD6),
    "i": (None, 0xDD, 0xD7, 0xD8, 0xDC, 0xDE),
    "o": (None, 0xE3, 0xDF, 0xE1, 0xE2, 0xE4),
    "ô": (0xAB, 0xE8, 0xE5, 0xE6, 0xE7, 0xE9),
    "ơ": (0xAC, 0xED, 0xEA, 0xEB, 0xEC, 0xEE),
    "u": (None, 0xF3, 0xEF, 0xF1, 0xF2, 0xF4),
    "ư": (0xAD, 0xF8, 0xF5, 0xF6, 0xF7, 0xF9),
    "y": (None, 0xFD, 0xFA, 0xFB, 0xFC, 0xFE),
}
# Untoned capitals that do have codes.
_TCVN3_UPPER = {0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ"}


def _build_tcvn3() -> dict[str, str]:
    table: dict[str, str] = {}
    for vowel, codes in _TCVN3_LOWER.items():
        for tone, code in enumerate(codes):
            if code is not None:
                table[chr(code)] = _toned(vowel, tone)
    table[chr(0xAE)] = "đ"
    for code, letter in _TCVN3_UPPER.items():
        table[chr(code)] = letter
    return table


# Keys are the Latin-1 characters the bytes show as when pasted (0xA1-0xFE: same in CP1252).
TCVN3_TO_UNICODE: dict[str, str] = _build_tcvn3()
# TCVN 5712 "VN1" puts more capitals in 0x80-0x9F and C0 controls, where CP1252 has curly
# quotes and dashes; .VnTime text does not use them, so they are deliberately not mapped.

# VNI-Windows: a base letter followed by one code character that carries both the vowel mark
# and the tone; i, ỵ, ơ, ư and đ have single characters of their own.
_VNI_TONE = ("", "ù", "ø", "û", "õ", "ï")  # none, sắc, huyền, hỏi, ngã, nặng
_VNI_CIRCUMFLEX = ("â", "á", "à", "å", "ã", "ä")  # â ê ô
_VNI_BREVE = ("ê", "é", "è", "ú", "ü", "ë")  # ă
_VNI_I = ("i", "í", "ì", "æ", "ó", "ò")


def _build_vni() -> dict[str, str]:
    lower: dict[str, str] = {}

    def add(seq: str, vowel: str, tone: int) -> None:
        lower[seq] = _toned(vowel, tone)

    for tone in range(1, 6):
        for base in "aeouy":
            add(base + _VNI_TONE[tone], base, tone)
        add("ô" + _VNI_TONE[tone], "ơ", tone)
        add("ö" + _VNI_TONE[tone], "ư", tone)
        add(_VNI_I[tone], "i", tone)
    for tone in range(6):
        add("a" + _VNI_CIRCUMFLEX[tone], "â", tone)
        add("e" + _VNI_CIRCUMFLEX[tone], "ê", tone)
        add("o" + _VNI_CIRCUMFLEX[tone], "ô", tone)
        add("a" + _VNI_BREVE[tone], "ă", tone)
    del lower["yï"]
    lower["î"] = "ỵ"  # VNI has a single code for ỵ instead of y + dot
    lower["ô"] = "ơ"
    lower["ö"] = "ư"
    lower["ñ"] = "đ"
    table = dict(lower)
    for seq, letter in lower.items():
        table[seq.upper()] = letter.upper()
        if len(seq) == 2:
            # Capital base with a lowercase code (and back) turns up in hand-typed files;
            # the base letter decides the case.
            table[seq[0].upper() + seq[1]] = letter.upper()
            table[seq[0] + seq[1].upper()] = letter
    return table


VNI_TO_UNICODE: dict[str, str] = _build_vni()
_VNI_PATTERN = re.compile(
    "|".join(re.escape(k) for k in sorted(VNI_TO_UNICODE, key=len, reverse=True))
)
_TCVN3_TRANS = str.maketrans(TCVN3_TO_UNICODE)

# Latin-1 letters that modern Vietnamese uses: legacy text made only of these is ambiguous.
_VIET_LATIN1 = frozenset("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
# Letters outside Latin-1 that only Unicode Vietnamese has (ă đ ơ ư ĩ ũ and U+1EA0-U+1EF9):
# their presence means the text is already Unicode.
_MODERN_ONLY = frozenset(
    "ĂăĐđƠơƯưĨĩŨũ" + "".join(chr(cp) for cp in range(0x1EA0, 0x1EFA))
)
_TCVN3_KEYS = frozenset(TCVN3_TO_UNICODE)
_VNI_KEYS = frozenset(ch for seq in VNI_TO_UNICODE for ch in seq if not ch.isascii())


# --------------------------------------------------------------------------------------------
# Legacy encodings: conversion
# --------------------------------------------------------------------------------------------

_TCVN3_UPPER_KEYS = frozenset(chr(c) for c in _TCVN3_UPPER)
_TCVN3_LOWER_ONLY_KEYS = frozenset(chr(c) for c in range(0xA8, 0xAF))  # ă â ê ô ơ ư đ
_TCVN3_WORD_RE = re.compile(r"[A-Za-z\u00a1-\u00fe]+")


def _tcvn3_case_evidence(text: str) -> tuple[int, int]:
    upper = lower = 0
    for ch in text:
        if ch in _TCVN3_UPPER_KEYS or ("A" <= ch <= "Z"):
            upper += 1
        elif ch in _TCVN3_LOWER_ONLY_KEYS or ("a" <= ch <= "z"):
            lower += 1
    return upper, lower


def from_tcvn3(s: str) -> str:
    """Convert TCVN3 (ABC) text, as pasted into a Unicode field, to Unicode NFC.

    "Céng hoµ x· héi" -> "Cộng hoà xã hội". Toned capitals share the lowercase codes, so a
    word with two or more unambiguous capitals and no lowercase letter is put in capitals
    ("NGUYÔN" -> "NGUYỄN"), and so is all the text when no word has a lowercase letter.
    """
    words = list(_TCVN3_WORD_RE.finditer(s))
    evidence = [_tcvn3_case_evidence(m.group()) for m in words]
    capital_words = [up >= 2 and not low for up, low in evidence]
    converted = s.translate(_TCVN3_TRANS)
    if any(capital_words) and not any(low for _, low in evidence):
        return nfc(converted.upper())
    out: list[str] = []
    pos = 0
    for m, capital in zip(words, capital_words):
        out.append(converted[pos:m.start()])
        word = converted[m.start():m.end()]
        out.append(word.upper() if capital else word)
        pos = m.end()
    out.append(converted[pos:])
    return nfc("".join(out))


def from_vni(s: str) -> str:
    """Convert VNI-Windows text, as pasted into a Unicode field, to Unicode NFC.

    "Coäng hoøa xaõ hoäi" -> "Cộng hòa xã hội", "Ñöùc" -> "Đức".
    """
    return nfc(_VNI_PATTERN.sub(lambda m: VNI_TO_UNICODE[m.group()], s))


# --------------------------------------------------------------------------------------------
# Vietnamese syllable check (used to decide whether a conversion makes sense)
# --------------------------------------------------------------------------------------------

_INITIALS = "ngh|ng|nh|gh|gi|kh|ph|th|tr|ch|qu|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
# Vowel clusters ending in a glide take no final consonant; some clusters need one.
_OPEN_NUCLEI = (
    "iêu|yêu|oai|oao|oay|oeo|uây|uôi|uya|uyu|ươi|ươu|"
    "ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu"
)
_CLOSED_NUCLEI = "uyê|iê|yê|uô|ươ|uâ|oă|oo|ă|â"
_FREE_NUCLEI = "oa|oe|uê|uơ|uy|a|e|ê|i|o|ô|ơ|u|ư|y"
# "k" ends ethnic-minority place names (Đắk Lắk); harmless for detection.
_FINALS = "ch|ng|nh|c|m|n|p|t|k"
_SYLLABLE_RE = re.compile(
    f"(?:{_INITIALS})?"
    f"(?:(?P<open>{_OPEN_NUCLEI})|(?P<closed>{_CLOSED_NUCLEI})(?P<f1>{_FINALS})"
    f"|(?P<free>{_FREE_NUCLEI})(?P<f2>{_FINALS})?)"
)
_STOP_FINALS = frozenset({"c", "ch", "p", "t", "k"})
# Where the tone mark may sit, as positions inside the vowel cluster. Both the old ("hòa",
# "thúy") and the new ("hoà", "thuý") placement are accepted for open oa, oe, uy.
_TONE_SEAT_OPEN_PAIR_EITHER = frozenset({"oa", "oe", "uy"})
_TONE_SEAT_SECOND = frozenset({"uê", "uơ"})


def _tone_seats(nucleus: str, has_final: bool) -> tuple[int, ...]:
    if len(nucleus) == 1:
        return (0,)
    if len(nucleus) == 3:
        return (2,) if nucleus == "uyê" else (1,)
    if has_final or nucleus in _TONE_SEAT_SECOND:
        return (1,)
    if nucleus in _TONE_SEAT_OPEN_PAIR_EITHER:
        return (0, 1)
    return (0,)  # ai, ao, ia, ưa, ...: on the first vowel


def is_vietnamese_syllable(word: str) -> bool:
    """True when ``word`` is spelt like one Vietnamese syllable: a known initial, vowel cluster
    and final, at most one tone mark, on a vowel where Vietnamese puts it, and only sắc or
    nặng before a stop final (c, ch, p, t)."""
    base_chars: list[str] = []
    tone: str | None = None
    tone_at = -1
    for index, ch in enumerate(nfc(word.lower())):
        parts = unicodedata.normalize("NFD", ch)
        marks = [p for p in parts if p in _TONE_MARK_SET]
        if marks:
            if tone is not None or len(marks) > 1:
                return False
            tone, tone_at = marks[0], index
        base = nfc("".join(p for p in parts if p not in _TONE_MARK_SET))
        if len(base) != 1:
            return False
        base_chars.append(base)
    m = _SYLLABLE_RE.fullmatch("".join(base_chars))
    if m is None:
        return False
    final = m.group("f1") or m.group("f2")
    if final in _STOP_FINALS and tone not in ("\u0301", "\u0323"):
        return False  # syllables ending in a stop take only sắc or nặng
    if tone is not None:
        kind = "open" if m.group("open") else "closed" if m.group("closed") else "free"
        start = m.start(kind)
        if tone_at - start not in _tone_seats(m.group(kind), final is not None):
            return False
    return True


# --------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------

LegacyEncoding = Literal["tcvn3", "vni"]


def _word_re(keys: frozenset[str]) -> re.Pattern[str]:
    # Letters plus the legacy code characters, some of which are not letters ("x·" is "xã").
    return re.compile(r"(?:[^\W\d_]|[" + re.escape("".join(sorted(keys))) + r"])+")


_TCVN3_WORDS = _word_re(_TCVN3_KEYS)
_VNI_WORDS = _word_re(_VNI_KEYS)


def _decisive(token: str) -> bool:
    """A word no Latin-script language writes: a legacy code that is not a letter ("§", "µ"),
    or two different letters that modern Vietnamese never uses ("Ñöùc")."""
    foreign = {ch for ch in token if not ch.isascii() and ch not in _VIET_LATIN1}
    return len(foreign) >= 2 or any(not ch.isalpha() for ch in foreign)


def _score(text: str, convert, word_chars: re.Pattern[str]) -> int | None:
    """How many words the conversion turns from non-syllables into Vietnamese syllables,
    or None when the conversion is not convincing."""
    improved = 0
    convincing = decisive = False
    counted = 0
    invalid_after = 0
    for m in word_chars.finditer(text):
        token = m.group()
        if len(token) < 2 or (token.isascii() and token.isupper()):
            continue  # single letters and acronyms (UBND, TP) say nothing
        counted += 1
        after = convert(token)
        if not is_vietnamese_syllable(after):
            invalid_after += 1
        elif after != token and not is_vietnamese_syllable(token):
            improved += 1
            decisive = decisive or _decisive(token)
            # Alone, a short word may be foreign ("où", "tôt", "haï" all read as syllables).
            convincing = convincing or decisive or len(token) >= 3
    # Nearly every word of real legacy text becomes a syllable; French or English does not.
    if improved == 0 or invalid_after > counted // 5:
        return None
    if counted == 1:
        return improved if decisive else None
    return improved if convincing or improved >= 2 else None


def detect_legacy_encoding(s: str) -> LegacyEncoding | None:
    """Return "tcvn3" or "vni" when ``s`` is clearly text in that legacy encoding, else None.

    Conservative: text holding any letter only Unicode Vietnamese has is never legacy; nearly
    every word must be a Vietnamese syllable after conversion; the conversion must turn
    non-syllables into syllables in two words, or in one word of three or more letters or
    with letters modern Vietnamese never uses. A lone word must be decisive ("§øc",
    "Ñöùc"): alone, "tôt" or "haï" may just as well be French.
    """
    if not isinstance(s, str) or s.isascii():
        return None
    if any(ch in _MODERN_ONLY for ch in s):
        return None
    candidates: list[tuple[int, LegacyEncoding]] = []
    if any(ch in _TCVN3_KEYS for ch in s):
        scored = _score(s, from_tcvn3, _TCVN3_WORDS)
        if scored:
            candidates.append((scored, "tcvn3"))
    if any(ch in _VNI_KEYS for ch in s):
        scored = _score(s, from_vni, _VNI_WORDS)
        if scored:
            candidates.append((scored, "vni"))
    if not candidates:
        return None
    if len(candidates) == 2 and candidates[0][0] == candidates[1][0]:
        return None  # both fit equally: not clear, leave it
    return max(candidates)[1]


# --------------------------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------------------------

# Invisible format characters that creep in from web pages and PDFs. Soft hyphen is among
# them, but it is removed only after legacy detection: it is "ư" in TCVN3.
_FORMAT_CHARS = dict.fromkeys(
    [0x00AD, 0x180E, 0x200B, 0x200E, 0x200F, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A)),
    None,
)
_SPACES_RE = re.compile(r"[^\S\n]+")  # any whitespace except newline
_SPACE_AROUND_NL_RE = re.compile(r" *\n *")
_SPACE_CONTROLS_RE = re.compile(r"[\t\x0b\x0c\x1c-\x1f\x85]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x9f]")


def _basic(s: str, multiline: bool, *, drop_format: bool) -> str:
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = s.replace("\u2028", "\n").replace("\u2029", "\n")
    if not multiline:
        s = s.replace("\n", " ")
    s = _SPACE_CONTROLS_RE.sub(" ", s)  # tab, vertical tab, form feed, separators: spaces
    s = _CONTROL_RE.sub("", s)
    if drop_format:
        s = s.translate(_FORMAT_CHARS)
    s = nfc(s)
    s = _SPACES_RE.sub(" ", s)
    if multiline:
        s = _SPACE_AROUND_NL_RE.sub("\n", s)
    return s.strip(" \n")


def _clean_once(s: str, multiline: bool) -> str:
    text = _basic(s, multiline, drop_format=False)
    if not text.isascii():
        encoding = detect_legacy_encoding(text)
        if encoding is not None:
            convert = from_tcvn3 if encoding == "tcvn3" else from_vni
            converted = _basic(convert(text), multiline, drop_format=True)
            # Keep a repair only if it is stable: cleaning it again must not convert again.
            if detect_legacy_encoding(converted) is None:
                return converted
    return _basic(text, multiline, drop_format=True)


def clean_text(s: str, *, multiline: bool = False) -> str:
    """Normalise text on its way in.

    Repairs pasted TCVN3/VNI text, returns NFC, drops control and invisible format
    characters (keeps newlines only when ``multiline``), turns tabs and other spaces into one
    space, trims the ends. Never raises for a str; ``clean_text(clean_text(x)) == clean_text(x)``.
    """
    if not isinstance(s, str):
        s = "" if s is None else str(s)
    out = _clean_once(s, multiline)
    if out.isascii():
        return out
    # Dropping format characters can change what detection sees (soft hyphen is TCVN3 "ư");
    # two more passes always reach a fixed point, which makes cleaning idempotent.
    for _ in range(2):
        again = _clean_once(out, multiline)
        if again == out:
            break
        out = again
    return out


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_NAME_BREAK = " -'"


def normalize_name(s: str) -> str:
    """Clean a person's name and capitalise each word: "nguyễn văn đức" -> "Nguyễn Văn Đức",
    "NGUYỄN THỊ ÁNH" -> "Nguyễn Thị Ánh", "h'hen niê" -> "H'Hen Niê"."""
    text = clean_text(s).translate(_APOSTROPHES).lower()
    out: list[str] = []
    start = True
    for ch in text:
        out.append(ch.upper() if start else ch)
        start = ch in _NAME_BREAK
    return nfc("".join(out))
