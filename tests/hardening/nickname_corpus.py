"""A corpus of hostile nicknames (>= 2,000), generated deterministically.

Run `python -m tests.hardening.nickname_corpus` to print it (one repr per line) with its categories.
Categories: markup (HTML/JS payloads and filter bypasses), invisible (bidi and zero-width),
zalgo (stacked combining marks), long (up to 1,000 characters), homoglyph (Cyrillic/Greek
look-alikes of names already taken), profanity (English and Vietnamese, leetspeak, spacing),
emoji (ZWJ sequences, flags) and control characters.
"""

from __future__ import annotations

import itertools
import random

# Names a game already has when the corpus is thrown at it (homoglyph clones target these).
TAKEN = ["Lan Anh", "Minh", "Admin", "Teacher", "Host", "Coco", "Ocean", "Papa", "Xena", "Kayak"]

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<a href=javascript:alert(1)>x</a>",
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<math><mi xlink:href=javascript:alert(1)>",
    "<b>bold</b>",
    "<i>x",
    "<h1>BIG",
    "<<a>h1>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img/src/onerror=alert(1)>",
    "<ImG sRc=x OnErRoR=alert(1)>",
    "<img src=x onerror=&#97;lert(1)>",
    "&lt;script&gt;",
    "&#60;img src=x&#62;",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>",
    "</title><script>",
    "{{7*7}}",
    "${alert(1)}",
    "{% debug %}",
    "javascript:alert(1)",
    "data:text/html,<script>",
    "<style>*{display:none}</style>",
    "<link rel=stylesheet href=//x>",
    "<meta http-equiv=refresh>",
    "<form action=//x><button>",
    "<object data=x>",
    "<embed src=x>",
    "<base href=//evil>",
    "<template><img>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "%3Cscript%3E",
    "\\u003cscript\\u003e",
    "<x onclick=alert(1)>hi",
    "<p style=color:red>red",
    "<!--",
    "]]><x>",
    "<?php echo 1 ?>",
    "' OR 1=1 --",
    "Robert'); DROP TABLE players;--",
]

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # BOM
    "\u202e",  # right-to-left override
    "\u202d",  # left-to-right override
    "\u202a",  # LRE
    "\u202b",  # RLE
    "\u202c",  # PDF
    "\u2066",  # LRI
    "\u2067",  # RLI
    "\u2068",  # FSI
    "\u2069",  # PDI
    "\u200e",  # LRM
    "\u200f",  # RLM
    "\u061c",  # Arabic letter mark
    "\u00ad",  # soft hyphen
    "\u180e",  # Mongolian vowel separator
    "\u3164",  # Hangul filler (renders blank)
    "\u115f",  # Hangul choseong filler
    "\u2800",  # Braille blank
]

CONTROL = ["\x00", "\x07", "\x08", "\x1b[31m", "\r\n", "\t", "\x7f", "\x85", "\u2028", "\u2029"]

COMBINING = [chr(c) for c in range(0x0300, 0x036F)]

# Latin letter -> look-alikes (Cyrillic, Greek, fullwidth, mathematical).
HOMOGLYPHS = {
    "a": ["\u0430", "\u03b1", "\uff41"],
    "A": ["\u0410", "\u0391", "\uff21"],
    "c": ["\u0441", "\u03f2"],
    "C": ["\u0421", "\u03f9"],
    "e": ["\u0435", "\u03b5"],
    "E": ["\u0415", "\u0395"],
    "H": ["\u041d", "\u0397"],
    "i": ["\u0456", "\u03b9"],
    "K": ["\u041a", "\u039a"],
    "k": ["\u043a", "\u03ba"],
    "M": ["\u041c", "\u039c"],
    "n": ["\u0578", "\u03b7"],
    "o": ["\u043e", "\u03bf", "\u0585"],
    "O": ["\u041e", "\u039f"],
    "p": ["\u0440", "\u03c1"],
    "P": ["\u0420", "\u03a1"],
    "s": ["\u0455"],
    "T": ["\u0422", "\u03a4"],
    "x": ["\u0445", "\u03c7"],
    "X": ["\u0425", "\u03a7"],
    "y": ["\u0443", "\u03b3"],
    "h": ["\u04bb"],
    "d": ["\u0501"],
    "m": ["\u043c"],
    "r": ["\u0433"],
    "t": ["\u0442"],
    "L": ["\u13de"],
    "N": ["\u039d"],
}

PROFANITY_EN = [
    "fuck",
    "shit",
    "bitch",
    "cunt",
    "asshole",
    "dick",
    "pussy",
    "whore",
    "slut",
    "nigger",
    "faggot",
    "bastard",
]
PROFANITY_VI = [
    "địt mẹ",
    "đụ má",
    "lồn",
    "buồi",
    "cặc",
    "đéo",
    "đĩ",
    "vcl",
    "vkl",
    "dmm",
    "dcm",
    "clgt",
    "óc chó",
    "con chó",
    "thằng chó",
    "đồ ngu",
    "dit me",
    "du ma",
    "djt me",
    "dkm",
]
LEET = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7+", "g": "9", "b": "8"}

EMOJI = [
    "👨\u200d👩\u200d👧\u200d👦",
    "🏳️\u200d🌈",
    "🇻🇳🇻🇳🇻🇳",
    "👍🏽👍🏽",
    "🧑\u200d💻 dev",
    "🖕",
    "💩💩💩",
]


def _markup(rng: random.Random) -> list[str]:
    names = []
    for payload in PAYLOADS:
        names.append(payload)
        names.append(payload.upper())
        names.append("Lan" + payload)
        names.append(payload[:20])
        names.append(payload[:12])
        names.append(" " + payload + " ")
        names.append(payload.replace("<", "\uff1c").replace(">", "\uff1e"))  # fullwidth < >
        names.append(payload.replace("<", "\ufe64").replace(">", "\ufe65"))  # small form < >
        names.append("\u200b".join(payload[:20]))
    return names


def _invisible(rng: random.Random) -> list[str]:
    names = []
    for mark, base in itertools.product(INVISIBLE, TAKEN):
        names.append(base[:2] + mark + base[2:])
        names.append(mark * 3)
        names.append(mark + base + mark)
    for mark in INVISIBLE:
        names.append("\u202eknil\u202c")
        names.append("abc" + mark + "gpj.exe")
        names.append(mark * 50)
    for control in CONTROL:
        names.append("Lan" + control + "Anh")
        names.append(control * 5)
    return names


def _zalgo(rng: random.Random) -> list[str]:
    names = []
    for n in range(150):
        base = TAKEN[n % len(TAKEN)] if n % 2 else "Zalgo"
        marks = 3 + n % 60
        names.append("".join(ch + "".join(rng.choices(COMBINING, k=marks)) for ch in base))
    names.append("a" + "\u0301" * 1000)
    names.append("\u0301" * 20)
    return names


def _long(rng: random.Random) -> list[str]:
    names = []
    for length in (21, 25, 50, 100, 199, 200, 201, 500, 1000):
        names.append("A" * length)
        names.append(("Lan Anh " * 200)[:length])
        names.append("ệ" * length)
        names.append("🙂" * length)
        names.append(" " * length)
    for _ in range(60):
        names.append("".join(rng.choices("abcdefghijklmnopqrstuvwxyz ", k=1000)))
    return names


def homoglyph_clones(name: str, rng: random.Random, count: int) -> list[str]:
    """Look-alike spellings of `name`: one or more letters replaced by a Cyrillic/Greek twin."""
    positions = [i for i, ch in enumerate(name) if ch in HOMOGLYPHS]
    clones = set()
    for i in positions:
        for twin in HOMOGLYPHS[name[i]]:
            clones.add(name[:i] + twin + name[i + 1 :])
    for _ in range(count * 3):
        chars = list(name)
        for i in rng.sample(positions, k=min(len(positions), rng.randint(1, 3))):
            chars[i] = rng.choice(HOMOGLYPHS[chars[i]])
        clones.add("".join(chars))
    return sorted(clones)[:count]


def _homoglyph(rng: random.Random) -> list[str]:
    names = []
    for name in TAKEN:
        names.extend(homoglyph_clones(name, rng, 25))
        names.extend(clone.upper() for clone in homoglyph_clones(name, rng, 5))
    return names


def _leet_variants(word: str, rng: random.Random, count: int) -> set[str]:
    out = {word, word.upper(), word.capitalize()}
    for _ in range(count):
        chars = []
        for ch in word:
            options = LEET.get(ch.lower())
            if options and rng.random() < 0.6:
                chars.append(rng.choice(options))
            else:
                chars.append(ch.upper() if rng.random() < 0.3 else ch)
        out.add("".join(chars))
    spaced = " ".join(word)
    out |= {
        spaced,
        ".".join(word),
        "-".join(word),
        "_".join(word),
        word + "123",
        "xX" + word + "Xx",
    }
    out.add("Mr " + word.capitalize())
    return out


def _profanity(rng: random.Random) -> list[str]:
    names: set[str] = set()
    for word in PROFANITY_EN:
        names |= _leet_variants(word, rng, 25)
    for word in PROFANITY_VI:
        names |= _leet_variants(word, rng, 12)
        names.add(word.upper())
    return sorted(names)


def corpus(seed: int = 2026) -> list[tuple[str, str]]:
    """Every (category, name) pair, at least 2,000, deterministic for a seed."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    for category, make in [
        ("markup", _markup),
        ("invisible", _invisible),
        ("zalgo", _zalgo),
        ("long", _long),
        ("homoglyph", _homoglyph),
        ("profanity", _profanity),
    ]:
        out.extend((category, name) for name in make(rng))
    out.extend(("emoji", name) for name in EMOJI)
    seen, unique = set(), []
    for category, name in out:
        if name not in seen:
            seen.add(name)
            unique.append((category, name))
    return unique


if __name__ == "__main__":
    names = corpus()
    for category, name in names:
        print(category, repr(name))
    print(f"# {len(names)} names")
