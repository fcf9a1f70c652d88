"""Attempts at self-paced rounds: start, autosave, submit, review."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.response import Response

from contest import access, selectors, services
from contest.apis.common import ParticipantApi
from contest.attempt_fastpath import autosave_reply, start_reply, submit_reply
from contest.models import Contest
from contest.services.registration import (
    COOKIE_PREFIX,
    MSG_NOT_REGISTERED,
    participant_for_request,
    participant_required,
    request_token,
    token_claims,
)
from core.errors import ApplicationError, ForbiddenError, NotFoundError
from core.strict import StrictTypes

# --- Attempts --------------------------------------------------------------------------------


# Bounds on an autosave or a submission (issue 12, point 6): answers per request, and each
# answer's size (quizzes.grading.response_within_bounds: ids per list, text length).
MAX_ANSWERS_PER_REQUEST = 200


class AnswersSerializer(StrictTypes, serializers.Serializer):
    # `{"answer": [...]}` was acknowledged as saved, or handed the attempt in, storing nothing.
    refuse_unknown_fields = True

    answers = serializers.ListField(child=serializers.DictField(), required=False)
    prediction = serializers.JSONField(required=False, allow_null=True)

    @staticmethod
    def validate_answers(answers):
        from contest.services.attempts import MSG_BAD_ANSWER
        from quizzes.grading import (
            MAX_RESPONSE_ITEMS,
            MAX_TEXT_LENGTH,
            response_well_formed,
            response_within_bounds,
        )

        if len(answers) > MAX_ANSWERS_PER_REQUEST:
            raise serializers.ValidationError(
                _("At most %(max)s answers can be sent at once.") % {"max": MAX_ANSWERS_PER_REQUEST}
            )
        for item in answers:
            question = item.get("question")
            if not set(item) <= {"question", "response"} or not response_well_formed(
                item.get("response")
            ):
                raise serializers.ValidationError(
                    _(
                        'Each answer is {"question": <id>, "response": {...}}, with a response '
                        "in the form its question takes."
                    )
                )
            if not response_within_bounds(item.get("response")) or (
                isinstance(question, str) and len(question) > 20
            ):
                too_large = _(
                    "An answer is too large: at most %(items)s choices and %(chars)s "
                    "characters of text."
                ) % {"items": MAX_RESPONSE_ITEMS, "chars": MAX_TEXT_LENGTH}
                if isinstance(question, int) and not isinstance(question, bool):
                    # Said of its question, as any answer that does not fit it: the page drops
                    # that one answer and saves the others (a long pasted text blocked them all).
                    raise ApplicationError(
                        "invalid_answer",
                        MSG_BAD_ANSWER,
                        {"question": question, "reason": too_large},
                    )
                raise serializers.ValidationError(too_large)
        return answers

    @staticmethod
    def validate_prediction(value):
        from contest.services.attempts import MSG_BAD_PREDICTION

        if value is not None and (
            not isinstance(value, int | float | str) or (isinstance(value, str) and len(value) > 20)
        ):
            raise serializers.ValidationError(str(MSG_BAD_PREDICTION))
        return value


def answers_input(data: Any) -> dict[str, Any] | None:
    """AnswersSerializer's validated data for a plain autosave or hand-in body, without DRF's
    field machinery (instantiating and running the serializer was a fifth of an autosave's CPU
    on the event loop in the rush's profile); None whenever the serializer must decide (an
    unknown key, a value of another shape, a refused answer: it gives the error). The checks
    are the serializer's own (validate_answers, validate_prediction);
    tests/contest/test_answers_input.py proves the two agree on any input."""
    if not isinstance(data, dict) or not data.keys() <= {"answers", "prediction"}:
        return None
    out: dict[str, Any] = {}
    try:
        if "answers" in data:
            answers = data["answers"]
            if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
                return None
            out["answers"] = AnswersSerializer.validate_answers([dict(a) for a in answers])
        if "prediction" in data:
            out["prediction"] = AnswersSerializer.validate_prediction(data["prediction"])
    except (serializers.ValidationError, ApplicationError):
        return None
    return out


class AttemptStartApi(ParticipantApi):
    """Start an attempt at a self-paced round (or get back the one in progress)."""

    def post(self, request, round_id):
        round_ = selectors.round_get(round_id=round_id, user=request.user)
        participant = participant_required(request, round_.contest)
        attempt = services.attempt_start(participant=participant, round_=round_)
        return Response(start_reply(attempt), status=201)


def _participant_id(request, attempt_id: int) -> int:
    from contest.models import Attempt

    contest_id = (
        Attempt.objects.filter(pk=attempt_id).values_list("round__contest_id", flat=True).first()
    )
    if contest_id is None:
        raise NotFoundError("not_found", _("Not found."))
    participant = participant_required(request, Contest(pk=contest_id))
    return participant.pk


class AttemptDetailApi(ParticipantApi):
    def get(self, request, attempt_id):
        pid = _participant_id(request, attempt_id)
        from contest.models import Participant

        attempt = selectors.attempt_get(attempt_id=attempt_id, participant=Participant(pk=pid))
        return Response(selectors.attempt_state(attempt))


class AutosaveApi(ParticipantApi):
    """Autosave answers (and the prediction). The reply never says whether an answer is right."""

    def post(self, request, attempt_id):
        pid, version = _fast_participant_id(request)
        data = AnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.answers_save(
            participant_id=pid,
            token_version=version,
            attempt_id=attempt_id,
            answers=data.validated_data.get("answers"),
            prediction=data.validated_data.get("prediction"),
        )
        return Response(autosave_reply(attempt))


def _fast_participant_id(request) -> tuple[int, int | None]:
    """The hot path: the token alone says who it is and its version (the attempt's statement
    checks both); (participant, None) for a participant known by their account."""
    claims = token_claims(request_token(request, None, allow_cookie=True))
    if claims is None and any(k.startswith(COOKIE_PREFIX) for k in request.COOKIES):
        # Cookies of several contests in this browser: the attempt's contest says which.
        from contest.models import Attempt

        contest_id = (
            Attempt.objects.filter(pk=request.resolver_match.kwargs["attempt_id"])
            .values_list("round__contest_id", flat=True)
            .first()
        )
        claims = token_claims(request_token(request, contest_id, allow_cookie=True))
    if claims is not None:
        return claims[0], claims[2]
    pid = None
    if request.user.is_authenticated:
        from contest.models import Participant

        pid = (
            Participant.objects.filter(
                user=request.user, attempts__pk=request.resolver_match.kwargs["attempt_id"]
            )
            .values_list("pk", flat=True)
            .first()
        )
    if pid is None:
        raise ForbiddenError("not_registered", MSG_NOT_REGISTERED)
    return pid, None


class SubmitApi(ParticipantApi):
    def post(self, request, attempt_id):
        pid, version = _fast_participant_id(request)
        data = AnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = services.attempt_submit(
            participant_id=pid,
            token_version=version,
            attempt_id=attempt_id,
            answers=data.validated_data.get("answers"),
            prediction=data.validated_data.get("prediction"),
        )
        return Response(submit_reply(attempt))


class AttemptReviewApi(ParticipantApi):
    """Per-question correctness: 403 for non-staff until the round closes."""

    def get(self, request, attempt_id):
        from contest.models import Attempt

        attempt = (
            Attempt.objects.select_related("round__contest", "participant")
            .filter(pk=attempt_id)
            .first()
        )
        if attempt is None:
            raise NotFoundError("not_found", _("Not found."))
        if not access.is_contest_staff(request.user, attempt.round.contest):
            me = participant_for_request(request, attempt.round.contest, allow_cookie=False)
            if me is None:
                raise ForbiddenError(
                    "permission_denied", _("You do not have permission to do this.")
                )
            if me.pk != attempt.participant_id:
                # As for every other attempt endpoint (selectors.attempt_get): another
                # participant's attempt is not found, so attempt ids cannot be probed.
                raise NotFoundError("not_found", _("Not found."))
        services.round_close_ensure(attempt.round)
        return Response(selectors.attempt_review(attempt=attempt, user=request.user))
