"""Sign-in with Google Workspace or Microsoft Entra through django-allauth, against a fake
OAuth2 provider on 127.0.0.1 (token and user-info endpoints): nothing on the internet."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from allauth.socialaccount.providers.google.views import GoogleOAuth2Adapter
from django.contrib.auth import get_user_model
from django.test import Client

from core.roles import has_role
from tests.factories import make_units, make_user

pytestmark = pytest.mark.django_db

User = get_user_model()


class FakeProvider:
    """Token endpoint (POST */token) and user-info endpoints (GET), one identity at a time."""

    def __init__(self):
        self.identity: dict = {}
        self.token_requests: list[dict] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, body, status=200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                provider.token_requests.append({k: v[0] for k, v in form.items()})
                if form.get("code") != ["good-code"]:
                    return self._json({"error": "invalid_grant"}, status=400)
                self._json(
                    {"access_token": "fake-access", "token_type": "Bearer", "expires_in": 60}
                )

            def do_GET(self):
                if self.headers.get("Authorization") != "Bearer fake-access":
                    return self._json({"error": {"message": "no token"}}, status=401)
                self._json(provider.identity)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_provider(settings, monkeypatch):
    provider = FakeProvider()
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {
            "APPS": [{"client_id": "google-client", "secret": "google-secret"}],
            "SCOPE": ["openid", "profile", "email"],
        },
        "microsoft": {
            "APPS": [
                {
                    "client_id": "ms-client",
                    "secret": "ms-secret",
                    "settings": {
                        "tenant": "school-tenant",
                        "login_url": provider.url,
                        "graph_url": provider.url,
                    },
                }
            ]
        },
    }
    # Google's endpoints are module constants in allauth: point the adapter at the fake.
    monkeypatch.setattr(GoogleOAuth2Adapter, "access_token_url", provider.url + "/token")
    monkeypatch.setattr(GoogleOAuth2Adapter, "identity_url", provider.url + "/userinfo")
    yield provider
    provider.close()


def _sign_in(client: Client, provider_id: str, code: str = "good-code"):
    """Press the login page's button, come back from the provider with a code."""
    start = client.post(f"/accounts/{provider_id}/login/")
    assert start.status_code == 302, start.content
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    return client.get(
        f"/accounts/{provider_id}/login/callback/", {"code": code, "state": state}, follow=True
    )


def _logged_in_user(client: Client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


GOOGLE_TEACHER = {
    "id": "g-1001",
    "email": "thu@school.edu.vn",
    "verified_email": True,
    "name": "Đỗ Minh Thư",
    "given_name": "Thư",
    "family_name": "Đỗ",
}


def test_sso_is_off_without_settings(client):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page
    assert client.post("/accounts/google/login/").status_code == 404
    assert client.post("/accounts/microsoft/login/").status_code == 404


def test_login_page_offers_the_configured_providers(client, fake_provider):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Google" in page
    assert "Sign in with Microsoft" in page
    assert 'action="/accounts/google/login/' in page


def test_new_google_user_is_signed_in_with_a_profile_and_no_role(client, fake_provider):
    fake_provider.identity = GOOGLE_TEACHER
    response = _sign_in(client, "google")
    assert response.status_code == 200
    user = _logged_in_user(client)
    assert user is not None
    assert user.email == "thu@school.edu.vn"
    assert user.profile.display_name == "Đỗ Minh Thư"
    assert not any(has_role(user, role) for role in ("teacher", "reviewer", "organiser"))
    assert client.get("/bank/").status_code == 403
    # The code was exchanged at the fake token endpoint with our client id.
    assert fake_provider.token_requests[-1]["client_id"] == "google-client"
    assert fake_provider.token_requests[-1]["code"] == "good-code"


def test_organiser_grants_the_teacher_role_to_a_new_sso_user(client, fake_provider, api_client):
    fake_provider.identity = GOOGLE_TEACHER
    _sign_in(client, "google")
    units = make_units()
    organiser = make_user("org", roles=["organiser"])
    api_client.force_authenticate(organiser)
    waiting = api_client.get("/api/accounts/teachers/").json()
    assert [(a["email"], a["role"], a["sso"]) for a in waiting] == [
        ("thu@school.edu.vn", "no_role", ["google"])
    ]
    granted = api_client.post(
        "/api/accounts/teachers/invite/",
        {"email": "thu@school.edu.vn", "school_code": units["school"].code},
        format="json",
    ).json()
    assert granted["outcome"] == "role_added"
    assert client.get("/bank/").status_code == 200


def test_invited_teacher_signs_in_with_google_to_the_same_account(client, fake_provider):
    units = make_units()
    teacher = make_user("thu@school.edu.vn", roles=["teacher"], unit=units["school"])
    teacher.email = "thu@school.edu.vn"
    teacher.save()
    fake_provider.identity = GOOGLE_TEACHER
    _sign_in(client, "google")
    assert _logged_in_user(client) == teacher
    assert User.objects.filter(email__iexact="thu@school.edu.vn").count() == 1
    assert client.get("/bank/").status_code == 200
    # A second sign-in uses the now-connected Google account.
    second = Client()
    _sign_in(second, "google")
    assert _logged_in_user(second) == teacher


def test_a_teacher_who_accepted_an_invitation_keeps_the_password_after_google_sign_in(
    client, fake_provider, django_capture_on_commit_callbacks
):
    from django.core import mail

    from quizzes.services import accounts

    units = make_units()
    organiser = make_user("org", roles=["organiser"])
    with django_capture_on_commit_callbacks(execute=True):
        user = accounts.teacher_invite(
            actor=organiser,
            email="thu@school.edu.vn",
            school_code=units["school"].code,
            base_url="http://testserver/",
        ).user
    accounts.invite_accept(token=accounts.invite_token_make(user), password="Hoa-Mai-2026")
    assert len(mail.outbox) == 1
    fake_provider.identity = GOOGLE_TEACHER
    _sign_in(client, "google")
    assert _logged_in_user(client) == user
    assert Client().login(username="thu@school.edu.vn", password="Hoa-Mai-2026")


def test_a_password_reset_by_email_also_keeps_the_password_after_google_sign_in(
    client, fake_provider
):
    import re

    from django.core import mail

    teacher = make_user("thu", roles=["teacher"], password="old-password-1")
    teacher.email = "thu@school.edu.vn"
    teacher.save()
    client.post("/accounts/password/reset/", {"email": "thu@school.edu.vn"})
    link = re.search(r"http://testserver(/\S+)", mail.outbox[0].body)[1]
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "Hoa-Mai-2026", "new_password2": "Hoa-Mai-2026"})
    fake_provider.identity = GOOGLE_TEACHER
    google = Client()
    _sign_in(google, "google")
    assert _logged_in_user(google) == teacher
    assert Client().login(username="thu", password="Hoa-Mai-2026")


def test_a_refused_code_shows_an_error_and_signs_nobody_in(client, fake_provider):
    fake_provider.identity = GOOGLE_TEACHER
    response = _sign_in(client, "google", code="stolen-code")
    assert _logged_in_user(client) is None
    assert "Sign-in with your school account failed" in response.content.decode()
    assert not User.objects.filter(email="thu@school.edu.vn").exists()


def test_microsoft_entra_user_is_signed_in_through_the_tenant_endpoints(client, fake_provider):
    fake_provider.identity = {
        "id": "ms-42",
        "displayName": "Phan Văn Khoa",
        "mail": "khoa@truong.edu.vn",
        "userPrincipalName": "khoa@truong.edu.vn",
    }
    start = client.post("/accounts/microsoft/login/")
    assert start["Location"].startswith(fake_provider.url + "/school-tenant/oauth2/v2.0/authorize")
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    client.get("/accounts/microsoft/login/callback/", {"code": "good-code", "state": state})
    user = _logged_in_user(client)
    assert user is not None
    assert user.email == "khoa@truong.edu.vn"
    assert user.profile.display_name == "Phan Văn Khoa"
    assert not has_role(user, "teacher")
    assert fake_provider.token_requests[-1]["client_id"] == "ms-client"


def test_sso_providers_are_switched_on_by_environment_settings():
    """config/settings.py reads SSO_*: a provider needs both its client id and secret."""
    import os
    import subprocess
    import sys

    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "p = s.SOCIALACCOUNT_PROVIDERS; "
        "print(json.dumps({k: v['APPS'][0].get('settings', {}) for k, v in p.items()}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("SSO_")} | {
        "DJANGO_SETTINGS_MODULE": "config.settings"
    }

    def providers(**env):
        out = subprocess.run(
            [sys.executable, "-c", script], env=base | env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert providers() == {}
    assert providers(SSO_GOOGLE_CLIENT_ID="id") == {}  # no secret: still off
    assert providers(
        SSO_GOOGLE_CLIENT_ID="id",
        SSO_GOOGLE_CLIENT_SECRET="s",
        SSO_MICROSOFT_CLIENT_ID="id",
        SSO_MICROSOFT_CLIENT_SECRET="s",
        SSO_MICROSOFT_TENANT="contoso.edu.vn",
    ) == {"google": {}, "microsoft": {"tenant": "contoso.edu.vn"}}


def test_microsoft_sign_in_with_the_email_of_an_existing_account_is_stopped_clearly(
    client, fake_provider
):
    owner = make_user("khoa", password="pw-123456")
    owner.email = "khoa@truong.edu.vn"
    owner.save()
    fake_provider.identity = {
        "id": "ms-42",
        "displayName": "Phan Văn Khoa",
        "mail": "khoa@truong.edu.vn",
        "userPrincipalName": "khoa@truong.edu.vn",
    }
    page = _sign_in(client, "microsoft").content.decode()
    assert "An account already uses khoa@truong.edu.vn" in page
    assert "<form" not in page.split('id="main"')[1]  # no form to make a second account
    assert _logged_in_user(client) is None
    assert User.objects.count() == 1
    assert owner.check_password("pw-123456")


def test_login_page_lets_its_sso_forms_reach_the_providers_and_nothing_else(client, settings):
    assert "form-action 'self';" in client.get("/accounts/login/")["Content-Security-Policy"]
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "g", "secret": "s"}]},
        "microsoft": {"APPS": [{"client_id": "m", "secret": "s"}]},
    }
    csp = client.get("/accounts/login/")["Content-Security-Policy"]
    assert (
        "form-action 'self' https://accounts.google.com https://login.microsoftonline.com;" in csp
    )
    assert (
        "form-action 'self';" in client.get("/accounts/password/reset/")["Content-Security-Policy"]
    )
