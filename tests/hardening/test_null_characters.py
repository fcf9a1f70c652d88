"""A null character in an address's query (`%00`) is refused with a clear, translated 400 on every
page and API, never a server error (PostgreSQL's text cannot hold it; the schema fuzzer sent
`?type=...%00...` to the question bank and got a 500)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/questions/?type=single%00",
        "/api/questions/?q=a%00b",
        "/api/questions/?%00=1",
        "/bank/?q=%00",
    ],
)
def test_a_null_character_in_the_query_is_refused_in_the_readers_language(teacher, url):
    client = Client()
    client.force_login(teacher)
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400, url
    assert english.json()["code"] == "null_character"
    assert "null character" in english.json()["message"]
    vietnamese = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
    assert vietnamese.status_code == 400
    assert vietnamese.json()["message"] != english.json()["message"]


def test_the_same_query_without_it_is_answered(teacher):
    client = Client()
    client.force_login(teacher)
    assert client.get("/api/questions/?type=single&q=ab").status_code == 200
