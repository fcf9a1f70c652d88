from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def rounds_changed(round_ids: list[int]) -> None:
    """Rounds' rows (or what their copies hold) changed: every process drops its copies."""
    from contest import boards

    def bump() -> None:
        for round_id in round_ids:
            boards.round_changed(round_id)

    # Now (so this process and tests see it at once) and again after the commit (so another
    # process cannot keep the old row it read just before the commit under the new version).
    bump()
    transaction.on_commit(bump, robust=True)


def _round_saved(sender, instance, **kwargs) -> None:
    from contest.shared_keys import forget_withheld

    rounds_changed([instance.pk])
    forget_withheld()  # the round may now share questions with another, or no longer


def _contest_saved(sender, instance, **kwargs) -> None:
    # A contest's row (published, title) is part of its rounds' copies.
    rounds_changed(list(instance.rounds.values_list("pk", flat=True)))


class ContestConfig(AppConfig):
    name = "contest"
    verbose_name = _("Contests")

    def ready(self) -> None:
        # Processes keep copies of rounds for hot reads (selectors.round_get_published): every
        # save tells them, whichever code path saved.
        from contest.models import Contest, Round

        post_save.connect(_round_saved, sender=Round, dispatch_uid="contest_round_saved")
        post_delete.connect(_round_saved, sender=Round, dispatch_uid="contest_round_deleted")
        post_save.connect(_contest_saved, sender=Contest, dispatch_uid="contest_contest_saved")

        # Participant cookies carry a token: per-token rate limits read it (core/ratelimit.py).
        from contest.services.registration import COOKIE_PREFIX
        from core import ratelimit

        ratelimit.register_token_cookie(COOKIE_PREFIX)
