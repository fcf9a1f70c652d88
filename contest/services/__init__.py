"""Contest services (writes). Import from here: `from contest.services import attempt_start`.

Layers, each importing only those before it: marking (points, keys, the counted result) <-
attempts (paper, start, autosave, submit, expire) <- results (close the books, corrections,
live rounds, participation) <- rounds (round settings, the one finalizing read, qualifiers)."""

from __future__ import annotations

from contest.services.attempts import (
    answers_save,
    attempt_expire,
    attempt_start,
    attempt_submit,
    build_paper,
    draw_questions,
)
from contest.services.contests import (
    contest_create,
    contest_overlay_key_rotate,
    contest_staff_add,
    contest_update,
)
from contest.services.marking import attempt_score, points_for, round_result_refresh
from contest.services.registration import (
    mask_name,
    participant_register,
    participant_token,
)
from contest.services.results import (
    answer_key_fix,
    live_round_results_record,
    question_void,
    round_finalize,
    round_recompute,
)
from contest.services.rounds import (
    round_close_ensure,
    round_close_schedule,
    round_create,
    round_finalize_if_due,
    round_seed_qualifiers,
    round_update,
)

__all__ = [
    "answer_key_fix",
    "answers_save",
    "attempt_expire",
    "attempt_score",
    "attempt_start",
    "attempt_submit",
    "build_paper",
    "contest_create",
    "contest_overlay_key_rotate",
    "contest_staff_add",
    "contest_update",
    "draw_questions",
    "live_round_results_record",
    "mask_name",
    "participant_register",
    "participant_token",
    "points_for",
    "question_void",
    "round_close_ensure",
    "round_close_schedule",
    "round_create",
    "round_finalize",
    "round_finalize_if_due",
    "round_recompute",
    "round_result_refresh",
    "round_seed_qualifiers",
    "round_update",
]
