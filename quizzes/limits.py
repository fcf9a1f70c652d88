"""How big each piece of bank content may be: the one home of every size limit.

Model fields (max_length / validators), the API serializers, the importers (through
`question_validate_data`) and the editor (maxlength and counters, from `editor_limits()`) all read
these numbers, so a limit changes here once. They fit what a phone and a ceremony screen can show.
"""

from __future__ import annotations

from django.core.validators import MaxLengthValidator

# Characters.
QUESTION_TEXT_MAX = 1000
EXPLANATION_MAX = 4000
FEEDBACK_MAX = 4000
CHOICE_TEXT_MAX = 500
ACCEPTED_ANSWER_MAX = 500
SOURCE_MAX = 500
TAG_MAX = 64
EXTERNAL_ID_MAX = 255
TITLE_MAX = 200
NAME_MAX = 200
DESCRIPTION_MAX = 4000
REVIEW_NOTE_MAX = 2000

# Counts.
CHOICES_MAX = 20
TAGS_MAX = 20
ACCEPTED_ANSWERS_MAX = 50

# Images: bytes on upload and decoded size (a small file can decode to a huge bitmap).
IMAGE_MAX_BYTES = 2 * 1024 * 1024
IMAGE_MAX_SIDE = 4096
IMAGE_MAX_PIXELS = 12_000_000


def max_length(limit: int) -> list[MaxLengthValidator]:
    """Validators for a TextField that has no max_length of its own."""
    return [MaxLengthValidator(limit)]


def editor_limits() -> dict[str, int]:
    """The limits the question editor shows as maxlength and counters."""
    return {
        "text": QUESTION_TEXT_MAX,
        "explanation": EXPLANATION_MAX,
        "feedback": FEEDBACK_MAX,
        "choice": CHOICE_TEXT_MAX,
        "accepted": ACCEPTED_ANSWER_MAX,
        "source": SOURCE_MAX,
        "tag": TAG_MAX,
        "tags": TAGS_MAX,
        "choices": CHOICES_MAX,
        "image_bytes": IMAGE_MAX_BYTES,
        "image_side": IMAGE_MAX_SIDE,
        "review_note": REVIEW_NOTE_MAX,
    }


def clip(text: str, limit: int) -> str:
    """A stored text cut to its limit for a player's screen (rows written before the limits
    existed may be longer; the row itself is kept as it is)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
