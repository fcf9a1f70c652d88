"""Text folding shared by search and typed-answer matching (Vietnamese-aware)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")

MAX_COMBINING = 2  # combining marks kept per base character (Vietnamese needs up to 2)
# Letters that draw nothing (Hangul fillers, braille blank, Mongolian vowel separator, word joiner).
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e", "\u2060"}
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def strip_invisible(text: str) -> str:
    """Drop what a screen does not draw or draws misleadingly: control and format characters
    (bidi overrides, zero-width), surrogates, private use, unassigned, blank letters, and
    combining marks beyond MAX_COMBINING per base character; every space becomes ' '."""
    out: list[str] = []
    marks = 0
    for ch in text:
        category = unicodedata.category(ch)
        if category in _INVISIBLE or ch in _BLANK_LETTERS:
            continue
        if category.startswith("M"):
            marks += 1
            if marks > MAX_COMBINING or not out:
                continue
        else:
            marks = 0
        if category == "Zs":
            ch = " "
        out.append(ch)
    return "".join(out)


def clean_label(text: str) -> str:
    """A name people read on a screen (a nickname, a venue): NFKC, nothing invisible, single
    spaces, NFC. May be empty: the caller says whether that is allowed."""
    text = strip_invisible(unicodedata.normalize("NFKC", text))
    return unicodedata.normalize("NFC", _SPACES.sub(" ", text).strip())


def text_fingerprint(text: str) -> str:
    """What a text reads as, hashed: the same for texts that differ only in Unicode form (NFC,
    NFD, full-width), invisible characters, case or spacing; "" for a text that reads as
    nothing. Diacritics count (in Vietnamese they change the word)."""
    import hashlib

    shown = clean_label(text).casefold()
    return hashlib.sha256(shown.encode()).hexdigest()[:32] if shown else ""


def strip_diacritics(text: str) -> str:
    """'Công dân toàn cầu' -> 'Cong dan toan cau' (đ/Đ become d/D, which NFD does not split)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def fold(text: str) -> str:
    """Lower-case, diacritic-free, single-spaced: the search key of a text."""
    return _SPACES.sub(" ", strip_diacritics(unicodedata.normalize("NFC", text)).casefold()).strip()


def normalize_answer(
    text: str, *, ignore_case: bool, ignore_diacritics: bool, ignore_spaces: bool
) -> str:
    text = unicodedata.normalize("NFC", text or "").strip()
    if ignore_spaces:
        text = _SPACES.sub("", text)
    else:
        text = _SPACES.sub(" ", text)
    if ignore_diacritics:
        text = strip_diacritics(text)
    if ignore_case:
        text = text.casefold()
    return text


PIN_MAX_LENGTH = 12  # a game PIN's digits at most (games get 7; the join API reads up to 12)

# Full-width digits (U+FF10-FF19), which CJK and some Vietnamese input modes type, and ASCII's.
_WIDE_DIGITS = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)})


def digit_code(raw: object, *, max_length: int) -> str:
    """A code typed as digits (a game PIN, the screen's join code): spaces around it dropped and
    full-width digits read as ASCII ones; "" unless that leaves 1 to max_length ASCII digits
    (superscripts and other scripts' digits are not the code's)."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return ""
    text = str(raw).strip().translate(_WIDE_DIGITS)
    return text if text.isascii() and text.isdigit() and len(text) <= max_length else ""


def typed_digits(text: str, *, max_length: int) -> str:
    """The digits someone typed in a code's box ("481 9203", "４８１９２０３"): full-width digits
    read as ASCII ones, everything else dropped (play.js `typedDigits` reads the box alike)."""
    return "".join(ch for ch in text.translate(_WIDE_DIGITS) if "0" <= ch <= "9")[:max_length]
