"""Contest pages: landing, registration, the attempt page, results, ceremony screen, organiser
pages. They read through contest.selectors and write through contest.services, like the API."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contest import access, boards, selectors, services
from contest.apis import set_participant_cookie
from contest.apis.contests import RegisterApi
from contest.apis.serializers import (
    CertificateSettingsSerializer,
    ContestSerializer,
    CorrectionSerializer,
    RoundSerializer,
    StaffSerializer,
)
from contest.models import Contest, Participant, Round
from contest.services.certificates import certificate_settings_update, prize_tiers_list
from contest.services.registration import (
    participant_for_request,
    participant_token_revoke,
    participant_token_verify,
    token_claims,
)
from contest.services.results import participation_by_unit
from contest.shared_keys import scores_withheld_until
from core.errors import ApplicationError
from frontend.access import role_page_denied
from frontend.contests.forms import form_body, validated
from frontend.live.views import contest_overlay_kinds
from quizzes.grading import MAX_TEXT_LENGTH
from quizzes.selectors import quiz_list


def _contest(request, slug) -> Contest:
    try:
        return selectors.contest_get(slug=slug, user=request.user)
    except ApplicationError:
        raise Http404 from None


def _round(contest, round_id) -> Round:
    round_ = contest.rounds.filter(pk=round_id).first()
    if round_ is None:
        raise Http404
    return round_


def _participant(request, contest) -> Participant | None:
    """The participant of this browser; a revoked or expired link says so and counts as none."""
    try:
        return participant_for_request(request, contest, allow_cookie=True)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return None


def contest_list(request):
    now = timezone.now()
    contests = [selectors.contest_public(c, now) for c in selectors.contest_list(user=request.user)]
    return render(request, "frontend_contests/list.html", {"contests": contests})


def contest_landing(request, slug):
    contest = _contest(request, slug)
    participant = _participant(request, contest)
    data = selectors.contest_public(contest)
    rounds = list(contest.rounds.all())
    next_round = next((r for r in data["rounds"] if r["state"] != "closed"), None)
    return render(
        request,
        "frontend_contests/landing.html",
        {
            "contest": contest,
            "data": data,
            "round_items": list(zip(rounds, data["rounds"], strict=True)),
            "participant": participant,
            "next_round": next_round,
            "attempts": selectors.participant_summary(participant)["attempts"]
            if participant
            else [],
        },
    )


def register_page(request, slug):
    contest = _contest(request, slug)
    participant = _participant(request, contest)
    fields = RegisterApi.InputSerializer().fields
    return render(
        request,
        "frontend_contests/register.html",
        {
            "contest": contest,
            "participant": participant,
            # The API's limits, so that the browser stops where the server would refuse.
            "max_length": {
                name: fields[name].max_length for name in ("full_name", "email", "phone")
            },
        },
    )


def resume(request, slug, token):
    """The signed resume link: remembers the participant in this browser. When the browser
    already holds another participant of the contest, a page asks before replacing it."""
    contest = _contest(request, slug)
    claims = token_claims(token)
    participant = (
        contest.participants.select_related("school").filter(pk=claims[0]).first()
        if claims and claims[1] == contest.pk
        else None
    )
    if participant is None:
        raise Http404
    try:
        participant_token_verify(participant=participant, version=claims[2])
    except ApplicationError as exc:
        return render(
            request,
            "frontend_contests/resume.html",
            {"contest": contest, "error": exc.message},
            status=exc.status,
        )
    try:
        current = participant_for_request(request, contest, allow_cookie=True)
    except ApplicationError:
        current = None  # this browser's own link no longer works: nothing to keep
    if request.method != "POST" and current is not None and current.pk != participant.pk:
        return render(
            request,
            "frontend_contests/resume.html",
            {"contest": contest, "current": current, "incoming": participant},
        )
    response = redirect("contest-landing", slug=contest.slug)
    set_participant_cookie(response, contest, token, secure=request.is_secure())
    return response


def attempt_page(request, slug, round_id):
    contest = _contest(request, slug)
    round_ = _round(contest, round_id)
    participant = _participant(request, contest)
    if participant is None:
        messages.info(request, _("Please register for this contest first."))
        return redirect("contest-register-page", slug=contest.slug)
    return render(
        request,
        "frontend_contests/attempt.html",
        {
            "contest": contest,
            "round": round_,
            "participant": participant,
            "max_text": MAX_TEXT_LENGTH,  # a text answer's limit: the page's box stops there
        },
    )


def results_page(request, slug, round_id):
    contest = _contest(request, slug)
    round_ = _round(contest, round_id)
    # Never finalized here (the round_finalize job closes it): a closing round shows the board of
    # the close, says final results are being computed and reloads until they are.
    closing = services.round_close_ensure(round_)
    closed = round_.is_closed() and not closing
    participant = _participant(request, contest)
    level = request.GET.get("level", "school")
    if level not in boards.UNIT_FIELDS:
        level = "school"
    # Organisers see the live standing; everyone else the public one (frozen, hidden).
    public = not access.is_contest_staff(request.user, contest)
    scope = boards.round_scope(round_, public=public)
    # Held for the award ceremony: the public keeps the board of the close (public_state).
    held = public and round_.results_held
    # Another round still to close may ask the same questions: no scores for the public yet.
    withheld = scores_withheld_until(round_)
    closed = closed and not held and not (public and withheld)
    rows = (
        # The public's rows (user=None) unless only staff may see them yet.
        selectors.round_results(
            round_=round_, user=request.user if round_.results_held or withheld else None
        )
        if closed
        else boards.top(scope, 100)
    )
    me = boards.my_rank(scope, participant.pk) if participant else None
    units = boards.unit_board(contest=contest, round_=round_, level=level, public=public)
    method = boards.unit_method(contest, round_, None, public=public)
    return render(
        request,
        "frontend_contests/results.html",
        {
            "contest": contest,
            "round": round_,
            "closed": closed,
            "closing": closing,
            "rows": rows[:500],
            "me": me,
            "units": units[:50],
            "board": boards.board_state(scope)["board"],
            "public_board": boards.public_state(round_),
            "total": boards.size(scope) if scope.hidden else len(rows),
            "level": level,
            "levels": boards.UNIT_FIELDS.keys(),
            "frozen": round_.is_frozen(),
            "held": held,
            "withheld": withheld,
            "method_label": _method_label(contest, method),
        },
    )


def _landing_url(request, contest: Contest) -> str:
    """The absolute link to enter the contest (PUBLIC_BASE_URL when set, else this host)."""
    from django.conf import settings
    from django.urls import reverse

    path = reverse("contest-landing", args=[contest.slug])
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def _method_label(contest: Contest, method: str) -> str:
    """How units are ranked, with the contest's real N (not a literal "N")."""
    if method == Contest.Aggregation.TOP_N:
        n = contest.aggregation_top_n
        return ngettext("Mean of the top %(n)s score", "Mean of the top %(n)s scores", n) % {"n": n}
    return str(Contest.Aggregation(method).label)


def screen_page(request, slug, round_id):
    contest = _contest(request, slug)
    round_ = _round(contest, round_id)
    return render(
        request,
        "frontend_contests/screen.html",
        {"contest": contest, "round": round_, "landing_url": _landing_url(request, contest)},
    )


def contest_qr(request, slug):
    """The contest's landing link as an SVG QR code for the ceremony screen (drawn here)."""
    from django.http import HttpResponse

    from frontend.live.views import qr_code_svg

    contest = _contest(request, slug)
    return HttpResponse(qr_code_svg(_landing_url(request, contest)), content_type="image/svg+xml")


def verify_certificate(request, code):
    """The public check behind a certificate's QR code: confirms it, or says it is not valid."""
    certificate = selectors.certificate_get(code=code)
    if certificate is None:
        return render(request, "frontend_contests/verify.html", {"certificate": None}, status=404)
    contest = certificate.round.contest
    participant = certificate.participant
    if certificate.round.results_held or scores_withheld_until(certificate.round):
        # A prize is not confirmed before the award ceremony reveals it, nor while another
        # round still to close may ask the round's questions (a rank is a score).
        return render(request, "frontend_contests/verify.html", {"held": True, "contest": contest})
    return render(
        request,
        "frontend_contests/verify.html",
        {
            "certificate": certificate,
            "contest": contest,
            "name": participant.full_name
            if contest.certificate_full_name
            else participant.public_name,
            "school": participant.school.name,
            "district": participant.district.name,
            "day": timezone.localtime(certificate.round.closes_at).date(),
        },
    )


# --- Organiser pages -----------------------------------------------------------------------------


def _staff_refusal(request, contest: Contest | None = None):
    """The organiser pages' access check, the same rule as the API (contest.selectors): an
    anonymous visitor goes to the log-in page, anyone else without the right gets a 403 page."""
    return role_page_denied(
        request,
        allowed=access.is_contest_staff(request.user, contest),
        message=access.MSG_ORGANISERS_ONLY if contest is None else access.MSG_STAFF_ONLY,
    )


def organise_index(request):
    if refusal := _staff_refusal(request):
        return refusal
    if request.method == "POST":
        try:
            data = validated(
                ContestSerializer,
                form_body(
                    request.POST, fields=("slug", "title_vi", "title_en", "rules_vi", "rules_en")
                ),
            )
            contest = services.contest_create(actor=request.user, **data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        except Exception as exc:  # model validation
            messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Contest created."))
            return redirect("contest-organise", slug=contest.slug)
    contests = selectors.contest_list_staffed(user=request.user)
    return render(request, "frontend_contests/organise_index.html", {"contests": contests})


def organise_contest(request, slug):
    if refusal := _staff_refusal(request):
        return refusal
    contest = _contest(request, slug)
    if refusal := _staff_refusal(request, contest):
        return refusal
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            _organise_action(request, contest, action)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect(request.get_full_path())
    rounds = list(contest.rounds.all())
    selected = next(
        (r for r in rounds if str(r.pk) == request.GET.get("round")), rounds[0] if rounds else None
    )
    # The per-school export links (the live participation panel fetches its own rows).
    participation = (
        [p for p in participation_by_unit(round_=selected, level="school") if p["registered"]]
        if selected
        else []
    )
    # Drawn rounds have no quiz items: list what the papers held (selectors, one home).
    questions = selectors.round_correction_questions(selected) if selected else []
    return render(
        request,
        "frontend_contests/organise_contest.html",
        {
            "contest": contest,
            "rounds": rounds,
            "selected": selected,
            "participation": participation,
            "audit": contest.audit.select_related("actor", "round")[:100],
            "quizzes": quiz_list(user=request.user)[:200],
            "staff": selectors.contest_staff_list(contest=contest),
            # Broadcast overlays panel (frontend_live/_overlays_panel.html, docs/broadcast.md).
            "overlay_kinds": contest_overlay_kinds(),
            "overlays_api": reverse("contest-overlays", args=[contest.slug]),
            "questions": questions,
            "aggregations": Contest.Aggregation.choices,
            "counting": Round.Counting.choices,
            "kinds": Round.Kind.choices,
            "registered": contest.participants.count(),
            "tiers_text": "\n".join(
                f"{t['name_vi']} | {t['name_en']} | {t['places']}"
                for t in (prize_tiers_list(round_=selected) if selected else [])
            ),
        },
    )


# The organiser page's forms, as the API bodies they stand for (frontend/contests/forms.py).
ROUND_FORM = {
    "fields": (
        "title_vi",
        "title_en",
        "kind",
        "opens_at",
        "closes_at",
        "time_limit_seconds",
        "max_attempts",
        "counting",
        "quiz",
        "prediction_text_vi",
        "prediction_text_en",
        "weight",
        "freeze_hours",
        "scores_while_open",
    ),
    "ints": ("time_limit_seconds", "max_attempts", "quiz", "freeze_hours"),
    "floats": ("weight",),
    "flags": ("scores_while_open",),
    "rename": {"quiz": "quiz_id"},
    # What the page's blank number fields have always meant (max_attempts: 0 = unlimited).
    "blank": {"time_limit_seconds": 900, "max_attempts": 0, "weight": 1.0, "freeze_hours": 0},
}
CONTEST_FORM = {
    "fields": (
        "unit_aggregation",
        "aggregation_top_n",
        "is_published",
        "require_email_verification",
        "require_captcha",
    ),
    "ints": ("aggregation_top_n",),
    "flags": ("is_published", "require_email_verification", "require_captcha"),
    "blank": {"aggregation_top_n": 10},
}
CORRECTION_FORM = {"fields": ("question", "reason", "correct"), "ints": ("question",)}


def _organise_action(request, contest: Contest, action: str | None) -> None:
    """One organiser form: its body validated by the API's serializer, then the API's service."""
    post = request.POST
    if action == "round_create":
        data = validated(RoundSerializer, form_body(post, **ROUND_FORM))
        services.round_create(contest=contest, actor=request.user, **data)
        messages.success(request, _("Round created."))
    elif action == "contest_update":
        data = validated(ContestSerializer, form_body(post, **CONTEST_FORM), partial=True)
        services.contest_update(contest=contest, actor=request.user, **data)
        messages.success(request, _("Contest settings saved."))
    elif action in ("void", "fix_key"):
        round_ = _round(contest, post.get("round"))
        body = form_body(post, **CORRECTION_FORM, lists=() if action == "void" else ("correct",))
        data = validated(CorrectionSerializer, body)
        if action == "void":
            entry = services.question_void(
                round_=round_,
                question_id=data["question"],
                actor=request.user,
                reason=data.get("reason", ""),
            )
        else:
            entry = services.answer_key_fix(
                round_=round_,
                question_id=data["question"],
                actor=request.user,
                correct=data.get("correct"),
                reason=data.get("reason", ""),
            )
        messages.success(request, entry.summary)
    elif action == "revoke_token":
        participant = _participant_lookup(contest, post.get("participant", ""))
        _participant_obj, token = participant_token_revoke(
            contest=contest, participant_id=participant.pk, actor=request.user
        )
        link = request.build_absolute_uri(f"/contests/{contest.slug}/resume/{token}/")
        messages.success(
            request,
            _("Links of %(name)s revoked. New resume link to give them: %(link)s")
            % {"name": participant.public_name, "link": link},
        )
    elif action == "staff_add":
        data = validated(StaffSerializer, form_body(post, fields=("username",)))
        member = services.contest_staff_add(
            contest=contest, actor=request.user, username=data["username"]
        )
        messages.success(
            request, _("%(user)s joined the contest staff.") % {"user": member.get_username()}
        )
    elif action == "close_now":
        round_ = _round(contest, post.get("round"))
        services.round_finalize(round_=round_)
        messages.success(request, _("Results computed."))
    elif action == "certificates":
        body = form_body(
            post, fields=("signer_name", "signer_title", "full_name"), flags=("full_name",)
        )
        body["tiers"] = _tiers_from_text(post.get("tiers", ""))
        data = validated(CertificateSettingsSerializer, body)
        certificate_settings_update(
            round_=_round(contest, post.get("round")),
            actor=request.user,
            **{k: (list(map(dict, v)) if k == "tiers" else v) for k, v in data.items()},
        )
        messages.success(request, _("Certificate settings saved."))


def _tiers_from_text(text: str) -> list[dict]:
    """Prize tiers as typed on the organiser page, one a line: "Giải Nhất | First prize | 1"."""
    tiers = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 2:  # "Giải Nhất | 1"
            parts = [parts[0], "", parts[1]]
        vi, en, places = (parts + ["", ""])[:3]
        tiers.append(
            {"name_vi": vi, "name_en": en, "places": int(places) if places.isdigit() else None}
        )
    return tiers


def _participant_lookup(contest: Contest, text: str) -> Participant:
    """A participant of the contest by number, email or phone (the organiser page's form)."""
    from contest.services.registration import email_key, normalise_phone

    text = text.strip()
    qs = contest.participants.all()
    found = None
    if text.isdigit():
        found = qs.filter(pk=int(text)).first()
    if found is None and "@" in text:
        found = qs.filter(email_key=email_key(text)).first()
    if found is None and normalise_phone(text):
        found = qs.filter(phone=normalise_phone(text)).first()
    if found is None:
        raise ApplicationError("not_found", _("No participant of this contest matches."))
    return found
