"""Contest background jobs: result exports of big rounds, recomputes after a correction, and a
round's certificates as one ZIP."""

from __future__ import annotations

import shutil

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from contest import access, selectors
from contest.models import Round
from contest.services import exports
from contest.services.results import ROUND_RECOMPUTE, audit, round_recompute
from contest.services.rounds import ROUND_FINALIZE, round_finalize_if_due
from core.errors import NotFoundError
from quizzes.background import JobContext, job_kind
from quizzes.models import Job

ROUND_EXPORT = "round_export"
CERTIFICATES_ZIP = "certificates_zip"


class _CountingRows(list):
    """The rows, reporting progress as the exporter walks through them (the exporter is unchanged:
    it still gets a list)."""

    def __init__(self, rows, ctx: JobContext, start: int, end: int) -> None:
        super().__init__(rows)
        self.ctx, self.start, self.end = ctx, start, end

    def __iter__(self):
        total = len(self)
        for done, row in enumerate(super().__iter__(), start=1):
            if done % 500 == 0 or done == total:
                self.ctx.progress(
                    done,
                    total,
                    _("Wrote %(done)s of %(total)s rows.") % {"done": done, "total": total},
                    start=self.start,
                    end=self.end,
                )
            yield row


def _round(job: Job) -> Round:
    round_ = Round.objects.select_related("contest").filter(pk=job.params.get("round")).first()
    if round_ is None:
        raise NotFoundError("not_found", _("Not found."))
    return round_


@job_kind(ROUND_EXPORT, label=gettext_lazy("Results export"))
def round_export_job(job: Job, ctx: JobContext) -> None:
    """A round's results as CSV or XLSX, written to a file offered once it is whole."""
    round_ = _round(job)
    # Checked again when it runs: the owner may have left the contest's staff meanwhile.
    access.contest_staff_required(user=job.owner, contest=round_.contest)
    unit = job.params.get("unit") or None
    ctx.step(2, _("Reading the results…"))
    round_finalize_if_due(round_)
    rows = selectors.round_results(round_=round_, user=job.owner, unit_id=unit)
    ctx.step(20, _("Writing the file…"))
    payload, content_type, filename = exports.results_file(
        round_=round_, rows=_CountingRows(rows, ctx, 20, 95), fmt=job.params["format"], unit_id=unit
    )
    with ctx.output(filename, content_type) as handle:
        handle.write(payload)
    ctx.result = {"rows": len(rows)}
    ctx.done_message = _("%(n)s rows exported.") % {"n": len(rows)}


@job_kind(ROUND_FINALIZE, label=gettext_lazy("Round close"))
def round_finalize_job(job: Job, ctx: JobContext) -> None:
    """A round's close: expire its open attempts, compute its final ranks, rebuild its boards
    (round_finalize_if_due: once, under the round's row lock; a job for a round that is not due
    yet, or already final, does nothing). Queued for closes_at; readers only show "closing"."""
    round_ = _round(job)
    ctx.step(5, _("Computing the final results…"))
    round_finalize_if_due(round_)
    ctx.result = {"final": round_.finalized_at is not None}
    ctx.done_message = (
        _("Final results computed.") if round_.finalized_at else _("Nothing to do yet.")
    )


@job_kind(ROUND_RECOMPUTE, label=gettext_lazy("Results recompute"))
def round_recompute_job(job: Job, ctx: JobContext) -> None:
    """Rescore a big round after a correction (void, fixed key), then log what changed."""
    round_ = _round(job)
    ctx.step(5, _("Rescoring every attempt from the stored answers…"))
    with transaction.atomic():
        # One recompute per round at a time: a later job (after a second correction) waits for
        # this one, then rescores with every correction, so the last word is always complete.
        Round.objects.select_for_update().filter(pk=round_.pk).first()
        effect = round_recompute(round_=round_)
        audit(
            contest=round_.contest,
            round_=round_,
            actor=job.owner,
            action="round_recompute",
            summary=_("Results recomputed: %(n)s results changed.")
            % {"n": effect["changed_count"]},
            details={"job": job.pk, **effect},
        )
    ctx.result = {
        "attempts_rescored": effect["attempts_rescored"],
        "changed_count": effect["changed_count"],
    }
    ctx.done_message = _("Results recomputed: %(n)s results changed.") % {
        "n": effect["changed_count"]
    }


@job_kind(CERTIFICATES_ZIP, label=gettext_lazy("Certificates"))
def certificates_zip_job(job: Job, ctx: JobContext) -> None:
    """Every certificate of a closed round, one PDF each, in one ZIP offered once it is whole."""
    from contest.services.certificates import certificates_zip

    round_ = _round(job)
    access.contest_staff_required(user=job.owner, contest=round_.contest)
    language = job.params.get("language") or "vi"

    def progress(done: int, total: int) -> None:
        ctx.progress(
            done,
            total,
            ngettext(
                "%(done)s of %(total)s certificate written.",
                "%(done)s of %(total)s certificates written.",
                total,
            )
            % {"done": done, "total": total},
            start=2,
            end=95,
        )

    with translation.override(language):
        path = certificates_zip(
            round_=round_, progress=progress, language=language, base_url=job.params.get("base_url")
        )
    try:
        filename = f"{round_.contest.slug}-round{round_.position}-certificates.zip"
        with ctx.output(filename, "application/zip") as handle, open(path, "rb") as source:
            shutil.copyfileobj(source, handle)
    finally:
        path.unlink(missing_ok=True)
    ctx.done_message = _("The certificates are ready.")
