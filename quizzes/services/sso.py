"""Sign-in with Google Workspace or Microsoft Entra through django-allauth (docs/accounts.md).

Providers are configured only by SSO_* environment settings (config/settings.py). A new SSO
account gets a profile and no role: an organiser grants the teacher role on /organise/teachers/.
A provider-verified email that matches an existing account (an invited teacher) signs in to it.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import Http404
from django.utils.translation import get_language

from quizzes.models import Profile


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """No local sign-up through allauth: organisers create and invite accounts."""
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True

    def get_app(self, request, provider, client_id=None):
        """A provider that is not configured is a 404, not a server error."""
        apps = self.list_apps(request, provider=provider, client_id=client_id)
        if not apps:
            raise Http404
        return super().get_app(request, provider, client_id=client_id)

    def save_user(self, request, sociallogin, form=None):
        """A new SSO account: a profile with the provider's name, and no role."""
        user = super().save_user(request, sociallogin, form)
        data = sociallogin.account.extra_data or {}
        name = (data.get("name") or data.get("displayName") or user.get_full_name() or user.email)[
            :120
        ]
        Profile.objects.get_or_create(
            user=user, defaults={"display_name": name, "language": get_language() or "vi"}
        )
        return user


def sso_form_origins() -> list[str]:
    """Where the log-in page's SSO forms end up (a redirect to the provider's authorize page):
    the page's CSP form-action must allow them, or the browser stops the sign-in."""
    from urllib.parse import urlsplit

    from allauth.socialaccount.providers.google.views import GoogleOAuth2Adapter
    from django.conf import settings

    urls = []
    for provider, config in settings.SOCIALACCOUNT_PROVIDERS.items():
        for app in config.get("APPS", []):
            if provider == "google":
                urls.append(GoogleOAuth2Adapter.authorize_url)
            elif provider == "microsoft":
                app_settings = app.get("settings", {})
                urls.append(app_settings.get("login_url", "https://login.microsoftonline.com"))
    return sorted({"{0.scheme}://{0.netloc}".format(urlsplit(url)) for url in urls})


def sso_providers() -> list[dict[str, str]]:
    """The configured providers, for the login page's buttons."""
    from django.conf import settings

    names = {"google": "Google", "microsoft": "Microsoft"}
    return [
        {"id": provider, "name": names.get(provider, provider)}
        for provider in settings.SOCIALACCOUNT_PROVIDERS
        if settings.SOCIALACCOUNT_PROVIDERS[provider].get("APPS")
    ]
