"""One home for questions that several rounds may ask: while a round still to close may ask a
question, nothing shown to someone who may not see that round's key may give the key away.

Three things would: a closed round's review (each answer's verdict and the key), a live game that
plays the question (every player sees the answer), and a round's public scores (a few
registrations that answer a shared question differently learn its key from their scores). The
review and the hosting rule ask question_keys_hidden_from; boards, results and certificates ask
scores_withheld_until (boards.public_state shows such a round "hidden" until then).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy

from contest.access import is_contest_staff
from contest.models import Round, answer_grace
from quizzes.permissions import can_edit_quiz

MSG_KEYS_IN_USE = gettext_lazy(
    "These answers are published once every round that asks these questions has closed."
)
MSG_SCORES_WITHHELD = gettext_lazy(
    "Scores are published once every round that may ask the same questions has closed."
)
# How long a process trusts what it worked out for a round's scores (scores_withheld_until): a
# round created or changed elsewhere to ask the same questions is seen within this time (at once
# in the process that saved it). Boards read it on every request.
WITHHELD_CACHE_SECONDS = 5.0


def _quiz_asks(quiz) -> list:
    """Question id querysets whose union is what the quiz may ask (one per draw rule, or its
    items): filtered by pk, they say whether it may ask given questions without listing all."""
    from quizzes.models import Question
    from quizzes.services.quizzes import draw_rule_candidates

    if quiz.mode == quiz.Mode.DRAW:
        return [draw_rule_candidates(rule) for rule in quiz.draw_rules.all()]
    return [Question.objects.filter(quiz_items__quiz=quiz).values_list("id", flat=True)]


def quiz_question_ids(quiz) -> list[int]:
    """The questions a quiz may ask: its items, or every question its draw rules may draw."""
    return sorted({qid for asked in _quiz_asks(quiz) for qid in asked})


def _rounds_still_to_close(now: datetime, besides: Round | None):
    """Rounds with a quiz that have not closed: before Round.closed_at (the close plus the answer
    grace, while answers sent before the close are still taken). At closes_at an attacker read a
    review and saved its keys into the other round within the grace."""
    rounds = Round.objects.filter(
        closes_at__gt=now - answer_grace(), quiz__isnull=False
    ).select_related("quiz", "contest")
    return rounds.exclude(pk=besides.pk) if besides is not None else rounds


def question_keys_hidden_from(
    *, question_ids: list[int], user, besides: Round | None = None, now=None
) -> bool:
    """Whether a round that has not closed yet (other than `besides`) may ask one of these
    questions (or another revision of one) and `user` may not see its key: its contest's
    staff, its quiz's author and the bank's admins may (quizzes.permissions.can_edit_quiz: they
    read every key in the bank). A closed round's review shows its keys and each answer's
    verdict; while a round still to close asks the same questions (its fixed quiz lists them, or
    its draw rules may draw them), that would give that round's keys away."""
    if not question_ids:
        return False
    for round_ in _rounds_still_to_close(now or timezone.now(), besides):
        quiz = round_.quiz
        if quiz is None or can_edit_quiz(user, quiz) or is_contest_staff(user, round_.contest):
            continue
        if any(_share(asked, question_ids) for asked in _round_asks(round_)):
            return True
    return False


def _round_asks(round_: Round) -> list:
    """What a round still to close may ask: what its quiz may ask now, and the questions on its
    papers still open (a tester kept an attempt open while the organiser changed the quiz, read
    the questions' keys in another round's review, and answered them for a full score)."""
    asks = _quiz_asks(round_.quiz) if round_.quiz is not None else []
    papers = _open_paper_questions(round_.pk)
    return [*asks, papers] if papers else asks


_OPEN_PAPERS_SQL = """
SELECT DISTINCT (item->>'q')::bigint
FROM contest_attempt a CROSS JOIN LATERAL jsonb_array_elements(a.paper) AS item
WHERE a.round_id = %s AND a.status = %s
"""
# round id -> (monotonic time it is trusted until, the questions on its open papers)
_OPEN_PAPERS: dict[int, tuple[float, list[int]]] = {}


def _open_paper_questions(round_id: int) -> list[int]:
    """The questions on the round's open papers, worked out once per WITHHELD_CACHE_SECONDS."""
    from django.db import connection

    from contest.models import Attempt

    hit = _OPEN_PAPERS.get(round_id)
    if hit is not None and time.monotonic() < hit[0]:
        return hit[1]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_OPEN_PAPERS_SQL, [round_id, Attempt.Status.OPEN])
            ids = sorted(row[0] for row in cursor.fetchall())
    else:
        papers = Attempt.objects.filter(round_id=round_id, status=Attempt.Status.OPEN)
        ids = sorted(
            {item["q"] for paper in papers.values_list("paper", flat=True) for item in paper}
        )
    with _WITHHELD_LOCK:
        _OPEN_PAPERS[round_id] = (time.monotonic() + WITHHELD_CACHE_SECONDS, ids)
    return ids


def _share(asked, others) -> bool:
    """Whether two sets of questions (id querysets or lists) share one. The same question is
    any revision of it (an edit, a typo fixed, makes a new revision with a new id and, most
    often, the same key) and any copy of it that reads the same in either language, whatever
    its Unicode form, invisible characters, case or spacing (Question.text_key_*: a file
    imported twice, into two themes, makes new questions with the same keys): testers read the
    key of one in a closed round's review and answered the other in a round still open."""
    from django.db.models import Q

    from quizzes.models import Question

    theirs = Question.objects.filter(pk__in=others)
    return (
        Question.objects.filter(pk__in=asked)
        .filter(
            Q(family__in=theirs.values("family"))
            | Q(text_key_vi__in=theirs.exclude(text_key_vi="").values("text_key_vi"))
            | Q(text_key_en__in=theirs.exclude(text_key_en="").values("text_key_en"))
        )
        .exists()
    )


def quiz_key_hidden_from(*, quiz, user, now=None) -> bool:
    """Whether a round that has not closed yet may ask one of this quiz's questions (through its
    own quiz or any other: question_keys_hidden_from) and `user` may not see its key. Hosting the
    quiz as a live game reveals every answer to its players, so only who may see that round's
    key hosts it: the round's contest staff, and its quiz's author and the bank's admins.

    At quiz level only, a teacher hosted the demo live-game quiz while the demo round, which
    draws from the bank, could ask its questions: every player got their keys."""
    return question_keys_hidden_from(question_ids=quiz_question_ids(quiz), user=user, now=now)


# --- Scores ------------------------------------------------------------------------------------

# round id -> (monotonic time it is trusted until, what scores_withheld_until found)
_WITHHELD: dict[int, tuple[float, datetime | None]] = {}
_WITHHELD_LOCK = threading.Lock()


def _shared_until(round_: Round, now: datetime) -> datetime | None:
    """The latest Round.closed_at of the other rounds still to close that may ask a question
    this round may ask, or None. Over what both may ask (not what this round's papers asked), as
    the review's rule: an open round's next paper may draw any of them. The other rounds are
    asked latest close first, until one shares a question."""
    if round_.quiz is None:
        return None
    mine = _quiz_asks(round_.quiz)
    others = sorted(_rounds_still_to_close(now, round_), key=lambda r: r.closed_at(), reverse=True)
    for other in others:
        if any(_share(a, b) for a in mine for b in _round_asks(other)):
            return other.closed_at()
    return None


def scores_withheld_until(round_: Round, now=None) -> datetime | None:
    """Until when nobody but the round's organisers may see its scores, or None: while another
    round still to close may ask one of its questions, public scores (boards, results,
    certificates) would let registrations that answered it differently learn its key. Checked by
    boards.public_state on every board read: what a process worked out is trusted for
    WITHHELD_CACHE_SECONDS."""
    now = now or timezone.now()
    hit = _WITHHELD.get(round_.pk)
    if hit is not None and time.monotonic() < hit[0]:
        until = hit[1]
    else:
        until = _shared_until(round_, now)
        with _WITHHELD_LOCK:
            _WITHHELD[round_.pk] = (time.monotonic() + WITHHELD_CACHE_SECONDS, until)
    return until if until is not None and now < until else None


def scores_withheld_known(round_id: int) -> bool:
    """Whether scores_withheld_until would answer for this round without a query: the fast path
    runs on the event loop, where the ORM may not, and leaves a round to Django otherwise."""
    hit = _WITHHELD.get(round_id)
    return hit is not None and time.monotonic() < hit[0]


def forget_withheld() -> None:
    """Work everything out again: a round saved or deleted here may share questions now
    (contest/apps.py; other processes see it within WITHHELD_CACHE_SECONDS)."""
    with _WITHHELD_LOCK:
        _WITHHELD.clear()
        _OPEN_PAPERS.clear()
