"""Nicknames are hostile input: normalise, strip invisible characters, cap, filter, fold.

`clean_nickname(raw)` returns the display form or raises ApplicationError("nickname_invalid");
`nickname_key(name)` is the folded form used for uniqueness within a game (case, diacritics,
leetspeak and look-alike spacing ignored).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError
from core.text import clean_label, strip_diacritics

MAX_LENGTH = 20

MSG_NICKNAME_INVALID = _("Please choose another nickname (1 to 20 letters, nothing offensive).")

_SPACES = re.compile(r"\s+")

# Cyrillic, Greek, Armenian and Cherokee look-alikes of Latin letters, applied BEFORE case
# folding (Greek capital Eta looks like H, small eta like n). Fullwidth and mathematical letters
# are already folded by NFKC.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic capitals and smalls
        "А": "A",
        "В": "B",
        "С": "C",
        "Е": "E",
        "Н": "H",
        "І": "I",
        "Ј": "J",
        "К": "K",
        "М": "M",
        "О": "O",
        "Р": "P",
        "Ѕ": "S",
        "Т": "T",
        "Х": "X",
        "У": "Y",
        "Ү": "Y",
        "Ԁ": "D",
        "Ԛ": "Q",
        "Ԝ": "W",
        "Ӏ": "I",
        "а": "a",
        "в": "b",
        "с": "c",
        "е": "e",
        "һ": "h",
        "і": "i",
        "ј": "j",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "ѕ": "s",
        "т": "t",
        "х": "x",
        "у": "y",
        "ү": "y",
        "ԁ": "d",
        "ԛ": "q",
        "ԝ": "w",
        "г": "r",
        "ӏ": "l",
        "ё": "e",
        "ї": "i",
        "п": "n",
        "ь": "b",
        # Greek capitals and smalls
        "Α": "A",
        "Β": "B",
        "Ε": "E",
        "Ζ": "Z",
        "Η": "H",
        "Ι": "I",
        "Κ": "K",
        "Μ": "M",
        "Ν": "N",
        "Ο": "O",
        "Ρ": "P",
        "Τ": "T",
        "Υ": "Y",
        "Χ": "X",
        "Ϲ": "C",
        "Ϳ": "J",
        "α": "a",
        "β": "b",
        "γ": "y",
        "ε": "e",
        "η": "n",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "ϲ": "c",
        "ϳ": "j",
        "ω": "w",
        # Armenian
        "օ": "o",
        "ո": "n",
        "ս": "u",
        "հ": "h",
        "ց": "g",
        "զ": "q",
        # Latin look-alikes of other Latin letters (a tester cloned "Alice" and "Đức" with them)
        "Ð": "D",  # U+00D0 Eth, beside U+0110 D with stroke
        "Ɖ": "D",  # U+0189 African D
        "ð": "d",
        "ɖ": "d",
        "Ł": "L",
        "ł": "l",
        "Ɑ": "A",  # U+2C6D Latin alpha
        "ɑ": "a",
        "ı": "i",  # dotless i
        "ǀ": "l",  # U+01C0 dental click
        # Cherokee capitals
        "Ꭺ": "A",
        "Ᏼ": "B",
        "Ꮯ": "C",
        "Ꭼ": "E",
        "Ꮋ": "H",
        "Ꭻ": "J",
        "Ꮶ": "K",
        "Ꮮ": "L",
        "Ꮇ": "M",
        "Ꮲ": "P",
        "Ꭲ": "T",
        "Ꮃ": "W",
        "Ꮓ": "Z",
        "Ꮪ": "S",
        "Ꭱ": "R",
    }
)
_CONFUSABLE_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE")
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
    "djt me",
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
# Shorter words and acronyms that are unambiguous enough to refuse inside other words too.
_BAD_INSIDE = {
    "fuck",
    "fuk",
    "shit",
    "bitch",
    "cunt",
    "dick",
    "nigg",
    "fagg",
    "slut",
    "whore",
    "vcl",
    "vkl",
    "dcm",
    "dmm",
    "dkm",
    "clgt",
}


def mixes_scripts(text: str) -> bool:
    """Latin mixed with Cyrillic/Greek/Armenian/Cherokee letters (a look-alike spoof)."""
    scripts = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            for script in _CONFUSABLE_SCRIPTS:
                if name.startswith(script):
                    scripts.add(script)
    return len(scripts) > 1


def fold_nickname(text: str) -> str:
    """Case, diacritics, look-alikes, leetspeak and punctuation folded: 'Đ1t M3' -> 'dit me'."""
    text = unicodedata.normalize("NFKC", text).translate(_CONFUSABLES)
    text = strip_diacritics(text).casefold()
    text = text.translate(_LEET)
    text = "".join(ch if ch.isalnum() else " " for ch in text)
    return _SPACES.sub(" ", text).strip()


_SYLLABLE_GOES_ON = set("aeiouycmnptgh")


def _has_vi_word(token: str) -> bool:
    """A Vietnamese swear word inside a token, unless the letters after it continue an innocent
    syllable (lồng, đĩa): decorations like 'xX...Xx' around it do not save it."""
    for bad in _BAD_WITH_DIACRITICS:
        start = token.find(bad)
        while start != -1:
            after = token[start + len(bad) : start + len(bad) + 1]
            if not after or strip_diacritics(after) not in _SYLLABLE_GOES_ON:
                return True
            start = token.find(bad, start + 1)
    return False


@functools.cache
def _bad_words_folded() -> tuple[str, ...]:
    """The word list folded once (folding each word on every nickname was most of a join's check)."""
    return tuple(fold_nickname(bad) for bad in _BAD_WORDS)


def is_offensive(text: str) -> bool:
    lowered = unicodedata.normalize("NFC", text).casefold()
    for marked in (lowered.translate(_LEET), re.sub(r"\d+", " ", lowered)):
        marked_list = [w for w in re.split(r"[\W_]+", marked) if w]
        marked_singles = "".join(w if len(w) == 1 else " " for w in marked_list).split()
        if any(_has_vi_word(token) for token in marked_list + marked_singles):
            return True
    folded = fold_nickname(text)
    words = folded.split()
    joined = "".join(words)
    # Spelled out letter by letter ("f.u.c.k"): compare the runs of single letters, joined.
    singles = "".join(w if len(w) == 1 else " " for w in words).split()
    for bad_folded in _bad_words_folded():
        if " " in bad_folded:
            squeezed = bad_folded.replace(" ", "")
            if bad_folded in folded or squeezed in joined or any(squeezed in r for r in singles):
                return True
        elif bad_folded in words or bad_folded in singles or joined == bad_folded:
            return True
        elif len(bad_folded) >= _SUBSTRING_MIN and bad_folded in joined:
            return True
    if any(bad in joined for bad in _BAD_INSIDE):
        return True
    return False


def clean_nickname(raw: object) -> str:
    """The display form of a nickname, or ApplicationError('nickname_invalid')."""
    if not isinstance(raw, str) or len(raw) > 200:
        raise ApplicationError("nickname_invalid", MSG_NICKNAME_INVALID)
    text = clean_label(raw)
    if not text or len(text) > MAX_LENGTH or not nickname_key(text):
        raise ApplicationError("nickname_invalid", MSG_NICKNAME_INVALID)
    if is_offensive(text) or mixes_scripts(text):
        raise ApplicationError("nickname_invalid", MSG_NICKNAME_INVALID)
    return text


# Letters that look alike in most fonts once case is gone (capital I and small l): one in the
# uniqueness key only; the offensive-word check reads them as written.
_KEY_LOOKALIKES = str.maketrans({"l": "i"})


def nickname_key(name: str) -> str:
    """The uniqueness key: folded, without spaces, capital I and small l as one letter."""
    return fold_nickname(name).replace(" ", "").translate(_KEY_LOOKALIKES)[:80]
