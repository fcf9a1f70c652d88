"""Joining under a join burst (realtime/services.py, player_join's one statement): many phones
joining one game at the same instant never go past its capacity, never share a nickname, and a
kicked player's seat is free again."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from core.errors import ApplicationError
from realtime.models import Game, Player
from realtime.services import player_join, player_kick
from tests.factories import make_user
from tests.realtime.conftest import create_game, make_quiz

pytestmark = pytest.mark.django_db(transaction=True)


def _game(**settings) -> Game:
    host = make_user(f"burst{Game.objects.count()}", roles=["teacher"])
    return create_game(host, make_quiz(host), **settings)


def _burst(game: Game, nicknames: list[str]) -> list[str]:
    """Every nickname joins from its own thread (its own connection), all released at once:
    the outcome of each ("joined" or the error code)."""
    start = threading.Barrier(len(nicknames))
    outcomes: list[str] = [""] * len(nicknames)

    def run(n: int) -> None:
        try:
            start.wait()
            player_join(pin=game.pin, nickname=nicknames[n])
            outcomes[n] = "joined"
        except ApplicationError as exc:
            outcomes[n] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(nicknames))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_join_burst_never_goes_past_the_capacity():
    game = _game(capacity=5)
    for _round in range(3):  # a race is a matter of luck: give it several chances
        outcomes = _burst(game, [f"Phone {_round}-{n}" for n in range(24)])
        assert set(outcomes) <= {"joined", "game_full"}
    assert Player.objects.filter(game=game, banned=False).count() == 5
    assert Game.objects.get(id=game.id).active_players == 5


def test_one_nickname_joined_at_once_by_many_phones_is_given_once_and_keeps_the_count_right():
    game = _game(capacity=3)
    outcomes = _burst(game, ["Lan"] * 12)
    assert outcomes.count("joined") == 1
    assert set(outcomes) == {"joined", "nickname_taken"}
    # The losers took no seat: two more players fit, then the game is full.
    player_join(pin=game.pin, nickname="Minh")
    player_join(pin=game.pin, nickname="Hoa")
    with pytest.raises(ApplicationError) as full:
        player_join(pin=game.pin, nickname="Tuan")
    assert full.value.code == "game_full"


def test_a_kicked_player_frees_their_seat_once():
    game = _game(capacity=2)
    first, _ = player_join(pin=game.pin, nickname="First")
    player_join(pin=game.pin, nickname="Second")
    with pytest.raises(ApplicationError) as full:
        player_join(pin=game.pin, nickname="Third")
    assert full.value.code == "game_full"
    assert player_kick(game_id=game.id, player_id=first.id) is False  # never connected
    assert player_kick(game_id=game.id, player_id=first.id) is False  # already out: no seat
    assert player_kick(game_id=game.id, player_id=first.id + 1000) is None
    player_join(pin=game.pin, nickname="Third")
    with pytest.raises(ApplicationError) as again:
        player_join(pin=game.pin, nickname="Fourth")
    assert again.value.code == "game_full"
    assert Game.objects.get(id=game.id).active_players == 2


@pytest.mark.parametrize("status", ["lobby", "running", "ended"])
@pytest.mark.parametrize("locked", [None, True, False])
@pytest.mark.parametrize("late_join", [None, True, False])
def test_the_joins_seat_and_the_look_up_agree_on_which_games_take_joins(status, locked, late_join):
    """game_joinable (the look-up's and the join's rule) and _JOINABLE_SQL (the seat's, checked
    on the game row's latest version) answer alike for every state the engine writes."""
    from realtime.services import _JOINABLE_SQL, game_joinable

    game = _game()
    state = dict(game.state)
    for name, value in (("locked", locked), ("late_join", late_join)):
        state.pop(name, None)
        if value is not None:
            state[name] = value
    Game.objects.filter(id=game.id).update(status=status, state=state)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_JOINABLE_SQL} FROM {Game._meta.db_table} WHERE id = %s", [game.id]
        )
        (in_sql,) = cursor.fetchone()
    assert in_sql == game_joinable(status, state)


def test_a_join_on_its_way_when_the_host_locks_the_game_does_not_get_in(monkeypatch):
    """The join read the game before the host's lock committed; its seat is taken against the
    game row as it is now, so it is refused as a locked game is (found by a black-box tester:
    players of a burst still came in after the host had the lock's acknowledgement)."""
    from realtime import services

    game = _game()
    read_before_the_lock = services.game_for_pin(game.pin)
    locked = {**Game.objects.get(id=game.id).state, "locked": True}
    Game.objects.filter(id=game.id).update(state=locked)
    monkeypatch.setattr(services, "game_for_pin", lambda pin, user=None: read_before_the_lock)
    with pytest.raises(ApplicationError) as refused:
        player_join(pin=game.pin, nickname="Late")
    assert (refused.value.code, refused.value.status) == ("game_not_found", 404)
    assert not Player.objects.filter(game=game).exists()
    assert Game.objects.get(id=game.id).active_players == 0
