"""A teacher imports a GIFT file with one bad block through the wizard: the preview shows the
error with its line number, the import keeps the good questions. A Kahoot! spreadsheet and an
LMS's QTI package are recognised by their content and imported the same way."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from quizzes.models import Question
from tests.browser.conftest import new_page
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GIFT = """// Lifelong Learning Week quiz
::capital::Thủ đô của Việt Nam là thành phố nào? {=Hà Nội ~Huế ~Đà Nẵng}

::broken::Có bao nhiêu Mục tiêu Phát triển Bền vững? {=17 ~%33%16}

::sdgs::Có bao nhiêu Mục tiêu Phát triển Bền vững? {#17}

::round::Trái Đất hình cầu. {T}
"""


async def login(page, base_url: str) -> None:
    await page.goto(base_url + "/accounts/login/?next=/bank/import/")
    await page.fill("input[name=username]", "wizard-teacher")
    await page.fill("input[name=password]", "pw-123456")
    await page.locator("form button[type=submit], form input[type=submit]").last.click()
    await page.wait_for_url(re.compile(r"^http://[^/]+/bank/import/$"))  # not ?next=/bank/import/


async def test_teacher_previews_errors_by_line_then_imports_the_good_questions(
    asgi_server, browser, artifacts, tmp_path
):
    await sync_to_async(make_user)("wizard-teacher", roles=["teacher"])
    path = tmp_path / "quiz.gift"
    path.write_text(GIFT, encoding="utf-8")
    errors: list[str] = []
    page = await new_page(browser, locale="en", errors=errors)
    await login(page, asgi_server.url)

    await page.set_input_files("#import-file", str(path))
    await page.click("#preview-button")
    await page.wait_for_selector("#step-preview:not([hidden])")
    error_rows = page.locator("#errors-table tbody tr")
    assert await error_rows.count() == 1
    error_text = await error_rows.first.inner_text()
    assert "line 4" in error_text
    assert "broken" in error_text
    assert "Invalid grade 33%" in error_text
    assert await page.locator("#preview-table tbody tr").count() == 3
    assert "Thủ đô của Việt Nam" in await page.inner_text("#preview-table")
    assert await sync_to_async(Question.objects.count)() == 0  # the preview wrote nothing
    await page.screenshot(path=str(artifacts / "import-preview-desktop.png"), full_page=True)

    await page.click("#confirm-button")
    await page.wait_for_selector("#step-result:not([hidden])")
    assert "3 created" in await page.inner_text("#result-summary")
    await page.screenshot(path=str(artifacts / "import-result-desktop.png"), full_page=True)

    imported = await sync_to_async(
        lambda: sorted(Question.objects.values_list("external_id", "author__username"))
    )()
    assert imported == [
        ("capital", "wizard-teacher"),
        ("round", "wizard-teacher"),
        ("sdgs", "wizard-teacher"),
    ]
    assert errors == []


async def test_wizard_on_a_phone_in_vietnamese(asgi_server, browser, artifacts, tmp_path):
    await sync_to_async(make_user)("wizard-teacher", roles=["teacher"])
    path = tmp_path / "quiz.gift"
    path.write_text(GIFT, encoding="utf-8")
    errors: list[str] = []
    page = await new_page(browser, locale="vi", phone=True, errors=errors)
    await login(page, asgi_server.url)
    assert "Nhập câu hỏi" in await page.inner_text("h1")
    await page.screenshot(path=str(artifacts / "import-upload-phone.png"), full_page=True)
    await page.set_input_files("#import-file", str(path))
    await page.click("#preview-button")
    await page.wait_for_selector("#step-preview:not([hidden])")
    assert "dòng 4" in await page.inner_text("#errors-table")
    await page.screenshot(path=str(artifacts / "import-preview-phone.png"), full_page=True)
    assert errors == []


FIXTURES = Path(__file__).resolve().parents[1] / "quizzes" / "fixtures"


def qti_package(path: Path) -> Path:
    """The LMS package fixture (tests/quizzes/fixtures/qti-lms/) zipped as an LMS hands it out."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted((FIXTURES / "qti-lms").rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(FIXTURES / "qti-lms").as_posix())
    return path


async def import_through_the_wizard(page, path: Path) -> tuple[str, str, str]:
    await page.set_input_files("#import-file", str(path))
    await page.click("#preview-button")
    await page.wait_for_selector("#step-preview:not([hidden])")
    read_as = await page.inner_text("#preview-format")
    errors = await page.inner_text("#errors-table")
    return read_as, errors, await page.inner_text("#preview-table")


async def test_wizard_imports_a_kahoot_spreadsheet_and_an_lms_qti_package(
    asgi_server, browser, artifacts, tmp_path
):
    await sync_to_async(make_user)("wizard-teacher", roles=["teacher"])
    errors: list[str] = []
    page = await new_page(browser, locale="en", errors=errors)
    await login(page, asgi_server.url)

    # A Kahoot! template the teacher renamed: the content, not the name, says what it is.
    kahoot = tmp_path / "moi-truong.xlsx"
    kahoot.write_bytes((FIXTURES / "kahoot-lop10-moitruong.xlsx").read_bytes())
    read_as, problems, found = await import_through_the_wizard(page, kahoot)
    assert read_as == "Read as: Kahoot!"
    assert "line 12" in problems
    assert "Correct answer(s) is empty" in problems
    assert "Rác thải nhựa mất khoảng bao lâu để phân hủy?" in found
    await page.screenshot(path=str(artifacts / "import-kahoot-preview-desktop.png"), full_page=True)
    await page.click("#confirm-button")
    await page.wait_for_selector("#step-result:not([hidden])")
    assert "4 created" in await page.inner_text("#result-summary")

    await page.click("#again-button")
    read_as, problems, found = await import_through_the_wizard(
        page, qti_package(tmp_path / "lop10-canvas.zip")
    )
    assert read_as == "Read as: IMS QTI 2.1"
    assert "items/i8a02f3.xml" in problems
    assert "matchInteraction" in problems
    assert "Sắp xếp các cấp hành chính từ nhỏ đến lớn." in found
    await page.screenshot(path=str(artifacts / "import-qti-preview-desktop.png"), full_page=True)
    await page.click("#confirm-button")
    await page.wait_for_selector("#step-result:not([hidden])")
    assert "6 created" in await page.inner_text("#result-summary")
    await page.screenshot(path=str(artifacts / "import-qti-result-desktop.png"), full_page=True)

    types = await sync_to_async(lambda: sorted(Question.objects.values_list("type", flat=True)))()
    assert types == sorted(
        ["single", "multi", "truefalse", "single"]  # Kahoot!
        + ["single", "multi", "truefalse", "text", "numeric", "order"]  # QTI
    )
    assert errors == []
