"""The import preview carries each question's options and key as they will be saved."""

from __future__ import annotations

import pytest

from quizzes.importers import questions_import

pytestmark = pytest.mark.django_db

GIFT = """::capital::What is the capital of Viet Nam? {=Hanoi ~Hue ~Da Nang}

::sdgs::How many SDGs are there? {#17:1}

::un::Which body wrote the SDGs? {=United Nations =UN}
"""


def test_a_dry_run_preview_lists_options_with_weights_and_the_typed_and_numeric_keys(teacher):
    report = questions_import(
        content=GIFT.encode(), filename="bank.gift", author=teacher, dry_run=True
    )

    by_name = {row["name"]: row for row in report.preview}
    capital = by_name["capital"]
    assert [(o["text"]["en"], o["weight"]) for o in capital["options"]] == [
        ("Hanoi", 1.0),
        ("Hue", 0.0),
        ("Da Nang", 0.0),
    ]
    assert by_name["sdgs"]["key"] == {"value": 17, "tolerance": 1}
    assert by_name["un"]["key"]["accepted"] == ["United Nations", "UN"]
    assert by_name["un"]["options"] == []
