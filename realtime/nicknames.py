"""Nicknames are hostile input: normalise, strip invisible characters, cap, filter, fold.

`clean_nickname(raw)` returns the display form or raises ApplicationError("nickname_invalid");
`nickname_key(name)` is the folded form used for uniqueness within a game (case, diacritics,
leetspeak and look-alike spacing ignored).
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from quizzes.errors import ApplicationError
from quizzes.text import strip_diacritics

MAX_LENGTH = 20
MAX_COMBINING = 2  # combining marks kept per base character (Vietnamese needs up to 2)

MSG_NICKNAME_INVALID = _("Please choose another nickname (1 to 20 letters, nothing offensive).")

_SPACES = re.compile(r"\s+")
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "!": "i",
        "|": "i",
        "3": "e",
        "4": "a",
        "@": "a",
        "5": "s",
        "$": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "+": "t",
    }
)

# A small list of our own: English and Vietnamese (written without diacritics, as folded).
# Whole-word matches for short words; substring matches for longer ones.
_BAD_WORDS = {
    "fuck",
    "fuk",
    "shit",
    "bitch",
    "cunt",
    "dick",
    "cock",
    "pussy",
    "asshole",
    "bastard",
    "whore",
    "slut",
    "nigger",
    "nigga",
    "fag",
    "faggot",
    "retard",
    "rape",
    "porn",
    "penis",
    "vagina",
    "hitler",
    "nazi",
    # Vietnamese (folded)
    "dit",
    "dm",
    "dcm",
    "dmm",
    "vcl",
    "vkl",
    "vl",
    "clgt",
    "cl",
    "cak",
    "dech",
    "dit me",
    "dit cu",
    "du ma",
    "djt",
    "dis me",
    "me may",
    "thang cho",
    "con cho",
    "ngu nhu",
    "oc cho",
    "do ngu",
    "cho chet",
    "di me",
    "dkm",
}
# Vietnamese words whose folded form is also an innocent word (lồn/lớn, buồi/buổi, cặc/các,
# đéo/đèo): matched with their diacritics kept.
_BAD_WITH_DIACRITICS = {"lồn", "buồi", "cặc", "đéo", "địt", "đụ", "đĩ"}
_SUBSTRING_MIN = 5  # words at least this long also match inside other words


def _strip_invisible(text: str) -> str:
    out = []
    marks = 0
    for ch in text:
        category = unicodedata.category(ch)
        if category in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}:
            continue  # control, format (bidi, zero-width), surrogates, private use, unassigned
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


def fold_nickname(text: str) -> str:
    """Case, diacritics, leetspeak and punctuation folded: 'Đ1t M3' -> 'dit me'."""
    text = strip_diacritics(unicodedata.normalize("NFKC", text)).casefold()
    text = text.translate(_LEET)
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return _SPACES.sub(" ", text).strip()


def is_offensive(text: str) -> bool:
    marked = unicodedata.normalize("NFC", text).casefold().translate(_LEET)
    marked_words = set(re.split(r"[^\w]+", marked))
    if marked_words & _BAD_WITH_DIACRITICS:
        return True
    folded = fold_nickname(text)
    words = folded.split()
    joined = "".join(words)
    # Spelled out letter by letter ("f.u.c.k"): compare the runs of single letters, joined.
    singles = "".join(w if len(w) == 1 else " " for w in words).split()
    for bad in _BAD_WORDS:
        bad_folded = fold_nickname(bad)
        if " " in bad_folded:
            if bad_folded in folded or bad_folded.replace(" ", "") in joined:
                return True
        elif bad_folded in words or bad_folded in singles or joined == bad_folded:
            return True
        elif len(bad_folded) >= _SUBSTRING_MIN and bad_folded in joined:
            return True
    return False


def clean_nickname(raw: object) -> str:
    """The display form of a nickname, or ApplicationError('nickname_invalid')."""
    if not isinstance(raw, str) or len(raw) > 200:
        raise ApplicationError("nickname_invalid", MSG_NICKNAME_INVALID)
    text = unicodedata.normalize("NFKC", raw)
    text = _strip_invisible(text)
    text = unicodedata.normalize("NFC", _SPACES.sub(" ", text).strip())
    if not text or len(text) > MAX_LENGTH or not nickname_key(text):
        raise ApplicationError("nickname_invalid", MSG_NICKNAME_INVALID)
    if is_offensive(text):
        raise ApplicationError("nickname_invalid", MSG_NICKNAME_INVALID)
    return text


def nickname_key(name: str) -> str:
    """The uniqueness key: folded, without spaces."""
    return fold_nickname(name).replace(" ", "")[:80]
