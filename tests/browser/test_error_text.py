"""A failed call's message on every page (http.js errorText): the API's nested problems are
readable text, never "[object Object]"."""

from __future__ import annotations

import pytest

from tests.browser.conftest import new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOW = """async (body) => {
  const http = await import("/static/frontend/js/http.js");
  return http.errorText(new http.ApiError(400, body));
}"""


async def test_nested_problems_read_as_text(asgi_server, browser):
    errors: list[str] = []
    page = await new_page(browser, errors=errors)
    await page.goto(asgi_server.url + "/")
    nested = {
        "code": "invalid",
        "message": "Check the quiz.",
        "details": {"title": ["Too long."], "items": [{}, {"question": ["Not found."]}]},
    }
    text = await page.evaluate(SHOW, nested)
    assert text == "Check the quiz. title: Too long.; items 2 › question: Not found."
    assert "[object Object]" not in text
    flat = {"code": "x", "message": "Bad.", "details": ["One.", "Two."]}
    assert await page.evaluate(SHOW, flat) == "Bad. One.; Two."
    plain = {"code": "x", "message": "Bad.", "details": {}}
    assert await page.evaluate(SHOW, plain) == "Bad."
    assert errors == []
