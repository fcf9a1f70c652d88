"""Venues ("điểm cầu"): one live game played at several places at once (issue #17).

A game may have venues, each with its own screen key (its screen and MC view), its own join link
and QR code. Every player of such a game belongs to one venue. Venues are compared with a method
that does not let a big venue win on size (the host picks it):

    mean     the mean of the venue's players' scores (players who have answered: venue_players)
    top_k    the mean of the venue's K best scores (a venue with fewer than K players counts the
             missing ones as 0: a venue of one strong player does not beat a full one)
    correct  the share of correct answers: correct answers / (players x scored questions so far)

and ranked with the one ranking rule, contest.ranking.rank_rows (equal values share a rank).
Services (writes), selectors (reads) and the pure board function live here; the live part (the
socket's venue check and the once-a-second venues frame) is realtime/venue_live.py.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from contest.ranking import TEAM_CHAIN, rank_rows
from contest.scoring import is_full
from core.errors import ApplicationError, NotFoundError
from core.text import clean_label
from quizzes.grading import UNSCORED_TYPES
from quizzes.models import Unit
from realtime import engine
from realtime.models import Answer, Game, Player, QuestionResult, Venue

METHODS = ("mean", "top_k", "correct")
PODIUM_ORDER = ("before", "after")
DEFAULT_SETTINGS = {"method": "mean", "k": 5, "podium": "after"}
MAX_VENUES = 64
K_MAX = 1000
# Board values are ranked as integers: hundredths of a point, or hundredths of a per cent.
SCALE = 100

MSG_VENUE_REQUIRED = _("Pick your venue.")
MSG_VENUE_UNKNOWN = _("This venue is not part of this game.")
MSG_VENUE_NAME = _("A venue needs a name of 1 to 120 visible characters.")
MSG_VENUE_DUPLICATE = _("Two venues of a game cannot have the same name.")
MSG_VENUES_TOO_MANY = _("A game can have at most %(n)s venues.")
MSG_VENUES_STARTED = _("Venues can only be changed in the lobby.")
MSG_VENUES_ENDED = _("The game has ended: its venue board is final.")
MSG_VENUE_SETTINGS = _("Pick a venue method, a K between 1 and 1000 and a podium order.")
MSG_UNIT_UNKNOWN = _("Unit not found.")
MSG_VENUE_KEY = _("This venue link is not valid.")


# --- settings ---------------------------------------------------------------------------------


def venue_settings(game: Game) -> dict[str, Any]:
    """The game's venue scoring settings, defaults filled in."""
    stored = (game.settings or {}).get("venues") or {}
    return {**DEFAULT_SETTINGS, **{k: v for k, v in stored.items() if k in DEFAULT_SETTINGS}}


def venue_settings_set(*, game: Game, method: Any, k: Any, podium: Any) -> dict[str, Any]:
    """Store the venue method, K (top_k) and the venue podium's place (before/after)."""
    valid = (
        method in METHODS
        and isinstance(k, int)
        and not isinstance(k, bool)
        and 1 <= k <= K_MAX
        and podium in PODIUM_ORDER
    )
    if not valid:
        raise ApplicationError("invalid_venue_settings", MSG_VENUE_SETTINGS)
    with transaction.atomic():
        row = Game.objects.select_for_update().get(id=game.id)
        if row.phase == engine.ENDED:
            # The method ranks the venues: changing it afterwards would re-rank a final board.
            raise ApplicationError("game_ended", MSG_VENUES_ENDED)
        row.settings = {**row.settings, "venues": {"method": method, "k": k, "podium": podium}}
        row.save(update_fields=["settings"])
    game.settings = row.settings
    return venue_settings(row)


# --- services ---------------------------------------------------------------------------------


def _lobby_only(game: Game) -> None:
    if Game.objects.filter(id=game.id).values_list("phase", flat=True).first() != engine.LOBBY:
        raise ApplicationError("game_started", MSG_VENUES_STARTED)


@transaction.atomic
def venues_add(*, game: Game, names: list[Any], units: list[Unit] | None = None) -> list[Venue]:
    """Add venues by name (or from units, their names): each gets its own key; lobby only."""
    _lobby_only(game)
    from_units: list[Unit | None] = list(units) if units else [None] * len(names)
    cleaned = []
    for name in names:
        label = clean_label(name) if isinstance(name, str) else ""
        if not label or len(label) > 120:
            raise ApplicationError("invalid_venue", MSG_VENUE_NAME)
        cleaned.append(label)
    existing = Venue.objects.filter(game=game).count()
    if existing + len(cleaned) > MAX_VENUES:
        raise ApplicationError("too_many_venues", MSG_VENUES_TOO_MANY % {"n": MAX_VENUES})
    taken = {n.casefold() for n in Venue.objects.filter(game=game).values_list("name", flat=True)}
    out = []
    for order, (name, unit) in enumerate(zip(cleaned, from_units, strict=True), start=existing):
        if name.casefold() in taken:
            raise ApplicationError("duplicate_venue", MSG_VENUE_DUPLICATE)
        taken.add(name.casefold())
        try:
            with transaction.atomic():
                out.append(Venue.objects.create(game=game, name=name, unit=unit, order=order))
        except IntegrityError:
            raise ApplicationError("duplicate_venue", MSG_VENUE_DUPLICATE) from None
    return out


def venues_from_units(*, game: Game, parent_id: Any) -> list[Venue]:
    """One venue per child unit of a unit ("every district of the province"), in name order;
    units that already have a venue in this game are left out."""
    parent = Unit.objects.filter(id=parent_id).first() if isinstance(parent_id, int) else None
    if parent is None:
        raise NotFoundError("unit_not_found", MSG_UNIT_UNKNOWN)
    have = set(Venue.objects.filter(game=game).values_list("unit_id", flat=True))
    children = [u for u in parent.children.order_by("name", "id") if u.id not in have]
    return venues_add(game=game, names=[u.name for u in children], units=children)


def venue_delete(*, game: Game, venue_id: Any) -> None:
    _lobby_only(game)
    if not Venue.objects.filter(game=game, id=venue_id).delete()[0]:
        raise NotFoundError("venue_not_found", MSG_VENUE_UNKNOWN)


def venue_ready_set(*, venue_id: int, key: Any, ready: bool) -> Venue:
    """The venue's MC says the venue is ready (or not yet); needs the venue's key."""
    venue = venue_by_key(venue_id=venue_id, key=key)
    if venue is None:
        raise NotFoundError("venue_not_found", MSG_VENUE_KEY)
    Venue.objects.filter(id=venue.id).update(ready=bool(ready))
    venue.ready = bool(ready)
    return venue


# --- access -----------------------------------------------------------------------------------


def key_matches(venue: Venue | None, key: Any) -> bool:
    """The one check of a venue key (screen, MC view, ready button, QR code)."""
    return (
        venue is not None
        and isinstance(key, str)
        and hmac.compare_digest(key.encode(), venue.screen_key.encode())
    )


def venue_by_key(*, venue_id: Any, key: Any, game_id: int | None = None) -> Venue | None:
    """The venue when `key` is its own key (and it belongs to `game_id` when given)."""
    if not isinstance(venue_id, int) or isinstance(venue_id, bool):
        return None
    venue = Venue.objects.select_related("game").filter(id=venue_id).first()
    if venue is None or (game_id is not None and venue.game_id != game_id):
        return None
    return venue if key_matches(venue, key) else None


def venue_key_of_game(*, game_id: int, key: Any) -> bool:
    """Whether `key` is the key of one of the game's venues (its screen's join code poll)."""
    return venue_id_for_key(game_id=game_id, key=key) is not None


def venue_id_for_key(*, game_id: int, key: Any) -> int | None:
    """The game's venue whose key `key` is (its screen shows that venue's join code), or None."""
    if not isinstance(key, str) or not key:
        return None
    for venue in Venue.objects.filter(game_id=game_id).only("id", "screen_key"):
        if key_matches(venue, key):
            return venue.id
    return None


def venue_for_join(*, game: Game, venue: Any) -> int | None:
    """The venue a player joins: required when the game has venues, and only one of its own."""
    ids = [row["id"] for row in game_venues(game)]
    if not ids:
        return None
    if venue is None:
        raise ApplicationError("venue_required", MSG_VENUE_REQUIRED)
    if not isinstance(venue, int) or isinstance(venue, bool) or venue not in ids:
        raise ApplicationError("venue_unknown", MSG_VENUE_UNKNOWN)
    return venue


# --- selectors --------------------------------------------------------------------------------


def venue_list(*, game_id: int) -> list[dict[str, Any]]:
    """Public venue picker rows: id and name (never a key), in the venues' order. Every PIN
    look-up and every join reads them: on PostgreSQL a fixed statement, not a query for Django to
    compile each time."""
    if connection.vendor != "postgresql":
        return [dict(row) for row in Venue.objects.filter(game_id=game_id).values("id", "name")]
    with connection.cursor() as cursor:
        cursor.execute(_VENUE_LIST_SQL, [game_id])
        return [{"id": pk, "name": name} for pk, name in cursor.fetchall()]


_VENUE_LIST_SQL = (
    f'SELECT id, name FROM {Venue._meta.db_table} WHERE game_id = %s ORDER BY game_id, "order", id'
)


def venues_json_sql(game_id_column: str) -> str:
    """venue_list's rows as one JSON text column of a statement that reads the game (the PIN
    look-up's: realtime/services.py _game_by_pin), so a look-up or a join asks once, not twice."""
    return (
        "(SELECT coalesce(json_agg(json_build_object('id', v.id, 'name', v.name)"
        " ORDER BY v.\"order\", v.id), '[]')::text"
        f" FROM {Venue._meta.db_table} v WHERE v.game_id = {game_id_column})"
    )


def game_venues(game: Game) -> list[dict[str, Any]]:
    """venue_list of this game: read with the game when it came by its PIN, else asked now."""
    read = getattr(game, "venues_read", None)
    return read if read is not None else venue_list(game_id=game.id)


def scored_questions(*, game_id: int) -> int:
    """Questions scored so far (not skipped, not polls or slides): the 'correct' denominator."""
    return (
        QuestionResult.objects.filter(game_id=game_id, skipped=False)
        .exclude(question__type__in=list(UNSCORED_TYPES))
        .count()
    )


def venue_board(
    players: dict[int, list[tuple[int, int]]],
    names: dict[int, str],
    *,
    method: str,
    k: int,
    questions: int,
) -> list[dict[str, Any]]:
    """The venue board from each venue's players' (score, correct answers): pure, ranked with
    rank_rows. `value` is what the screens show (points, or a per cent for 'correct')."""
    rows = []
    for venue_id, name in names.items():
        members = players.get(venue_id, [])
        n = len(members)
        if method == "top_k":
            best = sorted((s for s, _c in members), reverse=True)[:k]
            value = sum(best) / k
        elif method == "correct":
            asked = n * questions
            value = 100.0 * sum(c for _s, c in members) / asked if asked else 0.0
        else:
            value = sum(s for s, _c in members) / n if n else 0.0
        rows.append(
            {
                "id": venue_id,
                "name": name,
                "players": n,
                "score": round(value * SCALE),
                "value": round(value, 2),
            }
        )
    return [
        {"venue": r["id"], **{k_: v for k_, v in r.items() if k_ != "id"}}
        for r in rank_rows(rows, TEAM_CHAIN)
    ]


def venue_players(game: Game):
    """The players a venue counts: not kicked, and who have answered a scored question (their
    running `answers`, counted at each reveal). Anyone with the PIN can join any venue: a tester
    joined 20 players to a rival venue, connected each once and left, and its mean fell from
    first to last. A player who never answers now counts nowhere (the join challenge keeps
    phones that are not at a venue out of it: docs/venues.md)."""
    return Player.objects.filter(game=game, banned=False, answers__gt=0, venue__isnull=False)


def venue_board_for_game(*, game: Game) -> list[dict[str, Any]]:
    """The venue board from the players' running totals (what the screens show)."""
    names = dict(Venue.objects.filter(game=game).values_list("id", "name"))
    members: dict[int, list[tuple[int, int]]] = {}
    for venue_id, score, correct in venue_players(game).values_list("venue_id", "score", "correct"):
        members.setdefault(venue_id, []).append((score, correct))
    settings = venue_settings(game)
    return venue_board(
        members,
        names,
        method=settings["method"],
        k=settings["k"],
        questions=scored_questions(game_id=game.id),
    )


def venue_board_recomputed(*, game: Game) -> list[dict[str, Any]]:
    """The same board rebuilt from the stored answers alone (checks, the bench)."""
    names = dict(Venue.objects.filter(game=game).values_list("id", "name"))
    totals: dict[int, list[int]] = {}
    venues = dict(venue_players(game).values_list("id", "venue_id"))
    for pid in venues:
        totals[pid] = [0, 0]
    for pid, points, fraction in Answer.objects.filter(
        game=game, player_id__in=list(venues)
    ).values_list("player_id", "points", "fraction"):
        totals[pid][0] += points or 0
        totals[pid][1] += 1 if is_full(fraction) else 0
    members: dict[int, list[tuple[int, int]]] = {}
    for pid, (score, correct) in totals.items():
        members.setdefault(venues[pid], []).append((score, correct))
    settings = venue_settings(game)
    return venue_board(
        members,
        names,
        method=settings["method"],
        k=settings["k"],
        questions=scored_questions(game_id=game.id),
    )


def venue_status(*, game_id: int, q: int | None, seen_after_ms: int) -> dict[str, Any] | None:
    """Each venue's players connected and answered (question q), screen online, MC ready; and
    the totals. None when the game has no venues."""
    venues = list(
        Venue.objects.filter(game_id=game_id).values("id", "name", "ready", "screen_seen_ms")
    )
    if not venues:
        return None
    players = dict(
        Player.objects.filter(game_id=game_id, banned=False, seen=True)
        .values("venue_id")
        .annotate(n=Count("id"))
        .values_list("venue_id", "n")
    )
    answered: dict[int | None, int] = {}
    if q is not None:
        answered = dict(
            Answer.objects.filter(game_id=game_id, q=q)
            .values("player__venue_id")
            .annotate(n=Count("id", filter=Q(player__banned=False)))
            .values_list("player__venue_id", "n")
        )
    rows = [
        {
            "id": v["id"],
            "name": v["name"],
            "players": players.get(v["id"], 0),
            "answered": answered.get(v["id"], 0),
            "screen": v["screen_seen_ms"] >= seen_after_ms,
            "ready": v["ready"],
        }
        for v in venues
    ]
    return {
        "venues": rows,
        "totals": {
            "players": sum(players.values()),
            "answered": sum(answered.values()),
        },
    }


# --- export -----------------------------------------------------------------------------------


def venues_xlsx_sheet(book, *, game: Game) -> None:
    """The results export's "Venues" sheet: the final venue board (games with venues only)."""
    from django.utils.translation import gettext as _g

    from contest.services.exports import xlsx_append

    board = venue_board_for_game(game=game)
    if not board:
        return
    settings = venue_settings(game)
    labels = {
        "mean": _g("mean score per player"),
        "top_k": _g("mean of the top %(k)s scores") % {"k": settings["k"]},
        "correct": _g("share of correct answers"),
    }
    sheet = book.create_sheet(_g("Venues"))
    xlsx_append(sheet, [_g("Venue board"), labels[settings["method"]]])
    xlsx_append(sheet, [_g("Rank"), _g("Venue"), _g("Players"), _g("Value")])
    for row in board:
        xlsx_append(sheet, [row["rank"], row["name"], row["players"], row["value"]])
