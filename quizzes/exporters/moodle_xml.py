"""Moodle XML export (one language: the asked one, else the other). Ordering questions and
polls have no Moodle equivalent here: they are named in a comment at the top."""

from __future__ import annotations

from xml.etree.ElementTree import Comment, Element, SubElement, indent, tostring


def _pick(value: dict | None, language: str) -> str:
    value = value or {}
    other = "en" if language == "vi" else "vi"
    return value.get(language) or value.get(other) or ""


def _text(parent: Element, tag: str, value: str, **attrs) -> Element:
    element = SubElement(parent, tag, attrs)
    SubElement(element, "text").text = value
    return element


def _percent(weight: float) -> str:
    return f"{round(weight * 100, 7):g}"


MOODLE_TYPES = {
    "single": "multichoice",
    "multi": "multichoice",
    "truefalse": "truefalse",
    "text": "shortanswer",
    "numeric": "numerical",
    "slide": "description",
}


def render(items: list[dict], *, language: str = "vi") -> bytes:
    quiz = Element("quiz")
    skipped = [i["uid"] for i in items if i["type"] not in MOODLE_TYPES]
    if skipped:
        quiz.append(
            Comment(" Not exported (no ordering or poll type): " + ", ".join(skipped) + " ")
        )
    for item in items:
        if item["type"] in MOODLE_TYPES:
            _question(quiz, item, language)
    indent(quiz, space="  ")
    return tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n"


def _question(quiz: Element, item: dict, language: str) -> None:
    qtype = item["type"]
    question = SubElement(quiz, "question", {"type": MOODLE_TYPES[qtype]})
    _text(question, "name", item["uid"])
    _text(question, "questiontext", _pick(item["text"], language), format="plain_text")
    _text(
        question, "generalfeedback", _pick(item.get("explanation"), language), format="plain_text"
    )
    SubElement(question, "defaultgrade").text = str(item.get("points", 1))
    if item.get("tags"):
        tags = SubElement(question, "tags")
        for tag in item["tags"]:
            _text(tags, "tag", tag)
    if qtype in ("single", "multi", "truefalse"):
        if qtype != "truefalse":
            SubElement(question, "single").text = "true" if qtype == "single" else "false"
        for choice in item["choices"]:
            text = _pick(choice["text"], language)
            if qtype == "truefalse":
                text = (
                    "true" if _pick(choice["text"], "en").lower() in ("true", "đúng") else "false"
                )
            answer = _text(
                question, "answer", text, fraction=_percent(choice["weight"]), format="plain_text"
            )
            _text(answer, "feedback", _pick(choice.get("feedback"), language), format="plain_text")
    elif qtype == "text":
        answer_key = item["answer"]
        SubElement(question, "usecase").text = "0" if answer_key.get("ignore_case") else "1"
        feedback = {r["answer"]: r for r in answer_key.get("feedback") or []}
        for accepted in answer_key["accepted"]:
            answer = _text(question, "answer", accepted, fraction="100", format="plain_text")
            response = feedback.pop(accepted, {})
            _text(
                answer, "feedback", _pick(response.get("feedback"), language), format="plain_text"
            )
        for response in feedback.values():
            answer = _text(
                question,
                "answer",
                response["answer"],
                fraction=_percent(response["weight"]),
                format="plain_text",
            )
            _text(
                answer, "feedback", _pick(response.get("feedback"), language), format="plain_text"
            )
    elif qtype == "numeric":
        key = item["answer"]
        if "min" in key or "max" in key:
            value = (key["min"] + key["max"]) / 2
            tolerance = (key["max"] - key["min"]) / 2
        else:
            value, tolerance = key["value"], key.get("tolerance", 0)
        answer = _text(question, "answer", f"{value:g}", fraction="100", format="plain_text")
        SubElement(answer, "tolerance").text = f"{tolerance:g}"
