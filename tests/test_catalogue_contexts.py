"""One app's translation never overrides another's: words that mean different things carry a
context (the editor's "Answers" are the answer options, the results' "Answers" a count)."""

from __future__ import annotations

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_editors_answers_heading_reads_as_answer_options_in_vietnamese(client):
    client.force_login(make_user("t1", roles=["teacher"]))
    page = client.get("/bank/questions/new", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "<h2>Đáp án</h2>" in page
    assert "Số câu trả lời" not in page


def test_the_results_export_still_counts_answers_in_vietnamese():
    from django.utils import translation

    from realtime import results

    with translation.override("vi"):
        header = results._player_header()
    assert header[5] == "Số câu trả lời"
