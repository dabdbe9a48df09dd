"""Text cleaning, legacy-font repair (TCVN3, VNI), name casing and search folding."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk_app.models.text import (
    TCVN3_TO_UNICODE,
    VNI_TO_UNICODE,
    clean_text,
    detect_legacy_encoding,
    fold,
    from_tcvn3,
    from_vni,
    is_vietnamese_syllable,
    nfc,
    normalize_name,
)

LOWER_VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
ALL_LOWER = [nfc(v + t) for v in LOWER_VOWELS for t in TONES] + ["đ"]
ALL_LETTERS = ALL_LOWER + [ch.upper() for ch in ALL_LOWER]


def test_there_are_134_marked_vietnamese_letters():
    # 12 vowels x 6 tones x 2 cases + đ/Đ, less the 12 plain ASCII vowels.
    assert len({ch for ch in ALL_LETTERS if not ch.isascii()}) == 134


# --- TCVN3 --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "legacy, unicode_",
    [
        # The brief's "Nguyôn" is wrong: ô (0xF4) is "ụ"; "ễ" is 0xD4, shown as "Ô".
        ("NguyÔn V¨n §øc", "Nguyễn Văn Đức"),
        ("Céng hoµ x· héi chñ nghÜa ViÖt Nam", "Cộng hoà xã hội chủ nghĩa Việt Nam"),
        ("§éc lËp - Tù do - H¹nh phóc", "Độc lập - Tự do - Hạnh phúc"),
        ("UBND ph\u00adêng §¹i Nµi", "UBND phường Đại Nài"),
        ("Sè 12 ®\u00adêng Lª Lîi, TP. H¶i Phßng", "Số 12 đường Lê Lợi, TP. Hải Phòng"),
        ("§¾k L¾k", "Đắk Lắk"),
        ("GiÊy khai sinh", "Giấy khai sinh"),
        ("Thõa Thiªn HuÕ", "Thừa Thiên Huế"),
        ("§øc", "Đức"),
    ],
)
def test_tcvn3_known_strings(legacy, unicode_):
    assert from_tcvn3(legacy) == unicode_
    assert detect_legacy_encoding(legacy) == "tcvn3"
    assert clean_text(legacy) == unicode_


def test_tcvn3_wrong_example_from_brief_is_not_nguyen():
    assert from_tcvn3("Nguyôn") == "Nguyụn"
    # "Nguyụn" is no Vietnamese syllable, so the whole line is not taken as TCVN3.
    assert detect_legacy_encoding("Nguyôn V¨n §øc") is None


def test_tcvn3_table_covers_every_lowercase_letter_and_untoned_capitals():
    produced = set(TCVN3_TO_UNICODE.values())
    missing_lower = [ch for ch in ALL_LOWER if ch not in produced and not ch.isascii()]
    assert missing_lower == []
    assert {"Ă", "Â", "Ê", "Ô", "Ơ", "Ư", "Đ"} <= produced
    assert len(TCVN3_TO_UNICODE) == 74
    # All codes sit in 0xA1-0xFE, where Latin-1 and CP1252 agree.
    assert all(0xA1 <= ord(k) <= 0xFE for k in TCVN3_TO_UNICODE)


@pytest.mark.parametrize(
    "code, letter",
    [(0xB8, "á"), (0xB5, "à"), (0xB6, "ả"), (0xB7, "ã"), (0xB9, "ạ"), (0xA8, "ă"), (0xBE, "ắ"),
     (0xC6, "ặ"), (0xA9, "â"), (0xCB, "ậ"), (0xD0, "é"), (0xAA, "ê"), (0xD4, "ễ"), (0xD6, "ệ"),
     (0xDD, "í"), (0xDC, "ĩ"), (0xE3, "ó"), (0xAB, "ô"), (0xE9, "ộ"), (0xAC, "ơ"), (0xEE, "ợ"),
     (0xF3, "ú"), (0xAD, "ư"), (0xF8, "ứ"), (0xF9, "ự"), (0xFD, "ý"), (0xFE, "ỵ"), (0xAE, "đ"),
     (0xA7, "Đ"), (0xA1, "Ă"), (0xA6, "Ư")],
)
def test_tcvn3_single_codes(code, letter):
    assert from_tcvn3(chr(code)) == letter


def test_tcvn3_capitals_typed_in_vntimeh():
    # Toned capitals reuse lowercase codes; an all-capital word or text is put in capitals.
    assert from_tcvn3("NGUYÔN V¡N §øC") == "NGUYỄN VĂN ĐỨC"
    assert from_tcvn3("Hå CHÝ MINH") == "HỒ CHÍ MINH"
    assert from_tcvn3("Hä vµ tªn: NGUYÔN ThÞ Hoa") == "Họ và tên: NGUYỄN Thị Hoa"
    # One capital is not enough evidence: title case stays title case.
    assert from_tcvn3("Hå Tó") == "Hồ Tú"


# --- VNI ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "legacy, unicode_",
    [
        ("Nguyeãn Vaên Ñöùc", "Nguyễn Văn Đức"),
        ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
        ("Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"),
        ("NGUYEÃN VAÊN ÑÖÙC", "NGUYỄN VĂN ĐỨC"),
        ("Xin chaøo caùc baïn", "Xin chào các bạn"),
        ("Tröôøng Sa", "Trường Sa"),
        ("Giaáy khai sinh", "Giấy khai sinh"),
        ("Thöøa Thieân Hueá", "Thừa Thiên Huế"),
        ("Leâ Thò Hoa", "Lê Thị Hoa"),
        ("Ñöùc", "Đức"),
        ("Kyø thi, tyû leä, Myõ Tho, Quaän Nhaát, cuûa mình", "Kỳ thi, tỷ lệ, Mỹ Tho, Quận Nhất, của mình"),
    ],
)
def test_vni_known_strings(legacy, unicode_):
    assert from_vni(legacy) == unicode_
    assert detect_legacy_encoding(legacy) == "vni"
    assert clean_text(legacy) == unicode_


@pytest.mark.parametrize(
    "seq, letter",
    [("aù", "á"), ("aø", "à"), ("aû", "ả"), ("aõ", "ã"), ("aï", "ạ"), ("aâ", "â"), ("aá", "ấ"),
     ("aà", "ầ"), ("aå", "ẩ"), ("aã", "ẫ"), ("aä", "ậ"), ("aê", "ă"), ("aé", "ắ"), ("aè", "ằ"),
     ("aú", "ẳ"), ("aü", "ẵ"), ("aë", "ặ"), ("eâ", "ê"), ("eä", "ệ"), ("oâ", "ô"), ("oá", "ố"),
     ("ô", "ơ"), ("ôù", "ớ"), ("ö", "ư"), ("öï", "ự"), ("í", "í"), ("ì", "ì"), ("æ", "ỉ"),
     ("ó", "ĩ"), ("ò", "ị"), ("yù", "ý"), ("yõ", "ỹ"), ("î", "ỵ"), ("ñ", "đ"), ("Ñ", "Đ"),
     ("AÙ", "Á"), ("AÊ", "Ă"), ("OÂ", "Ô"), ("Ô", "Ơ"), ("Ö", "Ư"), ("ÖÙ", "Ứ"), ("Ò", "Ị"),
     ("Î", "Ỵ"), ("EÄ", "Ệ")],
)
def test_vni_sequences(seq, letter):
    assert from_vni(seq) == letter


def test_vni_table_produces_all_134_letters():
    produced = set(VNI_TO_UNICODE.values())
    missing = [ch for ch in ALL_LETTERS if not ch.isascii() and ch not in produced]
    assert missing == []


def test_vni_capital_base_with_lowercase_code_takes_case_of_base():
    assert from_vni("Aù") == "Á"
    assert from_vni("Ñöùc") == "Đức"


# --- detection is conservative ------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "café",
        "Crème brûlée",
        "Où est où",
        "Où",
        "São Paulo",
        "Müller",
        "Señor García",
        "Hà Nội",
        "Nguyễn Văn Đức",
        "Bùi Tú",
        "Lê Thị Hà",
        "Tôi là Hà",
        "Trái cây",
        "naïve façade",
        "plain ascii only",
        "tôt",  # French; alone it would read as TCVN3 "tụt"
        "haï",  # French; alone it would read as VNI "hạ"
        "mãe",
        "Nguyeãn",  # a lone VNI word without a decisive letter stays as typed
    ],
)
def test_ordinary_text_is_not_converted(text):
    assert detect_legacy_encoding(text) is None
    assert clean_text(text) == text


def test_detection_ignores_acronyms_but_not_foreign_words():
    assert detect_legacy_encoding("C«ng ty TNHH Sao Mai") == "tcvn3"
    assert clean_text("C«ng ty TNHH Sao Mai Software") == "Công ty TNHH Sao Mai Software"


def test_lone_word_is_judged_on_itself_not_on_a_following_acronym():
    assert clean_text("§øc UBND") == "Đức UBND"
    assert clean_text("tôt UBND") == "tôt UBND"


def test_detect_legacy_encoding_non_str_is_none():
    assert detect_legacy_encoding(None) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "word, ok",
    [("nguyễn", True), ("việt", True), ("đức", True), ("quốc", True), ("giữa", True), ("gì", True),
     ("khuỷu", True), ("nghiêng", True), ("hoà", True), ("thuở", True),
     ("cafộ", False), ("nguyụn", False), ("mat", False), ("màt", False), ("héi", False), ("ou", False),
     ("est", False), ("ấn", True), ("ăn", True), ("ă", False), ("viêt", False)],
)
def test_is_vietnamese_syllable(word, ok):
    assert is_vietnamese_syllable(word) is ok


# --- clean_text ---------------------------------------------------------------------------

def test_clean_text_whitespace_and_controls():
    assert clean_text("  Nguyễn\t Văn \x00 Đức  ") == "Nguyễn Văn Đức"
    assert clean_text("a\u00a0\u2003b") == "a b"
    assert clean_text("a\x0cb\x0bc\x85d\x1fe") == "a b c d e"  # whitespace-like controls separate words
    assert clean_text("a\x07b\x9bc") == "abc"
    assert clean_text("dòng 1\r\ndòng 2") == "dòng 1 dòng 2"
    assert clean_text("dòng 1 \r\n  dòng 2\n", multiline=True) == "dòng 1\ndòng 2"
    assert clean_text("a\u200bb\ufeff") == "ab"
    assert clean_text("soft\u00adhyphen") == "softhyphen"
    assert clean_text("") == ""
    assert clean_text("   \n\t ") == ""


def test_clean_text_nfd_becomes_nfc():
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
    assert nfd != "Nguyễn Thị Ánh Tuyết"
    assert clean_text(nfd) == "Nguyễn Thị Ánh Tuyết"


def test_clean_text_keeps_modern_text_and_ascii():
    for text in ["Ủy ban nhân dân phường Đại Nài", "Hello, world! 123 #@%", "Đắk Lắk – Tây Nguyên"]:
        assert clean_text(text) == text


def test_clean_text_multiline_legacy():
    assert clean_text("Nguyeãn Vaên Ñöùc\n  Haø Noäi", multiline=True) == "Nguyễn Văn Đức\nHà Nội"
    assert clean_text("Nguyeãn Vaên Ñöùc\n  Haø Noäi") == "Nguyễn Văn Đức Hà Nội"


def test_clean_text_non_str_does_not_raise():
    assert clean_text(None) == ""  # type: ignore[arg-type]
    assert clean_text(12) == "12"  # type: ignore[arg-type]


@settings(max_examples=400)
@given(st.text())
def test_clean_text_never_raises_is_idempotent_and_nfc(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert once == once.strip()
    assert "  " not in once
    assert "\n" not in once


@settings(max_examples=300)
@given(st.text())
def test_clean_text_multiline_idempotent(text):
    once = clean_text(text, multiline=True)
    assert clean_text(once, multiline=True) == once
    assert unicodedata.is_normalized("NFC", once)
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in once)


legacyish = st.text(
    alphabet=st.sampled_from(
        list("abcdeghiklmnopqrstuvxy NGHT")
        + list(TCVN3_TO_UNICODE)
        + sorted({ch for seq in VNI_TO_UNICODE for ch in seq})
    ),
    max_size=40,
)


@settings(max_examples=400)
@given(legacyish)
def test_clean_text_idempotent_on_legacy_looking_text(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert unicodedata.is_normalized("NFC", once)


words_in_unicode = st.lists(
    st.sampled_from(
        ["Nguyễn", "Văn", "Đức", "Trần", "Thị", "Hương", "Phường", "Cộng", "hoà", "xã", "hội",
         "chủ", "nghĩa", "Việt", "Nam", "Lê", "Lợi", "Quốc", "Huỳnh", "giấy", "khai", "sinh",
         "Đắk", "Lắk", "Hà", "Tĩnh", "Bùi", "Yến", "Ngọc", "Ánh", "Tuyết", "Vũ", "Ưng"]
    ),
    min_size=2,
    max_size=8,
).map(" ".join)


def _to_vni(text: str) -> str:
    reverse = {}
    for seq, letter in VNI_TO_UNICODE.items():
        if seq.lower() == seq or seq.upper() == seq:  # skip mixed-case variants
            reverse.setdefault(letter, seq)
    return "".join(reverse.get(ch, ch) for ch in text)


@settings(max_examples=200)
@given(words_in_unicode)
def test_vni_text_is_either_repaired_or_left_alone(text):
    legacy = _to_vni(text)
    assert clean_text(legacy) in (text, legacy)  # never half-converted


@settings(max_examples=200)
@given(words_in_unicode)
def test_vni_round_trip_of_a_name_with_an_impossible_word(text):
    # "Nguyeãn" cannot be Unicode Vietnamese, so the whole line is repaired.
    assert clean_text(_to_vni("Nguyễn " + text)) == "Nguyễn " + text


def _to_tcvn3(text: str) -> str:
    reverse = {v: k for k, v in TCVN3_TO_UNICODE.items()}
    out = []
    for ch in text:
        if ch in reverse:
            out.append(reverse[ch])
        elif ch.lower() in reverse and not ch.islower():
            out.append(reverse[ch.lower()])  # toned capital: .VnTimeH draws the lowercase code
        else:
            out.append(ch)
    return "".join(out)


@settings(max_examples=200)
@given(words_in_unicode.map(str.lower))
def test_tcvn3_text_is_either_repaired_or_left_alone(text):
    legacy = _to_tcvn3(text)
    assert clean_text(legacy) in (text, legacy)


@settings(max_examples=200)
@given(words_in_unicode.map(str.lower))
def test_tcvn3_round_trip_of_a_name_with_an_impossible_word(text):
    assert clean_text(_to_tcvn3("Nguyễn " + text)) == "Nguyễn " + text


# --- names --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, expected",
    [
        ("nguyễn văn đức", "Nguyễn Văn Đức"),
        ("NGUYỄN THỊ ÁNH", "Nguyễn Thị Ánh"),
        ("  trần   thị   hương ", "Trần Thị Hương"),
        ("h’hen niê", "H'Hen Niê"),
        ("jean-pierre dupont", "Jean-Pierre Dupont"),
        ("ĐỖ ỨNG", "Đỗ Ứng"),
        ("NguyÔn V¨n §øc", "Nguyễn Văn Đức"),
        ("NGUYEÃN VAÊN ÑÖÙC", "Nguyễn Văn Đức"),
        ("", ""),
    ],
)
def test_normalize_name(raw, expected):
    assert normalize_name(raw) == expected


# --- fold ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("ĐẮK LẮK", "dak lak"),
        ("Thừa Thiên Huế", "thua thien hue"),
        (unicodedata.normalize("NFD", "Nguyễn Thị Ánh"), "nguyen thi anh"),
        ("Ðức", "duc"),  # Icelandic eth, often typed for Đ
        ("İstanbul", "istanbul"),
        ("Хà", "хa"),  # Cyrillic letter keeps the slow path
        ("", ""),
    ],
)
def test_fold_examples(text, expected):
    assert fold(text) == expected


def test_fold_of_every_vietnamese_letter_is_ascii_base():
    for ch in ALL_LETTERS:
        folded = fold(ch)
        assert folded.isascii() and len(folded) == 1 and folded.islower(), ch


def test_fold_after_clean_text_matches_for_legacy_input():
    assert fold(clean_text("NguyÔn V¨n §øc")) == fold("Nguyễn Văn Đức") == "nguyen van duc"
    assert fold(clean_text("Nguyeãn Vaên Ñöùc")) == "nguyen van duc"


@settings(max_examples=400)
@given(st.text())
def test_fold_has_no_marks_no_d_stroke_and_is_stable(text):
    folded = fold(text)
    assert not any(unicodedata.combining(ch) for ch in folded)
    assert "đ" not in folded and "Đ" not in folded
    assert fold(folded) == folded


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(ALL_LETTERS + list("bcdghklmnpqrstvx "))))
def test_fold_fast_path_agrees_with_slow_path(text):
    from desk_app.models.text import _fold_slow

    assert fold(text) == _fold_slow(text)
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)
