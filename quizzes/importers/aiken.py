"""Aiken: the simplest single-choice format.

    Question text (one or more lines)
    A. first option          (or "A)")
    B. second option
    ANSWER: B

Questions are separated by blank lines (optional after ANSWER).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from quizzes.importers.common import ParsedQuestion, ParseResult, content_hash

_OPTION = re.compile(r"^([A-Z])[.)]\s+(.*)$")
_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*)$", re.IGNORECASE)


def parse(content: str) -> ParseResult:
    result = ParseResult()
    lines: list[str] = []
    start = None
    for number_, raw in enumerate(content.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            if lines:
                _finish(result, start, lines)
                lines, start = [], None
            continue
        if start is None:
            start = number_
        lines.append(line)
        if _ANSWER.match(line):
            _finish(result, start, lines)
            lines, start = [], None
    if lines:
        _finish(result, start, lines)
    return result


def _finish(result: ParseResult, line: int, lines: list[str]) -> None:
    question_lines, options, answer = [], [], None
    for text in lines:
        option, found = _OPTION.match(text), _ANSWER.match(text)
        if found:
            answer = found.group(1).strip().upper()
        elif option and (options or question_lines):
            options.append((option.group(1), option.group(2).strip()))
        elif options:
            result.reject(
                line,
                "",
                _("A line after the options is not an option: %(text)s") % {"text": text[:60]},
            )
            return
        else:
            question_lines.append(text)
    name = (question_lines[0] if question_lines else "")[:60]
    if answer is None:
        result.reject(line, name, _("The question has no “ANSWER:” line."))
        return
    if len(options) < 2:
        result.reject(line, name, _("The question needs at least two options (A. ..., B. ...)."))
        return
    letters = [letter for letter, _text in options]
    if answer not in letters:
        result.reject(
            line,
            name,
            _("The answer “%(answer)s” is not one of the options %(letters)s.")
            % {"answer": answer, "letters": ", ".join(letters)},
        )
        return
    data = {
        "type": "single",
        "text": "\n".join(question_lines),
        "choices": [
            {"text": text, "weight": 1.0 if letter == answer else 0.0} for letter, text in options
        ],
    }
    data["uid"] = "aiken-" + content_hash(lines)
    result.questions.append(ParsedQuestion(line, name, data))
