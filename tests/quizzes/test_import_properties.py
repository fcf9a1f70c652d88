"""Property tests for the GIFT and CSV parsers: generated questions survive export -> import,
and random input only ever yields reported problems, never an unhandled exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzes.exporters import gift as gift_export
from quizzes.exporters import tabular as tabular_export
from quizzes.importers import aiken, gift, json_format, localise, moodle_xml, tabular
from quizzes.importers.common import MOODLE_GRADES
from quizzes.services.questions import question_normalize_data, question_validate_data

# Plain words with GIFT's special characters and Vietnamese letters mixed in.
ALPHABET = st.characters(
    codec="utf-8",
    categories=("L", "N", "P", "Zs"),
    exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
) | st.sampled_from(list("~=#{}:\\|%ăđơưệ"))
TEXT = st.text(ALPHABET, min_size=1, max_size=40).map(str.strip).filter(bool)
POSITIVE_GRADES = [g for g in MOODLE_GRADES if g > 0]


@st.composite
def questions(draw, *, vi: bool):
    """A canonical question in one language, of a type GIFT can express."""
    qtype = draw(st.sampled_from(["single", "multi", "truefalse", "text", "numeric", "slide"]))
    lang = "vi" if vi else "en"

    def mono(text: str) -> dict:
        return {"vi": text, "en": ""} if vi else {"vi": "", "en": text}

    data: dict = {"uid": draw(TEXT), "type": qtype, "text": mono(draw(TEXT))}
    if draw(st.booleans()) and qtype != "slide":
        data["explanation"] = mono(draw(TEXT))
    if qtype == "slide":
        data["points"] = 0
    elif qtype in ("single", "multi"):
        count = draw(st.integers(2, 5))
        choices = [{"text": mono(draw(TEXT)), "weight": 0.0} for _ in range(count)]
        if qtype == "single":
            choices[draw(st.integers(0, count - 1))]["weight"] = 1.0
        else:
            right = draw(st.sampled_from([2, 3, 4, 5]).filter(lambda n: n <= count))
            share = {2: 0.5, 3: 0.3333333, 4: 0.25, 5: 0.2}[right]
            for i in range(right):
                choices[i]["weight"] = share
            for i in range(right, count):
                choices[i]["weight"] = -draw(st.sampled_from(POSITIVE_GRADES))
        for choice in choices:
            if draw(st.booleans()):
                choice["feedback"] = mono(draw(TEXT))
        data["choices"] = choices
    elif qtype == "truefalse":
        right = draw(st.booleans())
        data["choices"] = [
            {"text": {"vi": "Đúng", "en": "True"}, "weight": 1.0 if right else 0.0},
            {"text": {"vi": "Sai", "en": "False"}, "weight": 0.0 if right else 1.0},
        ]
    elif qtype == "text":
        accepted = draw(
            st.lists(TEXT.filter(lambda t: t != "*"), min_size=1, max_size=3, unique=True)
        )
        data["answer"] = {"accepted": accepted, "ignore_case": True, "ignore_diacritics": False,
                          "ignore_spaces": True}  # fmt: skip
    else:
        value = draw(st.integers(-10_000, 10_000))
        if draw(st.booleans()):
            data["answer"] = {"value": value, "tolerance": draw(st.integers(0, 50))}
        else:
            data["answer"] = {"min": value, "max": value + draw(st.integers(0, 50))}
    data["_lang"] = lang
    return data


def comparable(data: dict) -> dict:
    """What GIFT can carry: everything but tags, theme, difficulty, time and the uid's escapes."""
    normal = question_normalize_data(data)
    for key in ("uid", "tags", "theme", "difficulty", "time_limit", "source"):
        normal.pop(key, None)
    if data["type"] != "slide":
        normal.pop("points", None)
    for choice in normal.get("choices", []):
        choice["weight"] = round(choice["weight"], 5)
    return normal


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(questions(vi=False))
def test_gift_export_then_import_gives_back_the_same_question(data):
    lang = data.pop("_lang")
    assert question_validate_data(data) == []
    exported = gift_export.render([question_normalize_data(data)], language=lang).decode()
    result = gift.parse(exported)
    assert result.errors == [], exported
    [parsed] = result.questions
    localise(parsed.data, lang)
    assert parsed.name == data["uid"]
    assert comparable(parsed.data) == comparable(data), exported


@st.composite
def bilingual_questions(draw):
    """A canonical question with both languages: what CSV carries in full."""
    vi, en = draw(questions(vi=True)), draw(questions(vi=False))
    data = dict(en)
    data.pop("_lang")
    data["text"] = {"vi": vi["text"]["vi"], "en": en["text"]["en"]}
    data["tags"] = draw(st.lists(st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True), max_size=3))
    data["difficulty"] = draw(st.integers(1, 5))
    data["time_limit"] = draw(st.integers(5, 240))
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bilingual_questions())
def test_csv_export_then_import_gives_back_the_same_question(data):
    assert question_validate_data(data) == []
    normal = question_normalize_data(data)
    exported = tabular_export.render_csv([{**normal, "status": "draft", "visibility": "public"}])
    result = tabular.parse_csv(exported.decode("utf-8"))
    assert result.errors == []
    [parsed] = result.questions
    again = question_normalize_data(parsed.data)
    assert again == normal


GARBAGE = st.text(
    st.characters(codec="utf-8") | st.sampled_from(list('{}~=#:%|,;"\n\t<>[]/*-.ANSWER')),
    max_size=300,
)


@pytest.mark.parametrize(
    "parse",
    [gift.parse, tabular.parse_csv, aiken.parse, json_format.parse, moodle_xml.parse],
    ids=["gift", "csv", "aiken", "json", "moodle-xml"],
)
@settings(max_examples=200, deadline=None)
@given(content=GARBAGE)
def test_random_input_never_raises_only_reports(parse, content):
    result = parse(content)
    for problem in result.errors:
        assert isinstance(problem.message, str)
        assert problem.message
    for parsed in result.questions:
        assert isinstance(parsed.data, dict)
