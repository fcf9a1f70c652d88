"""Moodle XML -> canonical question dicts (parsed with defusedxml: no entity tricks).

Supported: multichoice (single and multiple answer), truefalse, shortanswer, numerical and
description. Other Moodle types (essay, matching, cloze, calculated, drag and drop...) are
reported by name. Grades outside Moodle's own list (e.g. 33%) are rejected as Moodle does.
"""

from __future__ import annotations

import re

from defusedxml import ElementTree
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

SUPPORTED = {"multichoice", "truefalse", "shortanswer", "numerical", "description"}
_QUESTION_TAG = re.compile(r"<question\b")


def _text(element, path: str = "text") -> str:
    if element is None:
        return ""
    node = element.find(path) if path else element
    if node is None or node.text is None:
        return ""
    fmt = (element.get("format") or "").lower()
    value = node.text
    return html_to_text(value) if fmt in ("html", "moodle_auto_format", "") else value.strip()


def _fraction(answer) -> tuple[float | None, str]:
    raw = (answer.get("fraction") or "0").strip()
    percent = number(raw)
    if percent is None:
        return None, raw
    return moodle_grade(percent / 100), raw


def parse(content: str | bytes) -> ParseResult:
    result = ParseResult()
    raw = content.decode("utf-8-sig", errors="replace") if isinstance(content, bytes) else content
    try:
        root = ElementTree.fromstring(raw.encode("utf-8"))
    except ElementTree.ParseError as exc:
        # The parser's own words are English: say where, in the interface's language.
        line, column = getattr(exc, "position", (None, None))
        result.reject(
            line,
            "",
            _("This is not well-formed XML (line %(line)s, column %(column)s).")
            % {"line": line, "column": (column or 0) + 1},
        )
        return result
    except Exception:  # defusedxml refuses entities and DTD tricks
        result.reject(None, "", _("This XML file uses features we refuse to read (entities)."))
        return result
    if root.tag != "quiz":
        result.reject(1, "", _("A Moodle XML file starts with <quiz>."))
        return result
    # ElementTree keeps no line numbers: the n-th <question> tag in the text is the n-th element.
    lines = [raw.count("\n", 0, m.start()) + 1 for m in _QUESTION_TAG.finditer(raw)]
    category = ""
    for index, element in enumerate(root.findall("question")):
        line = lines[index] if index < len(lines) else None
        qtype = element.get("type") or ""
        if qtype == "category":
            path = _text(element.find("category"))
            category = path.rstrip("/").split("/")[-1][:64] if path else ""
            continue
        name = html_to_text(_text(element.find("name")))
        if qtype not in SUPPORTED:
            result.reject(
                line,
                name,
                _("Moodle “%(type)s” questions are not supported.") % {"type": qtype or "?"},
            )
            continue
        try:
            parsed = _question(element, qtype, line, name, result)
        except Exception:
            result.reject(line, name, _("This question could not be read."))
            continue
        if parsed is None:
            continue
        tags = [
            t.text.strip()[:64]
            for t in element.findall("tags/tag/text")
            if t.text and t.text.strip()
        ]
        if category:
            tags.append(category)
        if tags:
            parsed.data["tags"] = list(dict.fromkeys(tags))
        identity = content_hash({k: v for k, v in parsed.data.items() if k != "uid"})
        parsed.data["uid"] = f"{name[:200]}#{identity}" if name else f"moodle-{identity}"
        result.questions.append(parsed)
    return result


def _question(element, qtype: str, line, name: str, result: ParseResult):
    data: dict = {
        "text": _text(element.find("questiontext")),
    }
    explanation = _text(element.find("generalfeedback"))
    if explanation:
        data["explanation"] = explanation
    warnings: list[str] = []
    answers = element.findall("answer")
    if qtype == "description":
        data.update(type="slide", points=0)
        return ParsedQuestion(line, name, data, warnings)

    graded = []
    for answer in answers:
        weight, raw = _fraction(answer)
        if weight is None:
            result.reject(
                line,
                name,
                _(
                    "Invalid grade %(grade)s%%: Moodle grades are fractions such as 100, 50, "
                    "33.33333, 25, 20, 10 or 0 percent (or their negatives)."
                )
                % {"grade": raw},
            )
            return None
        graded.append((answer, weight))

    if qtype in ("multichoice", "truefalse"):
        single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
        choices = []
        for answer, weight in graded:
            choice = {"text": _text(answer), "weight": weight}
            feedback = _text(answer.find("feedback"))
            if feedback:
                choice["feedback"] = feedback
            choices.append(choice)
        if qtype == "truefalse":
            words = {"true": {"vi": "Đúng", "en": "True"}, "false": {"vi": "Sai", "en": "False"}}
            for choice in choices:
                word = str(choice["text"]).strip().lower()
                if word in words:
                    choice["text"] = words[word]
            data["type"] = "truefalse"
        else:
            data["type"] = "single" if single else "multi"
        data["choices"] = choices
    elif qtype == "shortanswer":
        usecase = (element.findtext("usecase") or "0").strip() == "1"
        parsed = [(_text(a), weight, _text(a.find("feedback"))) for a, weight in graded]
        data["type"] = "text"
        data["answer"] = short_answer_key(parsed, ignore_case=not usecase, warnings=warnings)
    elif qtype == "numerical":
        key, responses = None, []
        for answer, weight in graded:
            text = _text(answer)
            feedback = _text(answer.find("feedback"))
            tolerance = number(answer.findtext("tolerance") or "0")
            value = number(text)
            if text != "*" and (value is None or tolerance is None):
                result.reject(line, name, _("“%(answer)s” is not a number.") % {"answer": text})
                return None
            if weight == 1.0 and key is None and text != "*":
                key = {"value": value, "tolerance": abs(tolerance)}
            else:
                responses.append({"answer": text, "weight": weight, "feedback": feedback})
                if text != "*":
                    warnings.append(
                        _("The extra numeric answer “%(answer)s” is kept as feedback only.")
                        % {"answer": text}
                    )
                continue
            if feedback:
                responses.append({"answer": text, "weight": weight, "feedback": feedback})
        if key is None:
            result.reject(line, name, _("A numeric question needs an answer worth 100%."))
            return None
        data["type"] = "numeric"
        data["answer"] = key
        if responses:
            data["answer"]["feedback"] = responses
    return ParsedQuestion(line, name, data, warnings)
