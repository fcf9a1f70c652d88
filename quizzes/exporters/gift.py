"""GIFT export (one language: the asked one, else the other). Ordering questions and polls have
no GIFT equivalent: they are listed in a comment at the top of the file."""

from __future__ import annotations


def escape(text: str) -> str:
    for char in "\\~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def _pick(value: dict | None, language: str) -> str:
    value = value or {}
    other = "en" if language == "vi" else "vi"
    return value.get(language) or value.get(other) or ""


def _percent(weight: float) -> str:
    return f"{round(weight * 100, 5):g}"


def render(items: list[dict], *, language: str = "vi") -> bytes:
    skipped = [i for i in items if i["type"] in ("order", "poll")]
    blocks = ["// CitizenQuiz questions (GIFT)"]
    if skipped:
        blocks[0] += "\n// Not exported (GIFT has no ordering or poll questions): " + ", ".join(
            i["uid"] for i in skipped
        )
    for item in items:
        if item["type"] in ("order", "poll"):
            continue
        blocks.append(_question(item, language))
    return ("\n\n".join(blocks) + "\n").encode("utf-8")


def _question(item: dict, language: str) -> str:
    head = f"::{escape(item['uid'])}::{escape(_pick(item['text'], language))}"
    if item["type"] == "slide":
        return head
    lines: list[str] = []
    qtype = item["type"]
    if qtype in ("single", "multi"):
        for choice in item["choices"]:
            weight = choice["weight"]
            if qtype == "single" and weight == 1.0:
                marker = "="
            elif weight == 0.0:
                marker = "~"
            else:
                marker = f"~%{_percent(weight)}%"
            line = marker + escape(_pick(choice["text"], language))
            feedback = _pick(choice.get("feedback"), language)
            if feedback:
                line += "#" + escape(feedback)
            lines.append(line)
    elif qtype == "truefalse":
        right = next(c for c in item["choices"] if c["weight"] == 1.0)
        wrong = next(c for c in item["choices"] if c is not right)
        is_true = _pick(right["text"], "en").strip().lower() in ("true", "đúng") or (
            item["choices"].index(right) == 0
        )
        line = "TRUE" if is_true else "FALSE"
        wrong_fb, right_fb = (
            _pick(wrong.get("feedback"), language),
            _pick(right.get("feedback"), language),
        )
        if wrong_fb or right_fb:
            line += "#" + escape(wrong_fb)
            if right_fb:
                line += "#" + escape(right_fb)
        lines.append(line)
    elif qtype == "text":
        answer = item["answer"]
        feedback = {r["answer"]: r for r in answer.get("feedback") or []}
        for accepted in answer["accepted"]:
            line = "=" + escape(accepted)
            response = feedback.pop(accepted, None)
            if response and _pick(response.get("feedback"), language):
                line += "#" + escape(_pick(response.get("feedback"), language))
            lines.append(line)
        for response in feedback.values():
            line = f"=%{_percent(response['weight'])}%{escape(response['answer'])}"
            if _pick(response.get("feedback"), language):
                line += "#" + escape(_pick(response.get("feedback"), language))
            lines.append(line)
    elif qtype == "numeric":
        answer = item["answer"]
        if "min" in answer or "max" in answer:
            line = f"#{answer['min']:g}..{answer['max']:g}"
        else:
            line = f"#{answer['value']:g}:{answer.get('tolerance', 0):g}"
        lines.append(line)
    explanation = _pick(item.get("explanation"), language)
    if explanation:
        lines.append("####" + escape(explanation))
    return head + " {\n\t" + "\n\t".join(lines) + "\n}"
