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


CALL = """async (url) => {
  const http = await import("/static/frontend/js/http.js");
  try { await http.api(url, { method: "POST", body: {} }); return null; }
  catch (error) { return [error.status, error.message]; }
}"""


def _answering(status: int, body: str):
    async def answer(route):
        await route.fulfill(status=status, body=body)

    return answer


async def test_an_answer_that_is_not_the_apis_says_so_in_the_pages_language(asgi_server, browser):
    """A proxy's 502 page or Django's debug 500 page has no API body: the page said the
    browser's status text ("Internal Server Error"), in English on a Vietnamese page."""
    page = await new_page(browser, locale="vi")
    await page.goto(asgi_server.url + "/play")  # a page with the catalogue http.js reads
    for status, body in ((502, "<html>Bad Gateway</html>"), (413, "")):
        await page.route("**/broken/", _answering(status, body))
        got_status, message = await page.evaluate(CALL, asgi_server.url + "/broken/")
        assert got_status == status
        assert message == (
            "Hệ thống gặp sự cố. Vui lòng thử lại."
            if status >= 500
            else "Yêu cầu bị từ chối (lỗi 413)."
        )
        await page.unroute("**/broken/")
