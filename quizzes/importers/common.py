"""What every importer shares: the parse result, the import report, and text helpers."""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.utils.translation import gettext as _

# Characters only Vietnamese uses among Latin scripts: a question holding one is Vietnamese.
_VIETNAMESE = re.compile(
    "[ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
    "ÀẢÃÁẠẰẲẴẮẶẦẨẪẤẬÈẺẼÉẸỀỂỄẾỆÌỈĨÍỊÒỎÕÓỌỒỔỖỐỘỜỞỠỚỢÙỦŨÚỤỪỬỮỨỰỲỶỸÝỴ]"
)


@dataclass
class ParsedQuestion:
    """One question found in a file, as a canonical dict, with where it came from."""

    line: int | None
    name: str
    data: dict
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportProblem:
    line: int | None
    name: str
    message: str


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)

    def reject(self, line: int | None, name: str, message: str) -> None:
        self.errors.append(ImportProblem(line=line, name=name, message=str(message)))


@dataclass
class ImportReport:
    format: str = ""
    dry_run: bool = False
    atomic: bool = False
    found: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    # True when --atomic rolled everything back because something was rejected.
    rolled_back: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = sorted(data["errors"], key=_problem_order)
        data["warnings"] = sorted(data["warnings"], key=_problem_order)
        return data


def _problem_order(problem: dict) -> tuple:
    return (problem["line"] is None, problem["line"] or 0, problem["name"])


def content_hash(data: Any) -> str:
    """A short stable hash of a question's content: the identity of nameless questions."""
    payload = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:12]


def detect_language(*texts: str) -> str:
    return "vi" if any(_VIETNAMESE.search(t or "") for t in texts) else "en"


def bilingual(text: str, language: str) -> dict[str, str]:
    """A one-language text in the {"vi", "en"} shape (the other language left empty)."""
    return {"vi": text, "en": ""} if language == "vi" else {"vi": "", "en": text}


def localise(data: dict, language: str = "auto") -> dict:
    """Turn the plain-string texts of a one-language question into {"vi", "en"} dicts.

    language "auto" reads Vietnamese when the question or its choices use Vietnamese letters.
    """
    if language not in ("vi", "en"):
        samples = [data.get("text") or ""] + [
            c.get("text") or "" for c in data.get("choices") or [] if isinstance(c, dict)
        ]
        language = detect_language(*[s for s in samples if isinstance(s, str)])
    for key in ("text", "explanation"):
        if isinstance(data.get(key), str):
            data[key] = bilingual(data[key], language)
    for choice in data.get("choices") or []:
        for key in ("text", "feedback"):
            if isinstance(choice.get(key), str):
                choice[key] = bilingual(choice[key], language)
    for response in (data.get("answer") or {}).get("feedback") or []:
        if isinstance(response.get("feedback"), str):
            response["feedback"] = bilingual(response["feedback"], language)
    return data


class _TextExtractor(HTMLParser):
    BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(value: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, blank lines squeezed."""
    if "<" not in value and "&" not in value:
        return value.strip()
    extractor = _TextExtractor()
    try:
        extractor.feed(value)
        extractor.close()
        text = "".join(extractor.parts)
    except Exception:  # malformed markup: keep the text rather than lose the question
        text = html.unescape(re.sub(r"<[^>]*>", " ", value))
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def number(text: str) -> float | None:
    """A float from '3', '3.5' or '3,5'; None when it is not a finite number."""
    try:
        value = float(str(text).strip().replace(",", "."))
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    return int(value) if value.is_integer() else value


# Moodle only accepts these grades (question_bank::fraction_options_full), as fractions.
MOODLE_GRADES = sorted(
    {
        sign * g
        for sign in (1, -1)
        for g in (
            1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3,
            0.25, 0.2, 0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0,
        )
    }
)  # fmt: skip


def moodle_grade(fraction: float) -> float | None:
    """The Moodle grade option a fraction stands for, or None when Moodle would reject it."""
    # Within 0.1 percentage point: 33.33% is a third, 33% is not (Moodle rejects it too).
    nearest = min(MOODLE_GRADES, key=lambda option: abs(option - fraction))
    return nearest if abs(nearest - fraction) <= 0.001 else None


def short_answer_key(
    answers: list[tuple[str, float, str]], *, ignore_case: bool, warnings: list[str]
) -> dict:
    """The typed-answer key of a Moodle/GIFT short-answer question: (text, weight, feedback)s.

    Full-credit answers are accepted; partial-credit ones and the "*" catch-all are kept as
    feedback only (typed answers score all or nothing here), with a warning.
    """
    accepted, responses = [], []
    for text, weight, feedback in answers:
        if weight == 1.0 and text != "*":
            accepted.append(text)
        elif weight != 1.0:
            warnings.append(
                _(
                    "“%(answer)s” (%(percent)s%%) is kept as feedback only: typed answers score all "
                    "or nothing."
                )
                % {"answer": text, "percent": round(weight * 100, 2)}
            )
        if feedback or weight != 1.0:
            responses.append({"answer": text, "weight": weight, "feedback": feedback})
    key = {
        "accepted": accepted,
        "ignore_case": ignore_case,
        "ignore_diacritics": False,
        "ignore_spaces": True,
    }
    if responses:
        key["feedback"] = responses
    return key
