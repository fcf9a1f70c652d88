"""Certificates (issue 18.4): the PDF carries the name with its diacritics and renders, the public
verify page confirms a real code and refuses a forged one, organisers get every PDF in one ZIP."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from contest.models import Attempt, Certificate, Participant, PrizeTier, RoundResult
from contest.services.certificates import (
    certificate_pdf,
    certificate_settings_update,
    certificates_issue,
    certificates_zip,
)
from core.errors import ApplicationError
from tests.contest.helpers import make_contest, make_school

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
NAMES = ["Nguyễn Thị Ánh Tuyết", "Trần Văn Đức", "Lê Hoàng Yến", "Phạm Quỳnh Hương", "Vũ Đình Lộc"]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def closed_round_with_results(scores: list[int]):
    """A closed round whose participants (NAMES, in order) got these scores, ranks stored."""
    contest, round_, _questions = make_contest(title_vi="Vòng chung kết", title_en="Final round")
    contest.title_vi = "Cuộc thi tìm hiểu Tuần lễ Học tập suốt đời"
    contest.save()
    units = make_school("CG", "THCS Cầu Giấy")
    now = timezone.now()
    for n, score in enumerate(scores):
        name = NAMES[n % len(NAMES)] + ("" if n < len(NAMES) else f" {n}")
        participant = Participant.objects.create(
            contest=contest,
            full_name=name,
            name_key=name.lower(),
            public_name=f"{name.split()[0]} ({units['school'].name})",
            unit=units["school"],
            school=units["school"],
            district=units["district"],
            province=units["province"],
            consent_at=now,
        )
        attempt = Attempt.objects.create(
            round=round_,
            participant=participant,
            started_at=now - timedelta(hours=2),
            deadline=now - timedelta(hours=1),
            seed=n,
            status="submitted",
            score=score,
        )
        RoundResult.objects.create(
            round=round_,
            participant=participant,
            attempt=attempt,
            score=score,
            time_ms=60_000 + n,
            submitted_at=now - timedelta(hours=1, minutes=n),
        )
    round_.opens_at, round_.closes_at = now - timedelta(days=3), now - timedelta(minutes=1)
    round_.save()
    certificate_settings_update(
        round_=round_,
        signer_name="Nguyễn Văn Hùng",
        signer_title="GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO",
        tiers=[
            {"name_vi": "Giải Nhất", "name_en": "First prize", "places": 1},
            {"name_vi": "Giải Nhì", "name_en": "Second prize", "places": 2},
        ],
    )
    return contest, round_


def test_the_pdf_has_the_name_with_its_diacritics_and_renders_a_visible_page():
    _contest, round_ = closed_round_with_results([3000, 2000, 1000])
    winner = next(c for c in certificates_issue(round_=round_) if c.rank == 1)
    pdf = certificate_pdf(certificate=winner, language="vi", base_url="https://thi.example.vn")

    text = nfc(PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert "Nguyễn Thị Ánh Tuyết" in text
    assert "Giải Nhất" in text
    assert "THCS Cầu Giấy" in text
    assert "GIÁM ĐỐC SỞ GIÁO DỤC VÀ ĐÀO TẠO" in text
    assert "Nguyễn Văn Hùng" in text
    assert winner.code_display in text
    assert "Ngày" in text
    assert "tháng" in text

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "certificate.pdf").write_bytes(pdf)
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils is needed (.ci/system-deps.sh browser)"
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "60",
            "-singlefile",
            str(ARTIFACTS / "certificate.pdf"),
            str(ARTIFACTS / "certificate"),
        ],
        check=True,
        timeout=60,
    )
    image = Image.open(ARTIFACTS / "certificate.png").convert("L")
    assert image.width > image.height  # landscape
    dark = sum(1 for px in image.get_flattened_data() if px < 128)
    assert dark > image.width * image.height * 0.01  # text, frame and QR code are on the page


def test_a_participant_without_a_prize_gets_a_participation_certificate():
    _contest, round_ = closed_round_with_results([3000, 2000, 1000, 500])
    certificates = {c.rank: c for c in certificates_issue(round_=round_)}
    assert [certificates[r].prize_vi for r in (1, 2, 3, 4)] == [
        "Giải Nhất",
        "Giải Nhì",
        "Giải Nhì",
        "",
    ]
    text = nfc(
        PdfReader(io.BytesIO(certificate_pdf(certificate=certificates[4], language="en")))
        .pages[0]
        .extract_text()
    )
    assert "completed the round" in text
    assert "prize" not in text


def test_issuing_again_keeps_the_codes_and_codes_are_unguessable():
    _contest, round_ = closed_round_with_results([3000, 2000, 1000])
    first = {c.participant_id: c.code for c in certificates_issue(round_=round_)}
    again = {c.participant_id: c.code for c in certificates_issue(round_=round_)}
    assert first == again
    assert len(set(first.values())) == 3
    assert all(len(code) == 16 for code in first.values())


def test_certificates_wait_for_the_round_to_close():
    _contest, round_, _questions = make_contest()
    with pytest.raises(ApplicationError) as error:
        certificates_issue(round_=round_)
    assert error.value.status == 409


def test_verify_page_confirms_a_real_code_with_the_masked_or_full_name(client):
    contest, round_ = closed_round_with_results([3000, 2000])
    winner = next(c for c in certificates_issue(round_=round_) if c.rank == 1)

    page = client.get(f"/verify/{winner.code}", HTTP_ACCEPT_LANGUAGE="vi")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Giải Nhất" in html
    assert contest.title_vi in html
    assert "THCS Cầu Giấy" in html
    assert "Nguyễn (THCS Cầu Giấy)" in html
    assert "Nguyễn Thị Ánh Tuyết" not in html

    contest.certificate_full_name = True
    contest.save()
    # As printed (grouped with dashes), in lower case: still the same certificate.
    page = client.get(f"/verify/{winner.code_display.lower()}", HTTP_ACCEPT_LANGUAGE="vi")
    assert page.status_code == 200
    assert "Nguyễn Thị Ánh Tuyết" in page.content.decode()


def test_verify_page_refuses_a_forged_code_with_a_clear_404(client):
    _contest, round_ = closed_round_with_results([3000])
    real = certificates_issue(round_=round_)[0].code
    forged = real[:-1] + ("A" if real[-1] != "A" else "B")
    for code in (forged, "AAAA-BBBB-CCCC-DDDD"):
        page = client.get(f"/verify/{code}", HTTP_ACCEPT_LANGUAGE="vi")
        assert page.status_code == 404
        assert "Không phải giấy chứng nhận hợp lệ" in page.content.decode()


def test_organiser_downloads_every_certificate_of_a_round_as_one_zip(
    api_client, organiser, student
):
    contest, round_ = closed_round_with_results([3000, 2000, 1000])
    url = f"/api/rounds/{round_.pk}/certificates.zip"
    assert api_client.get(url).status_code in (401, 403)
    api_client.force_login(student)
    assert api_client.get(url).status_code == 403

    contest.staff.add(organiser)
    api_client.force_login(organiser)
    response = api_client.get(url)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert len(names) == 3
    assert names[0].startswith("00001-nguyen-thi-anh-tuyet-")
    first = PdfReader(io.BytesIO(archive.read(names[0]))).pages[0].extract_text()
    assert "Nguyễn Thị Ánh Tuyết" in nfc(first)


def test_certificates_zip_reports_progress_and_leaves_a_file_for_the_caller():
    _contest, round_ = closed_round_with_results([3000, 2000, 1000, 900])
    calls = []
    path = certificates_zip(round_=round_, progress=lambda done, total: calls.append((done, total)))
    try:
        assert calls == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
        assert len(zipfile.ZipFile(path).namelist()) == 4
    finally:
        path.unlink()


def test_prize_settings_api_is_for_contest_staff_and_rejects_bad_tiers(api_client, organiser):
    contest, round_ = closed_round_with_results([3000])
    url = f"/api/rounds/{round_.pk}/certificates/settings/"
    assert api_client.put(url, {"tiers": []}, format="json").status_code in (401, 403)
    contest.staff.add(organiser)
    api_client.force_login(organiser)
    bad = api_client.put(url, {"tiers": [{"name_vi": "", "places": 0}]}, format="json")
    assert bad.status_code == 400
    assert [t.name_vi for t in round_.prize_tiers.all()] == ["Giải Nhất", "Giải Nhì"]
    good = api_client.put(
        url,
        {"signer_name": "Trần Thị Mai", "tiers": [{"name_vi": "Giải Đặc biệt", "places": 3}]},
        format="json",
    )
    assert good.status_code == 200
    assert good.json()["tiers"] == [{"name_vi": "Giải Đặc biệt", "name_en": "", "places": 3}]
    assert good.json()["signer_name"] == "Trần Thị Mai"


@given(
    places=st.lists(st.integers(1, 5), min_size=0, max_size=4),
    rank=st.integers(1, 30),
    score=st.integers(0, 5000),
)
def test_prize_tiers_cover_consecutive_ranks_best_first(places, rank, score):
    tiers = [PrizeTier(name_vi=f"Giải {i}", places=p) for i, p in enumerate(places)]
    tier = PrizeTier.for_rank(tiers, rank, score)
    if score == 0 or rank > sum(places):
        assert tier is None
    else:
        index = tiers.index(tier)
        assert sum(places[:index]) < rank <= sum(places[: index + 1])


def test_certificate_rows_are_one_per_participant():
    _contest, round_ = closed_round_with_results([3000, 2000])
    certificates_issue(round_=round_)
    certificates_issue(round_=round_)
    assert Certificate.objects.filter(round=round_).count() == 2


def test_organiser_page_saves_prize_tiers_and_signer_and_links_the_zip_when_closed(
    client, organiser
):
    contest, round_ = closed_round_with_results([3000])
    contest.staff.add(organiser)
    client.force_login(organiser)
    url = f"/organise/contests/{contest.slug}/?round={round_.pk}"
    response = client.post(
        url,
        {
            "action": "certificates",
            "round": round_.pk,
            "tiers": "Giải Nhất | First prize | 1\nGiải Khuyến khích | 5\n",
            "signer_title": "TRƯỞNG BAN TỔ CHỨC",
            "signer_name": "Lê Thị Hoa",
            "full_name": "on",
        },
    )
    assert response.status_code == 302
    assert [(t.name_vi, t.name_en, t.places) for t in round_.prize_tiers.all()] == [
        ("Giải Nhất", "First prize", 1),
        ("Giải Khuyến khích", "", 5),
    ]
    contest.refresh_from_db()
    assert contest.certificate_signer_name == "Lê Thị Hoa"
    assert contest.certificate_full_name
    page = client.get(url).content.decode()
    assert f"/api/rounds/{round_.pk}/certificates.zip" in page
    assert "Giải Khuyến khích |  | 5" in page
