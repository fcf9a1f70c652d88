"""The award ceremony: a board snapshot turned into steps, revealed one at a time by an operator.

Preparing a show reads the board once (the final standing and, when the round had a freeze, the
public standing at the freeze) and stores every step with what the audience sees at that step
(`show`): a step's payload is built only from what has been revealed up to it, so a screen that
receives it learns nothing more. The console's preview of a step stays on the step (`note`) and
never goes to an audience screen. The steps themselves are computed by contest/ceremony_steps.py.

Steps, in order: the title; the unit awards (best school, best district) if they come first; the
individuals; the unit awards if they come after; the podium. The individuals are either
  * a board revealed from place N up to 1st, one place (and its award card) a step; or,
  * for a round with a freeze, the ICPC Resolver: the frozen board (the public standing at the
    freeze), then the rows whose result changed after the freeze, resolved one at a time from
    the bottom of the board upward, each moving to its final place; then the award cards from
    place N up to 1st.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contest import boards, prizes, ranking
from contest.access import contest_staff_required
from contest.ceremony_steps import build_steps
from contest.models import Ceremony, Contest, Participant, Round
from contest.services.registration import mask_name
from contest.services.rounds import round_finalize_if_due
from quizzes.errors import ApplicationError, NotFoundError

MSG_NOT_FINISHED = gettext_lazy("The results are not final yet: the round has not closed.")
MSG_BAD_SOURCE = gettext_lazy("Choose a round of this contest, the contest, or a finished game.")
MSG_BAD_TIERS = gettext_lazy(
    "Prize tiers: one a line, “places | Vietnamese name | English name”, places at least 1."
)
MSG_BAD_PLACES = gettext_lazy("Places to reveal: a number from 1 to 100.")
MSG_BAD_OFFSET = gettext_lazy("Stage offset: a percentage from 0 to 40.")
MSG_NO_STEP = gettext_lazy("There is no such step.")

MAX_PLACES = 100
MAX_STAGE_OFFSET = 40
UNIT_LEVELS = ("school", "district")

# Boards that live outside the contest app (a live game's final standing) are read by a function
# the owning app registers (realtime/apps.py): source -> f(ceremony) -> (ranked rows, people).
BOARD_PROVIDERS: dict[str, Callable[[Ceremony], tuple[list[dict], dict[int, dict]]]] = {}


# --- Reading the board ------------------------------------------------------------------------


def _people(ids: list[int], *, masked: bool) -> dict[int, dict]:
    out = {}
    rows = Participant.objects.filter(pk__in=ids).values_list(
        "pk", "full_name", "school__name", "district__name"
    )
    for pk, full_name, school, district in rows:
        out[pk] = {
            "name": mask_name(full_name) if masked else full_name,
            "school": school or "",
            "district": district or "",
        }
    return out


def _unit_cards(contest: Contest, round_: Round | None) -> list[dict[str, Any]]:
    titles = {
        "school": {"vi": "Trường xuất sắc nhất", "en": "Best school"},
        "district": {"vi": "Quận/huyện xuất sắc nhất", "en": "Best district"},
    }
    cards = []
    for level in UNIT_LEVELS:
        rows = boards.unit_board(contest=contest, round_=round_, level=level, public=False)
        for row in rows:
            if row["rank"] != 1 or not row["participants"]:
                break
            cards.append(
                {
                    "level": level,
                    "title": titles[level],
                    "name": row["name"],
                    "value": row["value"],
                    "participants": row["participants"],
                    "method": boards.unit_method(contest, round_, None, public=False),
                }
            )
    return cards


def _round_board(ceremony: Ceremony) -> dict[str, Any]:
    round_ = ceremony.round
    if not round_.is_closed():
        raise ApplicationError("not_finished", MSG_NOT_FINISHED)
    round_finalize_if_due(round_)
    scope = boards.round_scope(round_, public=False)
    final = ranking.rank_rows(boards.round_rows(round_), scope.chain, scope.actual)
    frozen = None
    if round_.freeze_hours and round_.kind == Round.Kind.SELF_PACED:
        frozen = ranking.rank_rows(boards.frozen_rows(round_), scope.chain, scope.actual)
    people = _people([r["id"] for r in final], masked=ceremony.masked)
    for r in final:  # live rows with no registered participant keep their nickname and unit
        people.setdefault(r["id"], {"name": r["name"], "school": r["unit"], "district": ""})
    return {
        "final": final,
        "frozen": frozen,
        "people": people,
        "chain": scope.chain,
        "actual": scope.actual,
        "unit_cards": _unit_cards(ceremony.contest, round_),
    }


def _contest_board(ceremony: Ceremony) -> dict[str, Any]:
    contest = ceremony.contest
    rounds = list(contest.rounds.all())
    if not rounds or any(not r.is_closed() for r in rounds):
        raise ApplicationError("not_finished", MSG_NOT_FINISHED)
    for r in rounds:
        round_finalize_if_due(r)
    chain = boards.contest_scope(contest).chain
    final = ranking.rank_rows(boards.contest_rows(contest), chain)
    masked = {r.pk: "frozen" for r in rounds if r.freeze_hours and r.kind == Round.Kind.SELF_PACED}
    frozen = ranking.rank_rows(boards.contest_rows(contest, masked), chain) if masked else None
    return {
        "final": final,
        "frozen": frozen,
        "people": _people([r["id"] for r in final], masked=ceremony.masked),
        "chain": chain,
        "actual": None,
        "unit_cards": _unit_cards(contest, None),
    }


def _game_board(ceremony: Ceremony) -> dict[str, Any]:
    provider = BOARD_PROVIDERS.get(Ceremony.Source.GAME)
    if provider is None:
        raise ApplicationError("bad_source", MSG_BAD_SOURCE)
    final, people = provider(ceremony)
    return {
        "final": final,
        "frozen": None,
        "people": people,
        "chain": ("score",),
        "actual": None,
        "unit_cards": [],
    }


def ceremony_steps_compute(ceremony: Ceremony) -> list[dict[str, Any]]:
    """The show's steps from the board as it is now (the snapshot stored by prepare)."""
    if ceremony.source == Ceremony.Source.ROUND:
        board = _round_board(ceremony)
    elif ceremony.source == Ceremony.Source.CONTEST:
        board = _contest_board(ceremony)
    else:
        board = _game_board(ceremony)
    return build_steps(
        final=board["final"],
        frozen=board["frozen"],
        people=board["people"],
        places=ceremony.places,
        tiers=ceremony.tiers,
        chain=board["chain"],
        actual=board["actual"],
        unit_cards=board["unit_cards"] if ceremony.units != Ceremony.Units.NONE else [],
        units=ceremony.units,
    )


# --- Holding the results until the show reveals them ------------------------------------------


def _held_round_ids(contest: Contest) -> set[int]:
    """The rounds of a contest whose final standing a prepared, unreleased show still holds."""
    held: set[int] = set()
    shows = Ceremony.objects.filter(
        contest=contest, prepared_at__isnull=False, released_at__isnull=True
    )
    for source, round_id in shows.values_list("source", "round_id"):
        if source == Ceremony.Source.CONTEST:
            return set(contest.rounds.values_list("pk", flat=True))
        if source == Ceremony.Source.ROUND and round_id:
            held.add(round_id)
    return held


def ceremony_holds_sync(contest: Contest) -> None:
    """Keep Round.results_held (read by boards.public_state) in step with the contest's
    shows; every changed round tells all processes (apps.rounds_changed), so their copies and
    the public boards switch at once."""
    from contest.apps import rounds_changed

    held = _held_round_ids(contest)
    rounds = Round.objects.filter(contest=contest)
    to_hold = list(rounds.filter(pk__in=held, results_held=False).values_list("pk", flat=True))
    to_release = list(
        rounds.exclude(pk__in=held).filter(results_held=True).values_list("pk", flat=True)
    )
    Round.objects.filter(pk__in=to_hold).update(results_held=True)
    Round.objects.filter(pk__in=to_release).update(results_held=False)
    if to_hold or to_release:
        rounds_changed(to_hold + to_release)


def _release_if_last(ceremony: Ceremony) -> None:
    if ceremony.released_at is None and ceremony.step >= len(ceremony.steps) - 1:
        ceremony.released_at = timezone.now()


@transaction.atomic
def ceremony_release(*, user, ceremony: Ceremony) -> Ceremony:
    """The organiser publishes the final standing without running the show to its end."""
    contest_staff_required(user=user, contest=ceremony.contest)
    Ceremony.objects.filter(pk=ceremony.pk, released_at__isnull=True).update(
        released_at=timezone.now()
    )
    ceremony.refresh_from_db(fields=["released_at"])
    ceremony_holds_sync(ceremony.contest)
    return ceremony


# --- Writes -------------------------------------------------------------------------------------


def _clean_settings(contest: Contest, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    source = data.get("source", Ceremony.Source.ROUND)
    out["source"] = source
    out["round"] = None
    out["game_id"] = None
    if source == Ceremony.Source.ROUND:
        round_id = data.get("round_id")
        if not isinstance(round_id, int) or isinstance(round_id, bool):
            round_id = 0
        out["round"] = Round.objects.filter(pk=round_id, contest=contest).first()
        if out["round"] is None:
            errors["round"] = str(MSG_BAD_SOURCE)
    elif source == Ceremony.Source.GAME:
        game_id = data.get("game_id")
        if not isinstance(game_id, int) or Ceremony.Source.GAME not in BOARD_PROVIDERS:
            errors["game"] = str(MSG_BAD_SOURCE)
        out["game_id"] = game_id
    elif source != Ceremony.Source.CONTEST:
        errors["source"] = str(MSG_BAD_SOURCE)
    places = data.get("places", 10)
    if not isinstance(places, int) or isinstance(places, bool) or not 1 <= places <= MAX_PLACES:
        errors["places"] = str(MSG_BAD_PLACES)
    out["places"] = places
    # A round's own prizes (the ones its certificates print) are the show's unless it says others.
    default_tiers = prizes.DEFAULT_TIERS
    if out.get("round") is not None:
        default_tiers = [
            {"places": t.places, "name_vi": t.name_vi, "name_en": t.name_en}
            for t in out["round"].prize_tiers.all()
        ] or default_tiers
    try:
        out["tiers"] = prizes.clean_tiers(data.get("tiers", default_tiers))
    except ValueError:
        errors["tiers"] = str(MSG_BAD_TIERS)
    units = data.get("units", Ceremony.Units.AFTER)
    if units not in Ceremony.Units.values:
        errors["units"] = str(MSG_BAD_SOURCE)
    out["units"] = units
    out["masked"] = bool(data.get("masked", True))
    offset = data.get("stage_offset", 0)
    if (
        not isinstance(offset, int)
        or isinstance(offset, bool)
        or not 0 <= offset <= MAX_STAGE_OFFSET
    ):
        errors["stage_offset"] = str(MSG_BAD_OFFSET)
    out["stage_offset"] = offset
    if errors:
        raise ApplicationError("invalid", _("Check the highlighted fields."), errors)
    return out


@transaction.atomic
def ceremony_prepare(
    *, user, contest: Contest, data: dict[str, Any], ceremony: Ceremony | None = None
) -> Ceremony:
    """Create or re-prepare a show: settings checked, the board read once and its steps stored;
    the show starts again at its first step."""
    contest_staff_required(user=user, contest=contest)
    values = _clean_settings(contest, data)
    if ceremony is None:
        ceremony = Ceremony(contest=contest, created_by=user, screen_key=secrets.token_urlsafe(18))
    else:
        ceremony = Ceremony.objects.select_for_update().get(pk=ceremony.pk)
    for name, value in values.items():
        setattr(ceremony, name, value)
    ceremony.steps = ceremony_steps_compute(ceremony)
    ceremony.step = 0
    ceremony.blackout = False
    ceremony.seq += 1
    ceremony.prepared_at = timezone.now()
    # A show whose results are already public stays released when prepared again.
    _release_if_last(ceremony)
    ceremony.save()
    ceremony_holds_sync(contest)
    return ceremony


def ceremony_get(*, ceremony_id: int, user) -> Ceremony:
    """A ceremony for its contest's staff (404 when it does not exist, 403 for others)."""
    ceremony = Ceremony.objects.select_related("contest", "round").filter(pk=ceremony_id).first()
    if ceremony is None:
        raise NotFoundError("not_found", _("Not found."))
    contest_staff_required(user=user, contest=ceremony.contest)
    return ceremony


@transaction.atomic
def ceremony_go(
    *,
    user,
    ceremony_id: int,
    index: int | None = None,
    delta: int | None = None,
    blackout: bool | None = None,
) -> Ceremony:
    """Move the show: to a step (`index`), by `delta` steps, or blackout on/off. Stored, so a
    restarted server and every screen that connects later show the same step."""
    ceremony = ceremony_get(ceremony_id=ceremony_id, user=user)
    ceremony = Ceremony.objects.select_for_update().select_related("contest").get(pk=ceremony.pk)
    last = max(0, len(ceremony.steps) - 1)
    if index is not None:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= last:
            raise ApplicationError("no_step", MSG_NO_STEP)
        ceremony.step = index
    elif delta is not None:
        ceremony.step = min(last, max(0, ceremony.step + int(delta)))
    if blackout is not None:
        ceremony.blackout = bool(blackout)
    elif index is not None or delta is not None:
        ceremony.blackout = False
    ceremony.seq += 1
    released = ceremony.released_at
    _release_if_last(ceremony)  # the last step reveals everything: the public boards too
    ceremony.save(update_fields=["step", "blackout", "seq", "released_at"])
    if released is None and ceremony.released_at is not None:
        ceremony_holds_sync(ceremony.contest)
    return ceremony


@transaction.atomic
def ceremony_key_rotate(*, user, ceremony: Ceremony) -> Ceremony:
    """A new read-only key for audience screens and overlays; old links stop working."""
    contest_staff_required(user=user, contest=ceremony.contest)
    ceremony.screen_key = secrets.token_urlsafe(18)
    ceremony.save(update_fields=["screen_key"])
    return ceremony


# --- Frames -------------------------------------------------------------------------------------


def audience_frame(ceremony: Ceremony) -> dict[str, Any]:
    """What every audience screen and overlay gets: only the current step's revealed state."""
    show = None
    if not ceremony.blackout and ceremony.steps:
        show = ceremony.steps[min(ceremony.step, len(ceremony.steps) - 1)]["show"]
    return {
        "type": "ceremony",
        "seq": ceremony.seq,
        "step": ceremony.step,
        "blackout": ceremony.blackout,
        "stage_offset": ceremony.stage_offset,
        "show": show,
    }


def console_frame(ceremony: Ceremony) -> dict[str, Any]:
    """What the operator's console gets: the audience frame, every step's label (to jump), and
    the private preview of the next step."""
    steps = ceremony.steps or []
    nxt = ceremony.step + 1
    return {
        "type": "console",
        "seq": ceremony.seq,
        "step": ceremony.step,
        "total": len(steps),
        "blackout": ceremony.blackout,
        "audience": audience_frame(ceremony),
        "steps": [{"kind": s["kind"], "note": s["note"]} for s in steps],
        "next": {"kind": steps[nxt]["kind"], "note": steps[nxt]["note"]}
        if nxt < len(steps)
        else None,
    }
