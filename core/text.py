"""Text folding shared by search and typed-answer matching (Vietnamese-aware)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


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
