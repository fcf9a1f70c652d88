"""The foundation: health, languages, API basics, units import, demo seed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quizzes.models import Theme, Unit

pytestmark = pytest.mark.django_db


def test_healthz_reports_every_component_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "channel_layer": "ok", "live_store": "ok"}


def test_healthz_is_503_and_names_the_live_store_when_it_is_down(client, monkeypatch):
    from realtime import store

    async def broken_ping(self):
        raise ConnectionError("down")

    monkeypatch.setattr(type(store.get_store()), "ping", broken_ping)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["down"] == ["live_store"]


def test_home_page_speaks_the_browsers_language(client):
    vi = client.get("/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    en = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Join a game with a PIN" in en
    assert "Join a game with a PIN" not in vi
    assert 'lang="vi"' in vi
    assert 'lang="en"' in en


def test_language_switcher_sets_the_language_for_later_pages(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_ACCEPT_LANGUAGE="vi")
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Join a game with a PIN" in page


def test_pages_carry_a_content_security_policy_without_inline_scripts(client):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_api_root_schema_and_docs_are_served_without_a_cdn(client):
    assert client.get("/api/").status_code == 200
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in docs
    assert "cdn" not in docs.lower()


def test_api_errors_share_one_translated_shape(client):
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found.", "details": None}
    vi = client.get("/api/no-such-thing/", HTTP_ACCEPT_LANGUAGE="vi").json()
    assert vi["code"] == "not_found"
    assert vi["message"] != "Not found."


def test_token_authentication_works(api_client, teacher):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=teacher)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.get("/api/units/")
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Token wrong")
    body = api_client.get("/api/units/").json()
    assert body["code"] == "authentication_failed"


def test_login_and_logout_pages(client, teacher):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "teacher1", "password": "pw-123456"})
    assert response.status_code == 302
    assert "teacher1" in client.get("/").content.decode()
    client.post("/accounts/logout/")
    assert "teacher1" not in client.get("/").content.decode()


def test_import_units_loads_the_hierarchy_and_reports_bad_rows_by_line(tmp_path, capsys):
    csv_file = tmp_path / "units.csv"
    csv_file.write_text(
        "code,name,level,parent_code\n"
        "HN,Hà Nội,province,\n"
        "HN-CG,Cầu Giấy,district,HN\n"
        "HN-CG-S1,THCS Cầu Giấy,school,HN-CG\n"
        "HN-X,Nowhere,school,NOPE\n"  # line 5: unknown parent
        "HN-Y,Bad,galaxy,HN\n"  # line 6: unknown level
        "HN-CG-S1-9A,9A,class,HN-CG-S1\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError):
        call_command("import_units", str(csv_file))
    err = capsys.readouterr().err
    assert "Line 5: Unknown parent code NOPE." in err
    assert "Line 6: Unknown level" in err
    assert Unit.objects.get(code="HN-CG-S1-9A").parent.code == "HN-CG-S1"
    assert Unit.objects.count() == 4


def test_import_units_rejects_a_school_directly_under_a_province(tmp_path, capsys):
    csv_file = tmp_path / "units.csv"
    csv_file.write_text(
        "code,name,level,parent_code\nHN,Hà Nội,province,\nS,Trường,school,HN\n", encoding="utf-8"
    )
    with pytest.raises(CommandError):
        call_command("import_units", str(csv_file))
    assert "Line 3: A school cannot sit under a province." in capsys.readouterr().err
    assert not Unit.objects.filter(code="S").exists()


def test_demo_seed_is_idempotent():
    call_command("seed_demo")
    counts = (Unit.objects.count(), Theme.objects.count())
    call_command("seed_demo")
    assert (Unit.objects.count(), Theme.objects.count()) == counts
    assert Unit.objects.filter(level="province").count() == 1
    assert Unit.objects.filter(level="district").count() == 3
    assert Unit.objects.filter(level="school").count() == 6
    assert Theme.objects.count() == 8
