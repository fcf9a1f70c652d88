"""Contest services (writes). Import from here: `from contest.services import attempt_start`."""

from __future__ import annotations

from contest.services.attempts import (
    answers_save,
    attempt_expire,
    attempt_score,
    attempt_start,
    attempt_submit,
    build_paper,
    draw_questions,
    points_for,
)
from contest.services.contests import (
    contest_create,
    contest_overlay_key_rotate,
    contest_staff_add,
    contest_update,
    round_create,
    round_update,
)
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
    round_finalize_if_due,
    round_recompute,
    round_result_refresh,
    round_seed_qualifiers,
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
    "round_create",
    "round_finalize",
    "round_finalize_if_due",
    "round_recompute",
    "round_result_refresh",
    "round_seed_qualifiers",
    "round_update",
]
