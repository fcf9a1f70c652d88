"""GIFT (Moodle's plain-text format) -> canonical question dicts.

Follows Moodle's own reading of GIFT (question/format/gift/format.php): blocks are separated by
blank lines, `//` lines are comments, `::title::` names a question, the answer block `{...}`
decides the type. Types we have no equivalent for (essay, matching) are reported, not dropped.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from quizzes.importers.common import (
    ParsedQuestion,
    ParseResult,
    content_hash,
    html_to_text,
    moodle_grade,
    number,
    short_answer_key,
)

# Escaped special characters become private-use characters while parsing, then come back.
_ESCAPES = {
    "\\\\": "\ue000",
    "\\:": "\ue001",
    "\\~": "\ue002",
    "\\=": "\ue003",
    "\\#": "\ue004",
    "\\{": "\ue005",
    "\\}": "\ue006",
    "\\n": "\n",
}
_UNESCAPES = {v: k[1] for k, v in _ESCAPES.items() if v != "\n"}
_FORMAT = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:[.,]\d+)?)%")
TRUE_WORDS = {"T", "TRUE"}
FALSE_WORDS = {"F", "FALSE"}
GAP = "_____"


def _escape(text: str) -> str:
    for raw, placeholder in _ESCAPES.items():
        text = text.replace(raw, placeholder)
    return text


def _unescape(text: str) -> str:
    for placeholder, char in _UNESCAPES.items():
        text = text.replace(placeholder, char)
    return text


def clean(text: str) -> str:
    """Drop a [format] marker, unescape, and turn HTML into plain text."""
    match = _FORMAT.match(text)
    is_html = bool(match and match.group(1).lower() == "html")
    text = _unescape(text[match.end() :] if match else text).strip()
    return html_to_text(text) if is_html or "<" in text else text


def blocks(source: str) -> list[tuple[int, str]]:
    """(first line number, text) of each question block; comment lines dropped."""
    found: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number_, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if not stripped:
            if current:
                found.append((start, "\n".join(current)))
                current = []
            continue
        if not current:
            start = number_
        current.append(line)
    if current:
        found.append((start, "\n".join(current)))
    return found


def parse(content: str) -> ParseResult:
    result = ParseResult()
    category: str = ""
    for line, raw in blocks(content.lstrip("\ufeff")):
        text = _escape(raw).strip()
        if text.upper().startswith("$CATEGORY:"):
            category = text.split(":", 1)[1].strip().rstrip("/").split("/")[-1][:64]
            continue
        name = ""
        if text.startswith("::"):
            end = text.find("::", 2)
            if end == -1:
                result.reject(line, "", _("The title is not closed with “::”."))
                continue
            name = _unescape(text[2:end]).strip()
            text = text[end + 2 :]
        try:
            parsed = _parse_question(text, line, name, result)
        except Exception:  # a block we cannot read is reported, never fatal
            result.reject(line, name, _("This block could not be read as a GIFT question."))
            continue
        if parsed is None:
            continue
        if category:
            parsed.data.setdefault("tags", []).append(category)
        parsed.data["uid"] = name[:255] if name else "gift-" + content_hash(raw)
        result.questions.append(parsed)
    return result


def _parse_question(text: str, line: int, name: str, result: ParseResult):
    start = text.find("{")
    if start == -1:
        if "}" in text:
            result.reject(line, name, _("A “}” closes an answer block that was never opened."))
            return None
        return ParsedQuestion(line, name, {"type": "slide", "text": clean(text), "points": 0})
    finish = text.find("}", start)
    if finish == -1:
        result.reject(line, name, _("The answer block is not closed with “}”."))
        return None
    answers = text[start + 1 : finish].strip()
    before, after = text[:start], text[finish + 1 :]
    warnings: list[str] = []
    if after.strip() and not any(ch.isalnum() for ch in after):
        # Stray punctuation after the block (a copy-paste leftover): dropped, but said so.
        warnings.append(
            _("Ignored stray text after the answer block: %(text)s") % {"text": after.strip()}
        )
        question_text = clean(before)
    elif after.strip():
        # Moodle's "missing word" form: the answer block stands for a gap in the sentence.
        question_text = f"{clean(before)} {GAP} {clean(after)}".strip()
        warnings.append(
            _("Text after the answer block was kept, with “%(gap)s” marking the gap.")
            % {"gap": GAP}
        )
    else:
        question_text = clean(before)
    data: dict = {"text": question_text}
    if "####" in answers:
        answers, general = answers.split("####", 1)
        data["explanation"] = clean(general)
        answers = answers.strip()

    if not answers:
        result.reject(line, name, _("Essay questions are not supported."))
        return None
    if answers.startswith("#"):
        problem = _numeric(answers[1:], data, warnings)
    elif "~" in answers:
        problem = _choices(answers, data)
    elif "=" in answers and "->" in answers:
        result.reject(line, name, _("Matching questions are not supported."))
        return None
    elif answers.split("#", 1)[0].strip().upper() in TRUE_WORDS | FALSE_WORDS:
        problem = _truefalse(answers, data)
    elif answers.startswith("="):
        problem = _short_answer(answers, data, warnings)
    else:
        problem = _("The answer block is not one GIFT knows: %(block)s") % {
            "block": _unescape(answers)[:60]
        }
    if problem:
        result.reject(line, name, problem)
        return None
    return ParsedQuestion(line, name, data, warnings)


def _split_answer(raw: str) -> tuple[float | None, str, str, str | None]:
    """(weight or None, text, feedback, bad weight text) of one answer after its =/~ marker."""
    weight = None
    match = _WEIGHT.match(raw)
    if match:
        percent = number(match.group(1))
        raw = raw[match.end() :]
        grade = moodle_grade(percent / 100) if percent is not None else None
        if grade is None:
            return None, "", "", match.group(1)
        weight = grade
    text, _sep, feedback = raw.partition("#")
    return weight, clean(text), clean(feedback), None


def _bad_grade(grade: str) -> str:
    return _(
        "Invalid grade %(grade)s%%: Moodle grades are fractions such as 100, 50, 33.33333, "
        "25, 20, 10 or 0 percent (or their negatives)."
    ) % {"grade": grade}


def _choices(answers: str, data: dict) -> str | None:
    single = "=" in answers
    choices = []
    for part in re.split(r"(?=[=~])", answers):
        part = part.strip()
        if not part:
            continue
        marker, raw = part[0], part[1:]
        if marker not in "=~":
            return _("Unexpected text before the first answer: %(text)s") % {"text": part[:40]}
        weight, text, feedback, bad = _split_answer(raw)
        if bad is not None:
            return _bad_grade(bad)
        if weight is None:
            weight = 1.0 if marker == "=" else 0.0
        choice = {"text": text, "weight": weight}
        if feedback:
            choice["feedback"] = feedback
        choices.append(choice)
    data["type"] = "single" if single else "multi"
    data["choices"] = choices
    return None


def _truefalse(answers: str, data: dict) -> str | None:
    parts = [p for p in answers.split("#")]
    word = parts[0].strip().upper()
    wrong = clean(parts[1]) if len(parts) > 1 else ""
    right = clean(parts[2]) if len(parts) > 2 else ""
    correct_is_true = word in TRUE_WORDS
    true_choice = {"text": {"vi": "Đúng", "en": "True"}, "weight": 1.0 if correct_is_true else 0.0}
    false_choice = {"text": {"vi": "Sai", "en": "False"}, "weight": 0.0 if correct_is_true else 1.0}
    # The first feedback is shown for the wrong answer, the second for the right one.
    for choice, is_right in ((true_choice, correct_is_true), (false_choice, not correct_is_true)):
        feedback = right if is_right else wrong
        if feedback:
            choice["feedback"] = feedback
    data["type"] = "truefalse"
    data["choices"] = [true_choice, false_choice]
    return None


def _short_answer(answers: str, data: dict, warnings: list[str]) -> str | None:
    parsed = []
    for part in answers.split("=")[1:]:
        weight, text, feedback, bad = _split_answer(part.strip())
        if bad is not None:
            return _bad_grade(bad)
        if not text:
            return _("An answer is empty.")
        parsed.append((text, 1.0 if weight is None else weight, feedback))
    data["type"] = "text"
    data["answer"] = short_answer_key(parsed, ignore_case=True, warnings=warnings)
    return None


def _numeric(answers: str, data: dict, warnings: list[str]) -> str | None:
    answers, _tilde, wrong = answers.partition("~")
    parts = [p.strip() for p in answers.split("=")]
    if parts and not parts[0]:
        parts = parts[1:]
    key: dict | None = None
    responses = []
    for part in parts:
        weight, text, feedback, bad = _split_answer(part)
        if bad is not None:
            return _bad_grade(bad)
        weight = 1.0 if weight is None else weight
        text = text.replace(" ", "")
        if ":" in text:
            value, _colon, tolerance = text.partition(":")
            option = {"value": number(value), "tolerance": number(tolerance)}
            if option["tolerance"] is not None:
                option["tolerance"] = abs(option["tolerance"])
        elif ".." in text.lstrip("-"):
            low, _dots, high = text.partition("..")
            option = {"min": number(low), "max": number(high)}
        else:
            option = {"value": number(text), "tolerance": 0}
        if any(v is None for v in option.values()):
            return _("“%(answer)s” is not a number, a number:tolerance or a min..max range.") % {
                "answer": text
            }
        if weight == 1.0 and key is None:
            key = option
        elif weight != 1.0 or key is not None:
            warnings.append(
                _("The extra numeric answer “%(answer)s” is kept as feedback only.")
                % {"answer": text}
            )
        if feedback or weight != 1.0 or key is not option:
            responses.append({"answer": text, "weight": weight, "feedback": feedback})
    if key is None:
        return _("A numeric question needs an answer worth 100%.")
    wrong_feedback = wrong.partition("#")[2]
    if wrong.strip():
        responses.append({"answer": "*", "weight": 0.0, "feedback": clean(wrong_feedback)})
    data["type"] = "numeric"
    data["answer"] = dict(key)
    if responses:
        data["answer"]["feedback"] = responses
    return None
