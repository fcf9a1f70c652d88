"""Our own JSON format: {"format": "citizenquiz-questions", "version": 1, "questions": [...]}
or a bare list of questions. Each question already is a canonical dict."""

from __future__ import annotations

import json
import re

from django.utils.translation import gettext as _

from quizzes.importers.common import ParsedQuestion, ParseResult, content_hash

FORMAT_NAME = "citizenquiz-questions"
VERSION = 1


def parse(content: str) -> ParseResult:
    result = ParseResult()
    try:
        document = json.loads(content.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        # The parser's own words are English: say where, in the interface's language.
        message = _("This is not valid JSON (line %(line)s, column %(column)s).")
        result.reject(exc.lineno, "", message % {"line": exc.lineno, "column": exc.colno})
        return result
    if isinstance(document, dict):
        if document.get("format", FORMAT_NAME) != FORMAT_NAME:
            result.reject(1, "", _("This JSON file is not in the CitizenQuiz questions format."))
            return result
        if document.get("version", VERSION) != VERSION:
            result.reject(
                1, "", _("Unsupported format version %(v)s.") % {"v": document.get("version")}
            )
            return result
        items = document.get("questions")
    else:
        items = document
    if not isinstance(items, list):
        result.reject(1, "", _("The file must hold a list of questions."))
        return result
    # JSON keeps no line numbers: find where each uid is written, for the report.
    uid_lines = {
        m.group(1): content.count("\n", 0, m.start()) + 1
        for m in re.finditer(r'"uid"\s*:\s*"((?:[^"\\]|\\.)*)"', content)
    }
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            result.reject(None, f"#{index}", _("A question must be an object."))
            continue
        uid = item.get("uid")
        name = uid if isinstance(uid, str) and uid else f"#{index}"
        data = dict(item)
        if not uid:
            data["uid"] = "json-" + content_hash(item)
        result.questions.append(ParsedQuestion(uid_lines.get(uid), name, data))
    return result
