"""The bank's background jobs: importing a large question file."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from quizzes.background import JobContext, job_kind
from quizzes.importers import questions_import
from quizzes.models import Job

QUESTIONS_IMPORT = "questions_import"
MAX_REPORTED_PROBLEMS = 500  # the stored report stays small; the counts are always whole


@job_kind(QUESTIONS_IMPORT, label=gettext_lazy("Question import"))
def questions_import_job(job: Job, ctx: JobContext) -> None:
    """The import API's work for a file too big to import within the request."""
    params = job.params

    def progress(done: int, total: int) -> None:
        ctx.progress(
            done,
            total,
            ngettext(
                "Imported %(done)s of %(total)s question.",
                "Imported %(done)s of %(total)s questions.",
                total,
            )
            % {"done": done, "total": total},
            start=5,
            end=99,
        )

    ctx.step(2, _("Reading the file…"))
    report = questions_import(
        content=ctx.input_bytes(),
        filename=params.get("filename", ""),
        fmt=params.get("format"),
        author=job.owner,
        status=params.get("status", "draft"),
        language=params.get("language", "auto"),
        atomic=bool(params.get("atomic")),
        progress=progress,
    ).to_dict()
    report["preview"] = []  # the dry run showed it; the job keeps the counts and the problems
    for key in ("errors", "warnings"):
        report[f"{key}_total"] = len(report[key])
        report[key] = report[key][:MAX_REPORTED_PROBLEMS]
    ctx.result = report
    ctx.done_message = (
        _("Nothing was imported: all or nothing was chosen and some questions were rejected.")
        if report.get("rolled_back")
        else _(
            "%(created)s created, %(updated)s updated, %(skipped)s already in the bank, "
            "%(rejected)s rejected."
        )
        % {
            "created": report["created"],
            "updated": report["updated"],
            "skipped": report["skipped"],
            "rejected": report["errors_total"],
        }
    )
