"""Certificates (issue 18.4): one PDF per prize winner and per participant who completed a round,
with a signature block and an unguessable verification code shown as a QR code.

Issuing stores a Certificate row per participant (the code and a snapshot of the prize, rank and
score); rendering draws the PDF with reportlab and a TTF font that has every Vietnamese glyph
(Debian's fonts-dejavu-core, installed by .ci/system-deps.sh). `certificates_zip` is the batch a
background job runs: it writes one ZIP to a temporary file and reports its progress.
"""

from __future__ import annotations

import io
import secrets
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unidecode import unidecode

from contest.models import Certificate, Contest, PrizeTier, Round, RoundResult
from contest.services.results import audit
from contest.services.rounds import round_finalize_if_due
from contest.shared_keys import MSG_SCORES_WITHHELD, scores_withheld_until
from core.errors import ApplicationError

# Codes: 16 characters from an alphabet without look-alikes (0/O, 1/I/L, U/V): about 78 bits,
# drawn with `secrets` and stored, so a code cannot be guessed or forged.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
CODE_LENGTH = 16

MSG_NOT_CLOSED = gettext_lazy("Certificates are issued once the round has closed.")
MSG_NO_FONT = gettext_lazy(
    "The certificate font is missing: install the fonts-dejavu-core package "
    "(make run does it) or set CERTIFICATE_FONT_DIR."
)
MSG_BAD_TIERS = gettext_lazy(
    "Each prize needs a Vietnamese name and a number of places from 1 to 1000."
)
MSG_TOO_MANY_TIERS = gettext_lazy("A round has at most 10 prizes.")

FONT_REGULAR = "CQ-DejaVuSans"
FONT_BOLD = "CQ-DejaVuSans-Bold"


def certificate_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def certificate_code_normalize(raw: str) -> str:
    """A code as typed or scanned (any case, with dashes or spaces) in its stored form."""
    return "".join(ch for ch in (raw or "").upper() if ch not in "- ")[:64]


# --- Settings: prize tiers and the signature block --------------------------------------------


@transaction.atomic
def certificate_settings_update(
    *,
    round_: Round,
    actor=None,
    signer_name: str | None = None,
    signer_title: str | None = None,
    full_name: bool | None = None,
    tiers: list[dict[str, Any]] | None = None,
) -> None:
    """Set the contest's signature block and verify-page setting, and the round's prize tiers
    (a list of {"name_vi", "name_en", "places"}, best first; None leaves them as they are)."""
    contest: Contest = round_.contest
    changes: dict[str, Any] = {}
    for field, value in (
        ("certificate_signer_name", signer_name),
        ("certificate_signer_title", signer_title),
        ("certificate_full_name", full_name),
    ):
        if value is not None and getattr(contest, field) != value:
            setattr(contest, field, value.strip() if isinstance(value, str) else value)
            changes[field] = getattr(contest, field)
    if changes:
        contest.full_clean()
        contest.save()
    if tiers is not None:
        if len(tiers) > 10:
            raise ApplicationError(
                "invalid", MSG_TOO_MANY_TIERS, {"tiers": str(MSG_TOO_MANY_TIERS)}
            )
        clean = []
        for tier in tiers:
            name_vi = str(tier.get("name_vi") or "").strip()
            name_en = str(tier.get("name_en") or "").strip()
            places = tier.get("places")
            if (
                not name_vi
                or len(name_vi) > 120
                or len(name_en) > 120
                or not isinstance(places, int)
                or isinstance(places, bool)
                or not 1 <= places <= 1000
            ):
                raise ApplicationError("invalid", MSG_BAD_TIERS, {"tiers": str(MSG_BAD_TIERS)})
            clean.append((name_vi, name_en, places))
        old = [(t.name_vi, t.name_en, t.places) for t in round_.prize_tiers.all()]
        if old != clean:
            round_.prize_tiers.all().delete()
            PrizeTier.objects.bulk_create(
                PrizeTier(round=round_, position=i + 1, name_vi=vi, name_en=en, places=n)
                for i, (vi, en, n) in enumerate(clean)
            )
            changes["prize_tiers"] = [list(t) for t in clean]
    if changes:
        audit(
            contest=contest,
            round_=round_,
            actor=actor,
            action="certificate_settings",
            summary=_("Certificate settings changed."),
            details=changes,
        )


def prize_tiers_list(*, round_: Round) -> list[dict[str, Any]]:
    return [
        {"name_vi": t.name_vi, "name_en": t.name_en, "places": t.places}
        for t in round_.prize_tiers.all()
    ]


# --- Issuing ---------------------------------------------------------------------------------


@transaction.atomic
def certificates_ready(*, round_: Round) -> None:
    """Certificates exist once the round has closed and its scores may be shown (409 before):
    checked when an organiser asks for them and again when they are written."""
    if not round_.is_closed():
        raise ApplicationError("round_not_closed", MSG_NOT_CLOSED, status=409)
    if scores_withheld_until(round_) is not None:
        # Each certificate gives its participant's rank and prize: scores, like the boards'.
        raise ApplicationError("scores_withheld", MSG_SCORES_WITHHELD, status=409)


def certificates_issue(*, round_: Round) -> list[Certificate]:
    """Issue (or bring up to date) the certificates of a closed round: one per participant with
    a result, with the prize their rank wins. Codes never change once issued; a participant who
    no longer has a result (an overwritten live round) loses theirs. Ordered by rank."""
    certificates_ready(round_=round_)
    round_finalize_if_due(round_)
    tiers = list(round_.prize_tiers.all())
    results = list(
        RoundResult.objects.filter(round=round_, participant__isnull=False).order_by("rank", "id")
    )
    existing = {c.participant_id: c for c in Certificate.objects.filter(round=round_)}
    now = timezone.now()
    out = []
    for result in results:
        tier = PrizeTier.for_rank(tiers, result.rank, result.score)
        snapshot = {
            "prize_vi": tier.name_vi if tier else "",
            "prize_en": tier.name_en if tier else "",
            "rank": result.rank,
            "score": result.score,
        }
        assert result.participant_id is not None  # results of a round are participants'
        certificate = existing.pop(result.participant_id, None)
        if certificate is None:
            certificate = Certificate.objects.create(
                round=round_,
                participant_id=result.participant_id,
                code=certificate_code_new(),
                issued_at=now,
                **snapshot,
            )
        elif any(getattr(certificate, k) != v for k, v in snapshot.items()):
            for k, v in snapshot.items():
                setattr(certificate, k, v)
            certificate.save(update_fields=list(snapshot))
        out.append(certificate)
    if existing:
        Certificate.objects.filter(pk__in=[c.pk for c in existing.values()]).delete()
    return out


def certificate_verify_url(certificate: Certificate, base_url: str | None = None) -> str:
    base = (base_url if base_url is not None else settings.PUBLIC_BASE_URL).rstrip("/")
    return f"{base}/verify/{certificate.code}"


# --- Rendering -------------------------------------------------------------------------------


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(settings.CERTIFICATE_FONT_DIR)
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    if not regular.exists() or not bold.exists():
        raise ApplicationError("certificate_font_missing", MSG_NO_FONT, status=500)
    pdfmetrics.registerFont(TTFont(FONT_REGULAR, str(regular)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))


def _draw_qr(canvas, text: str, x: float, y: float, size: float) -> None:
    """The verification link as a QR code, drawn as vector squares (crisp at any print size)."""
    import qrcode

    qr = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    cell = size / len(matrix)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def _fit(canvas, text: str, font: str, size: float, width: float) -> float:
    """The largest font size up to `size` at which `text` fits `width`."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    while size > 8 and stringWidth(text, font, size) > width:
        size -= 1
    return size


def certificate_pdf(
    *, certificate: Certificate, language: str = "vi", base_url: str | None = None
) -> bytes:
    """One certificate as an A4 landscape PDF in `language` (the contest's texts, the prize or
    "participation", the date, the signature block, the code and its QR code)."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen.canvas import Canvas

    _register_fonts()
    round_ = certificate.round
    contest = round_.contest
    participant = certificate.participant
    width, height = landscape(A4)
    buffer = io.BytesIO()
    with translation.override(language):
        canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
        canvas.setTitle(_("Certificate: %(name)s") % {"name": participant.full_name})
        canvas.setAuthor(contest.title_in(language))
        # Frame.
        canvas.setStrokeColorRGB(0.06, 0.16, 0.33)
        canvas.setLineWidth(4)
        canvas.rect(24, 24, width - 48, height - 48)
        canvas.setLineWidth(1)
        canvas.rect(34, 34, width - 68, height - 68)
        middle, text_width = width / 2, width - 140
        canvas.setFillColorRGB(0.06, 0.16, 0.33)
        title = contest.title_in(language)
        canvas.setFont(FONT_BOLD, _fit(canvas, title, FONT_BOLD, 20, text_width))
        canvas.drawCentredString(middle, height - 90, title)
        canvas.setFont(FONT_REGULAR, 13)
        canvas.drawCentredString(middle, height - 112, round_.title_in(language))
        heading = _("CERTIFICATE") if not certificate.is_prize else _("CERTIFICATE OF MERIT")
        canvas.setFillColorRGB(0.72, 0.11, 0.11)
        canvas.setFont(FONT_BOLD, 36)
        canvas.drawCentredString(middle, height - 170, heading)
        canvas.setFillColorRGB(0.1, 0.1, 0.1)
        canvas.setFont(FONT_REGULAR, 15)
        canvas.drawCentredString(middle, height - 210, _("This certifies that"))
        canvas.setFont(FONT_BOLD, _fit(canvas, participant.full_name, FONT_BOLD, 32, text_width))
        canvas.drawCentredString(middle, height - 252, participant.full_name)
        school = ", ".join(n for n in (participant.school.name, participant.district.name) if n)
        canvas.setFont(FONT_REGULAR, _fit(canvas, school, FONT_REGULAR, 15, text_width))
        canvas.drawCentredString(middle, height - 280, school)
        if certificate.is_prize:
            line = _("has won the %(prize)s") % {"prize": certificate.prize_in(language)}
        else:
            line = _("has taken part in the contest and completed the round")
        canvas.setFillColorRGB(0.06, 0.16, 0.33)
        canvas.setFont(FONT_BOLD, _fit(canvas, line, FONT_BOLD, 20, text_width))
        canvas.drawCentredString(middle, height - 320, line)
        # Date and signature block, on the right.
        canvas.setFillColorRGB(0.1, 0.1, 0.1)
        day = timezone.localtime(round_.closes_at).date()
        right = width - 200
        canvas.setFont(FONT_REGULAR, 12)
        canvas.drawCentredString(right, 190, date_format(day, "DATE_FORMAT"))
        canvas.setFont(
            FONT_BOLD, _fit(canvas, contest.certificate_signer_title, FONT_BOLD, 13, 300)
        )
        canvas.drawCentredString(right, 170, contest.certificate_signer_title)
        canvas.setFont(FONT_BOLD, _fit(canvas, contest.certificate_signer_name, FONT_BOLD, 14, 300))
        canvas.drawCentredString(right, 90, contest.certificate_signer_name)
        # Verification: QR code and the code in words, on the left.
        url = certificate_verify_url(certificate, base_url)
        _draw_qr(canvas, url, 70, 70, 96)
        canvas.setFont(FONT_REGULAR, 10)
        canvas.drawString(180, 150, _("Verification code"))
        canvas.setFont(FONT_BOLD, 13)
        canvas.drawString(180, 132, certificate.code_display)
        canvas.setFont(FONT_REGULAR, 8)
        canvas.drawString(180, 116, _("Scan the code or open:"))
        canvas.drawString(180, 104, url)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


# --- The batch (a background job's body) -----------------------------------------------------


def certificates_zip(
    *,
    round_: Round,
    progress: Callable[[int, int], None],
    language: str = "vi",
    base_url: str | None = None,
) -> Path:
    """Issue the round's certificates and write them all, one PDF each, to a new temporary ZIP.

    Calls progress(done, total) once before the first PDF and after each one. The caller owns
    the returned file (serve it, then delete it)."""
    certificates = certificates_issue(round_=round_)
    certificates = list(
        Certificate.objects.filter(pk__in=[c.pk for c in certificates])
        .select_related("round__contest", "participant__school", "participant__district")
        .order_by("rank", "id")
    )
    total = len(certificates)
    progress(0, total)
    handle, name = tempfile.mkstemp(prefix=f"certificates-round{round_.pk}-", suffix=".zip")
    path = Path(name)
    try:
        with open(handle, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            for done, certificate in enumerate(certificates, start=1):
                person = slugify(unidecode(certificate.participant.full_name)) or "participant"
                archive.writestr(
                    f"{certificate.rank or 0:05d}-{person}-{certificate.code}.pdf",
                    certificate_pdf(certificate=certificate, language=language, base_url=base_url),
                )
                progress(done, total)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
