"""The bank's workflow: write, revise, submit for review, publish, send back, archive, bulk.

Every question is written through quizzes.services.questions (validate + create from the canonical
dict). Editing a published (or archived) question never changes the row games and contests used:
it creates a new revision (same family, revision + 1) and marks the old row not current.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from core.errors import ApplicationError, ForbiddenError
from quizzes.limits import IMAGE_MAX_BYTES, IMAGE_MAX_PIXELS, IMAGE_MAX_SIDE
from quizzes.models import Question
from quizzes.permissions import (
    can_archive_question,
    can_edit_question,
    can_review_question,
    can_submit_question,
    can_use_bank,
    is_bank_admin,
)
from quizzes.selectors import question_family_next_revision
from quizzes.services.questions import question_create

NOT_ALLOWED_CREATE = _("Only teachers may write questions.")
NOT_ALLOWED_EDIT = _("You may only edit your own questions.")
NOT_ALLOWED_REVIEW = _("Only reviewers may publish questions or send them back.")
NOT_ALLOWED_ARCHIVE = _("You may not archive this question.")
NOT_CURRENT = _("This is an old revision; edit the current one instead.")
BAD_TRANSITION = _("A question that is “%(status)s” cannot be %(action)s.")
IN_USE = _("This question is used by a quiz or a game: archive it instead of deleting it.")
ONLY_DRAFTS_DELETED = _("Only draft questions can be deleted; archive the others.")
IMAGE_TOO_BIG = _("The image is larger than 2 MB.")
IMAGE_TOO_MANY_PIXELS = _(
    "The image is %(width)s × %(height)s pixels: at most %(side)s pixels a side and "
    "%(megapixels)s megapixels."
)
IMAGE_BAD_TYPE = _("The image must be a PNG, JPEG, WebP or GIF file.")
IMAGE_LOCKED = _("A published question's image cannot change: edit the question first.")
BULK_UNKNOWN_ACTION = _("Unknown bulk action “%(action)s”: use publish or archive.")
BULK_TOO_MANY = _("At most %(max)s questions at once.")

IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
BULK_MAX = 500
# What the author controls in the canonical dict; status moves only through the workflow.
WORKFLOW_KEYS = ("status",)

ACTION_NAMES = {
    "submit": _("submitted for review"),
    "publish": _("published"),
    "reject": _("sent back"),
    "archive": _("archived"),
    "edit": _("edited"),
}


def _transition_error(question: Question, action: str) -> ApplicationError:
    return ApplicationError(
        "invalid_transition",
        BAD_TRANSITION % {"status": question.get_status_display(), "action": ACTION_NAMES[action]},
        {"status": question.status, "action": action},
        status=409,
    )


def _author_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in WORKFLOW_KEYS}


def question_create_draft(*, data: dict[str, Any], user) -> Question:
    """A teacher writes a new question: always a draft, authored by them."""
    if not can_use_bank(user):
        raise ForbiddenError("permission_denied", NOT_ALLOWED_CREATE)
    return question_create(data=_author_data(data), author=user, status=Question.Status.DRAFT)


@transaction.atomic
def question_update(*, question: Question, data: dict[str, Any], user) -> Question:
    """Save an edit. Drafts and questions in review change in place; a published or archived
    question gets a new draft revision (the old row stays for the games that used it)."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not can_edit_question(user, question):
        raise ForbiddenError("permission_denied", NOT_ALLOWED_EDIT)
    if not question.is_current:
        raise ApplicationError("not_current", NOT_CURRENT, {"family": str(question.family)}, 409)
    data = _author_data(data)
    data.pop("uid", None)  # the identity of an existing question does not change
    if question.status in (Question.Status.PUBLISHED, Question.Status.ARCHIVED) or (
        question.quiz_items.exists()
    ):
        return _new_revision(question=question, data=data)
    return _replace_in_place(question=question, data=data)


def _new_revision(*, question: Question, data: dict[str, Any]) -> Question:
    revision = question_create(
        data={"uid": question.external_id, **data} if question.external_id else data,
        author=question.author,
        status=Question.Status.DRAFT,
        family=question.family,
        revision=question_family_next_revision(question),
    )
    if question.image and not revision.image:
        revision.image = question.image.name
        revision.save(update_fields=["image"])
    Question.objects.filter(family=question.family).exclude(pk=revision.pk).update(is_current=False)
    return revision


# Fields an edit rewrites; identity, ownership, workflow and image stay on the row.
_EDITABLE_FIELDS = (
    "type",
    "theme",
    "text_vi",
    "text_en",
    "explanation_vi",
    "explanation_en",
    "source",
    "difficulty",
    "time_limit",
    "points",
    "answer",
    "visibility",
    "search_text",
)


def _replace_in_place(*, question: Question, data: dict[str, Any]) -> Question:
    # Build the edited question with the one write path (question_create validates and
    # normalises), then move its content onto the existing row so the id and URL stay the same.
    scratch = question_create(data=data, author=question.author, status=question.status)
    if "visibility" not in data:
        scratch.visibility = question.visibility
    for name in _EDITABLE_FIELDS:
        setattr(question, name, getattr(scratch, name))
    question.choices.all().delete()
    scratch.choices.update(question=question)
    question.tags.set(scratch.tags.all())
    scratch.delete()
    question.save()
    return question


@transaction.atomic
def question_submit(*, question: Question, user) -> Question:
    """The author asks for review: draft -> review."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not can_submit_question(user, question):
        raise ForbiddenError("permission_denied", NOT_ALLOWED_EDIT)
    if question.status != Question.Status.DRAFT or not question.is_current:
        raise _transition_error(question, "submit")
    question.status = Question.Status.REVIEW
    question.review_note = ""
    question.save(update_fields=["status", "review_note", "updated_at"])
    return question


@transaction.atomic
def question_publish(*, question: Question, user) -> Question:
    """A reviewer approves: review -> published (organisers may also publish drafts)."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not can_review_question(user, question):
        raise ForbiddenError("permission_denied", NOT_ALLOWED_REVIEW)
    allowed = {Question.Status.REVIEW}
    if is_bank_admin(user):
        allowed.add(Question.Status.DRAFT)
    if question.status not in allowed or not question.is_current:
        raise _transition_error(question, "publish")
    question.status = Question.Status.PUBLISHED
    question.reviewed_by = user
    question.review_note = ""
    question.save(update_fields=["status", "reviewed_by", "review_note", "updated_at"])
    return question


@transaction.atomic
def question_reject(*, question: Question, user, note: str = "") -> Question:
    """A reviewer sends a question back to its author with a note: review -> draft."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not can_review_question(user, question):
        raise ForbiddenError("permission_denied", NOT_ALLOWED_REVIEW)
    if question.status != Question.Status.REVIEW:
        raise _transition_error(question, "reject")
    question.status = Question.Status.DRAFT
    question.reviewed_by = user
    question.review_note = (note or "").strip()[:2000]
    question.save(update_fields=["status", "reviewed_by", "review_note", "updated_at"])
    return question


@transaction.atomic
def question_archive(*, question: Question, user) -> Question:
    """Retire a question from the bank (games and contests that used it keep it)."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not can_archive_question(user, question):
        raise ForbiddenError("permission_denied", NOT_ALLOWED_ARCHIVE)
    if question.status == Question.Status.ARCHIVED:
        raise _transition_error(question, "archive")
    question.status = Question.Status.ARCHIVED
    question.save(update_fields=["status", "updated_at"])
    return question


@transaction.atomic
def question_delete(*, question: Question, user) -> None:
    """Delete a draft that nothing uses; everything else is archived instead."""
    if not can_edit_question(user, question):
        raise ForbiddenError("permission_denied", NOT_ALLOWED_EDIT)
    if question.status != Question.Status.DRAFT:
        raise ApplicationError("not_draft", ONLY_DRAFTS_DELETED, status=409)
    if question.quiz_items.exists():
        raise ApplicationError("in_use", IN_USE, status=409)
    older = (
        Question.objects.filter(family=question.family, revision__lt=question.revision)
        .order_by("-revision")
        .first()
    )
    question.delete()
    if older is not None and question.is_current:
        # Deleting a draft revision brings the previous revision back as current.
        older.is_current = True
        older.save(update_fields=["is_current"])


BULK_ACTIONS = {"publish": question_publish, "archive": question_archive}


def question_bulk(*, ids: list[int], action: str, user, visible_qs) -> dict[str, list]:
    """Publish or archive many questions; each succeeds or fails on its own.

    Returns {"done": [id, ...], "failed": [{"id", "code", "message"}, ...]}.
    """
    handler = BULK_ACTIONS.get(action)
    if handler is None:
        raise ApplicationError("unknown_action", BULK_UNKNOWN_ACTION % {"action": action})
    if len(ids) > BULK_MAX:
        raise ApplicationError("too_many", BULK_TOO_MANY % {"max": BULK_MAX})
    found = {q.pk: q for q in visible_qs.filter(pk__in=ids)}
    done: list[int] = []
    failed: list[dict[str, Any]] = []
    for pk in dict.fromkeys(ids):
        question = found.get(pk)
        if question is None:
            failed.append({"id": pk, "code": "not_found", "message": str(_("Not found."))})
            continue
        try:
            handler(question=question, user=user)
        except ApplicationError as error:
            failed.append({"id": pk, "code": error.code, "message": error.message})
        else:
            done.append(pk)
    return {"done": done, "failed": failed}


@transaction.atomic
def question_set_image(*, question: Question, user, upload: UploadedFile | None) -> Question:
    """Attach (or with None, remove) the question's image: PNG/JPEG/WebP/GIF, at most 2 MB,
    checked by decoding it with Pillow (the file name and content type are not trusted)."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not can_edit_question(user, question):
        raise ForbiddenError("permission_denied", NOT_ALLOWED_EDIT)
    if question.status not in (Question.Status.DRAFT, Question.Status.REVIEW):
        raise ApplicationError("image_locked", IMAGE_LOCKED, status=409)
    if upload is None:
        question.image = ""
        question.save(update_fields=["image", "updated_at"])
        return question
    if upload.size is None or upload.size > IMAGE_MAX_BYTES:
        raise ApplicationError("image_too_big", IMAGE_TOO_BIG, {"max_bytes": IMAGE_MAX_BYTES})
    content = upload.read(IMAGE_MAX_BYTES + 1)
    if len(content) > IMAGE_MAX_BYTES:
        raise ApplicationError("image_too_big", IMAGE_TOO_BIG, {"max_bytes": IMAGE_MAX_BYTES})
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ApplicationError("image_bad_type", IMAGE_BAD_TYPE) from None
    if image_format not in IMAGE_FORMATS:
        raise ApplicationError("image_bad_type", IMAGE_BAD_TYPE)
    # The header's size, read before anything is decoded: a small file may be a huge bitmap.
    if max(width, height) > IMAGE_MAX_SIDE or width * height > IMAGE_MAX_PIXELS:
        raise ApplicationError(
            "image_too_big",
            IMAGE_TOO_MANY_PIXELS
            % {
                "width": width,
                "height": height,
                "side": IMAGE_MAX_SIDE,
                "megapixels": IMAGE_MAX_PIXELS // 1_000_000,
            },
            {"width": width, "height": height, "max_side": IMAGE_MAX_SIDE},
        )
    from django.core.files.base import ContentFile

    name = (
        f"q{question.family.hex[:12]}-{timezone.now():%Y%m%d%H%M%S}.{IMAGE_FORMATS[image_format]}"
    )
    question.image.save(name, ContentFile(content), save=False)
    question.save(update_fields=["image", "updated_at"])
    return question
