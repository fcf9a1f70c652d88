"""What every contest API view shares: the base views and the contest's staff permission."""

from __future__ import annotations

from django.utils.cache import patch_cache_control, patch_vary_headers
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.views import APIView

from contest import access
from contest.models import Round
from core.errors import body_too_large

# The largest body a public contest request needs: a hand-in of every answer of a long paper
# (200 answers of 500 characters of Vietnamese text is about 330 KB). Bigger ones are refused
# before anything reads them (a participant's token once made the server parse 10 MB).
MAX_PUBLIC_BODY = 512 * 1024


class IsContestStaff(BasePermission):
    """The one access rule of organiser actions (access.is_contest_staff): a view lists it and
    checks it against the contest or round it loaded, `self.check_object_permissions(request,
    contest_or_round)`; None asks whether the user may run contests at all (the organiser role).
    Refuses with the contest's 403 (permission_denied, "Only this contest's staff can do this.")."""

    def has_permission(self, request, view) -> bool:
        return True  # which contest is only known once the view has loaded it

    def has_object_permission(self, request, view, obj) -> bool:
        contest = obj.contest if isinstance(obj, Round) else obj
        access.contest_staff_required(user=request.user, contest=contest)
        return True


def _int(value, default: int, low: int = 0, high: int = 1000) -> int:
    try:
        return max(low, min(high, int(value)))
    except (TypeError, ValueError):
        return default


class PublicApi(APIView):
    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_PUBLIC_BODY:
            raise body_too_large(MAX_PUBLIC_BODY)
        super().initial(request, *args, **kwargs)


class ParticipantApi(PublicApi):
    """A reply about one participant (their name, paper, answers, rank): never stored by a shared
    cache or the browser's, and varies with who asks."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return by_viewer(response, private=True)


def by_viewer(response, private: bool):
    """Replies that differ by who asks (contest staff see the live standing and counts during a
    freeze; a participant's token adds their rank): a shared cache in front keys them by the
    viewer's credentials and never stores a private one (the organisers' live board or counts
    for the public)."""
    patch_vary_headers(response, ["Cookie", "Authorization", "X-Participant-Token"])
    if private:
        patch_cache_control(response, private=True, no_store=True)
    return response
