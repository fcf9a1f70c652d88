"""A JSON body of `null` where an object is expected gets the one error body, with a message in
the reader's language: DRF's own "No data provided" is not translated. (An empty body is an
empty object: each required field says it is required.)"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import make_user

pytestmark = pytest.mark.django_db

MESSAGES = {
    "vi": "Chưa gửi dữ liệu: cần một đối tượng JSON.",
    "en": "No data sent: a JSON object is needed.",
}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_null_body_says_what_is_missing_in_the_readers_language(lang):
    teacher = make_user("nullbody-teacher", roles=["teacher"])
    signed_in = APIClient()
    signed_in.force_authenticate(teacher)
    for client, path in ((APIClient(), "/api/games/join"), (signed_in, "/api/quizzes/")):
        response = client.generic(
            "POST", path, "null", content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang
        )
        assert response.status_code == 400, (path, response.content)
        error = response.json()
        assert error["code"] == "invalid"
        assert error["details"] == {"non_field_errors": [MESSAGES[lang]]}, (path, error)
