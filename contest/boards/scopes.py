"""Board scopes: which board a round or contest shows to whom (live, frozen, hidden, final)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from contest import ranking
from contest.boards.versions import (
    frozen_family,
    round_versions,
)
from contest.models import Contest, Round
from contest.shared_keys import scores_withheld_until
from core.timestamps import epoch_ms

LIVE_ONLY_OFFSET = 10**11  # ids of live rows with no registered participant: offset + result id
UNIT_CACHE_SECONDS = 5
# The unit levels a board ranks, and the participant field naming each.
UNIT_FIELDS = {
    "class": "class_unit_id",
    "school": "school_id",
    "district": "district_id",
    "province": "province_id",
}


@dataclass(frozen=True)
class Scope:
    """Which board: a round (live, frozen, hidden or final) or a contest's combined ranking."""

    key: str
    chain: tuple[str, ...]
    actual: float | None = None
    round: Round | None = field(default=None, compare=False)
    contest: Contest | None = field(default=None, compare=False)
    before: Any = None  # frozen boards: attempts handed in before this moment
    hidden: bool = False  # scores kept until the close: the board has no rows
    # Public contest boards: the rounds seen frozen or hidden, ((round id, state), ...).
    masked: tuple[tuple[int, str], ...] = ()
    # Boards whose key names what they were built from (frozen: the freeze and the chain) are
    # dropped together by family (Boards.drop_family): a reader holding an older copy of the
    # round builds under the older key, which no reader with the new one looks at.
    family: str | None = None

    @property
    def board(self) -> str:
        """A round's board: "live", "frozen", "hidden" or "final" (keys are r<id>:<board>...)."""
        return self.key.split(":")[1]


def public_state(round_: Round, now=None) -> str:
    """What participants and the public see of a round's standing: "final" once its results are
    computed, "hidden" while it keeps scores until the close (Round.scores_hidden), "frozen"
    during its freeze, "live" otherwise. Organisers always see the live (or final) one.
    While an award ceremony holds the results (Round.results_held), the public keeps what it saw
    at the close: the frozen standing of a round with a freeze, no scores otherwise.
    While another round still to close may ask one of its questions, no scores at all
    (shared_keys.scores_withheld_until: they would give that round's keys away)."""
    if scores_withheld_until(round_, now) is not None:
        return "hidden"
    if round_.results_held:
        return "frozen" if round_.freeze_hours else "hidden"
    if round_.finalized_at is not None:
        return "final"
    if round_.needs_finalizing(now):
        # Closing: the round_finalize job is computing the final results. The public keeps what
        # it saw at the close until they are final (never a standing labelled final too early).
        if round_.freeze_hours:
            return "frozen"
        return "live" if round_.scores_while_open else "hidden"
    if round_.scores_hidden(now):
        return "hidden"
    if round_.is_frozen(now):
        return "frozen"
    return "live"


def round_scope(round_: Round, *, public: bool = True, now=None) -> Scope:
    """The board a viewer sees: the public one (public_state) if asked, the live (or final, with
    the prediction) one otherwise."""
    chain = ranking.validate_chain(round_.ranking_chain)
    state = public_state(round_, now) if public else None
    if round_.finalized_at is not None and state in (None, "final"):
        return Scope(f"r{round_.pk}:final", chain, round_.prediction_actual, round=round_)
    live_chain = tuple(k for k in chain if k != "prediction") or ("score",)
    if state == "hidden":
        return Scope(f"r{round_.pk}:hidden", live_chain, round=round_, hidden=True)
    if state == "frozen":
        return frozen_scope(round_)
    return Scope(f"r{round_.pk}:live", live_chain, round=round_)


def frozen_scope(round_: Round) -> Scope:
    """The round's board at its freeze (leaderboards.frozen_rows): what the public sees during
    the freeze; for a round that keeps its scores hidden, what its counts are taken from."""
    chain = ranking.validate_chain(round_.ranking_chain)
    live_chain = tuple(k for k in chain if k != "prediction") or ("score",)
    family = frozen_family(round_.pk)
    return Scope(
        f"{family}:{epoch_ms(round_.freeze_at)}:{'.'.join(live_chain)}",
        live_chain,
        round=round_,
        before=round_.freeze_at,
        family=family,
    )


def contest_scope(
    contest: Contest, *, public: bool = False, now=None, rounds: list[Round] | None = None
) -> Scope:
    """The contest ranking; the public one leaves out the rounds whose scores are hidden and
    takes frozen rounds at their freeze. Its key changes with the rounds' versions, so closing,
    corrections and round edits rebuild it. `rounds`: the contest's rounds, when the caller has
    just read them."""
    chain = ("score", "time", "submitted")
    if public:
        if rounds is None:
            rounds = list(contest.rounds.all())
        masked = tuple(
            (r.pk, state) for r in rounds if (state := public_state(r, now)) in ("hidden", "frozen")
        )
        if masked:
            stamp = repr((masked, [round_versions(r.pk) for r in rounds]))
            digest = hashlib.sha1(stamp.encode(), usedforsecurity=False).hexdigest()[:16]
            return Scope(f"c{contest.pk}:p{digest}", chain, contest=contest, masked=masked)
    return Scope(f"c{contest.pk}", chain, contest=contest)


def board_state(scope: Scope) -> dict[str, Any]:
    """Which standing a viewer sees, for pages and API replies: the board ("live", "frozen",
    "hidden", "final", "contest"), since when it is frozen, when hidden scores are published."""
    if scope.round is None:
        assert scope.contest is not None  # a board of no round is a contest's
        out: dict[str, Any] = {"board": "contest"}
        rounds = {r.pk: r for r in scope.contest.rounds.all()} if scope.masked else {}
        out["frozen_rounds"] = [
            {"round": pk, "frozen_since": rounds[pk].freeze_at.isoformat()}
            for pk, state in scope.masked
            if state == "frozen" and pk in rounds
        ]
        out["hidden_rounds"] = [
            {"round": pk, **_hidden_until(rounds[pk])}
            for pk, state in scope.masked
            if state == "hidden" and pk in rounds
        ]
        return out
    board = scope.board
    out = {"board": board}
    if scope.round.needs_finalizing():
        # Closed, and the round_finalize job is computing its final results: never "final" yet;
        # pages say so and poll until the board is "final".
        out["closing"] = True
    if board == "frozen":
        if scope.round.results_held:
            out["held"] = True  # "Results are announced at the award ceremony"
        out["frozen_since"] = scope.round.freeze_at.isoformat()
    elif board == "hidden":
        out.update(_hidden_until(scope.round))
    return out


def _hidden_until(round_: Round) -> dict[str, Any]:
    """Why a round shows no scores, and until when: another round still to close may ask its
    questions ("withheld", until the last such round's close), an award ceremony holds them
    ("held"), or the round keeps them until its close."""
    withheld = scores_withheld_until(round_)
    if withheld is not None:
        return {"withheld": True, "scores_published_at": withheld.isoformat()}
    if round_.results_held:
        return {"held": True}
    return {"scores_published_at": round_.closes_at.isoformat()}
