"""Participation by unit (issue 18.3): headcounts from the units CSV, rates against them as
Vietnamese contests publish them, served by the participation API to the ceremony screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from contest.models import Attempt, Participant, RoundResult
from contest.services.results import participation_by_unit, participation_rate_display
from quizzes.models import Unit
from quizzes.services.units import units_import_csv
from tests.contest.helpers import make_contest

pytestmark = pytest.mark.django_db

UNITS_CSV = (
    "code,name,level,parent_code,headcount\n"
    "TTH,Thừa Thiên Huế,province,,\n"
    "TTH-SCT,Sở Công Thương,district,TTH,4\n"
    "TTH-VD,phường Vỹ Dạ,district,TTH,\n"
    'TTH-VD-S1,THCS Vỹ Dạ,school,TTH-VD,"1 000"\n'
    "TTH-VD-S2,TH Vỹ Dạ,school,TTH-VD,416\n"
    "TTH-SCT-P,Phòng Kế hoạch,school,TTH-SCT,4\n"
)


def person(contest, unit: Unit, n: int) -> Participant:
    school = unit if unit.level == "school" else unit.parent
    return Participant.objects.create(
        contest=contest,
        full_name=f"Người {n}",
        name_key=f"nguoi {n}",
        public_name=f"Người {n}",
        unit=unit,
        school=school,
        district=school.parent,
        province=school.parent.parent,
        consent_at=timezone.now(),
    )


def take_part(round_, participant, *, complete: bool, submitted_at=None) -> None:
    now = timezone.now()
    attempt = Attempt.objects.create(
        round=round_,
        participant=participant,
        started_at=(submitted_at or now) - timedelta(minutes=1),
        deadline=now + timedelta(minutes=10),
        seed=participant.pk,
        status="submitted" if complete else "open",
        submitted_at=(submitted_at or now) if complete else None,
    )
    if complete:
        RoundResult.objects.create(
            round=round_,
            participant=participant,
            attempt=attempt,
            score=1000,
            submitted_at=submitted_at or now,
        )


def test_units_csv_imports_an_optional_headcount_and_still_accepts_four_columns():
    report = units_import_csv(text=UNITS_CSV)
    assert report.ok, report.errors
    assert Unit.objects.get(code="TTH-VD-S1").headcount == 1000
    assert Unit.objects.get(code="TTH-SCT").headcount == 4
    assert Unit.objects.get(code="TTH-VD").headcount is None
    # The old four-column file still loads, and leaves the headcounts it does not carry alone.
    old = "code,name,level,parent_code\nTTH-VD-S1,THCS Vỹ Dạ (mới),school,TTH-VD\n"
    report = units_import_csv(text=old)
    assert report.ok
    assert report.updated == 1
    unit = Unit.objects.get(code="TTH-VD-S1")
    assert (unit.name, unit.headcount) == ("THCS Vỹ Dạ (mới)", 1000)


def test_a_bad_headcount_is_reported_by_line_and_the_row_is_skipped(tmp_path, capsys):
    csv_file = tmp_path / "units.csv"
    csv_file.write_text(
        "code,name,level,parent_code,headcount\n"
        "HN,Hà Nội,province,,\n"
        "HN-BD,Ba Đình,district,HN,-3\n"
        "HN-CG,Cầu Giấy,district,HN,nhiều\n"
        "HN-TH,Tây Hồ,district,HN,250\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError):
        call_command("import_units", str(csv_file))
    err = capsys.readouterr().err
    assert "Line 3: Headcount “-3” is not a whole number" in err
    assert "Line 4: Headcount “nhiều” is not a whole number" in err
    assert Unit.objects.get(code="HN-TH").headcount == 250
    assert not Unit.objects.filter(code__in=["HN-BD", "HN-CG"]).exists()


def test_each_unit_shows_its_counts_and_rate_against_the_headcount_in_vietnamese(
    django_assert_max_num_queries,
):
    units_import_csv(text=UNITS_CSV)
    contest, round_, _questions = make_contest()
    vd = Unit.objects.get(code="TTH-VD-S1")
    office = Unit.objects.get(code="TTH-SCT-P")
    for n in range(4):  # the whole department completed
        take_part(round_, person(contest, office, n), complete=True)
    for n in range(30):  # 1416 people in Vỹ Dạ: 30 completed, 2 more started, 1 only registered
        take_part(round_, person(contest, vd, 10 + n), complete=True)
    take_part(round_, person(contest, vd, 50), complete=False)
    take_part(round_, person(contest, vd, 51), complete=False)
    person(contest, vd, 52)

    with translation.override("vi"), django_assert_max_num_queries(3):
        rows = {r["name"]: r for r in participation_by_unit(round_=round_, level="district")}
    assert rows["Sở Công Thương"]["rate_display"] == "100\u00a0%"
    vyda = rows["phường Vỹ Dạ"]
    # The district has no headcount of its own: its schools' (1000 + 416) count.
    assert (vyda["registered"], vyda["attempted"], vyda["completed"], vyda["headcount"]) == (
        33,
        32,
        30,
        1416,
    )
    assert vyda["rate_display"] == "2,12\u00a0%"
    with translation.override("en"):
        rows = {r["name"]: r for r in participation_by_unit(round_=round_, level="district")}
    assert rows["phường Vỹ Dạ"]["rate_display"] == "2.12%"


def test_a_unit_with_a_headcount_and_nobody_registered_shows_zero_percent():
    units_import_csv(text=UNITS_CSV)
    contest, round_, _questions = make_contest()
    take_part(round_, person(contest, Unit.objects.get(code="TTH-SCT-P"), 1), complete=True)
    with translation.override("vi"):
        rows = {r["name"]: r for r in participation_by_unit(round_=round_, level="school")}
    assert rows["TH Vỹ Dạ"]["registered"] == 0
    assert rows["TH Vỹ Dạ"]["rate_display"] == "0\u00a0%"
    assert rows["TH Vỹ Dạ"]["parent_name"] == "phường Vỹ Dạ"
    assert rows["Phòng Kế hoạch"]["rate_display"] == "25\u00a0%"


def test_participation_api_serves_rates_to_the_public_screen_and_hides_the_frozen_hours(
    api_client, organiser
):
    units_import_csv(text=UNITS_CSV)
    contest, round_, _questions = make_contest(freeze_hours=200)
    contest.staff.add(organiser)
    office = Unit.objects.get(code="TTH-SCT-P")
    before = round_.freeze_at - timedelta(minutes=1)
    take_part(round_, person(contest, office, 1), complete=True, submitted_at=before)
    take_part(round_, person(contest, office, 2), complete=True)  # during the freeze

    response = api_client.get(
        f"/api/rounds/{round_.pk}/participation/?level=school", HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert response.status_code == 200
    row = next(r for r in response.json()["rows"] if r["name"] == "Phòng Kế hoạch")
    assert (row["completed"], row["rate_display"]) == (1, "25\u00a0%")

    api_client.force_login(organiser)
    response = api_client.get(
        f"/api/rounds/{round_.pk}/participation/?level=school", HTTP_ACCEPT_LANGUAGE="vi"
    )
    row = next(r for r in response.json()["rows"] if r["name"] == "Phòng Kế hoạch")
    assert (row["completed"], row["rate_display"]) == (2, "50\u00a0%")


def test_participation_api_refuses_an_unknown_level(api_client):
    _contest, round_, _questions = make_contest()
    response = api_client.get(f"/api/rounds/{round_.pk}/participation/?level=galaxy")
    assert response.status_code == 400


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_vietnamese_rate_uses_a_decimal_comma_and_a_space_before_the_sign(done, headcount):
    rate = round(100 * done / headcount, 2)
    with translation.override("vi"):
        shown = participation_rate_display(rate)
    number, sign = shown.split("\u00a0")
    assert sign == "%"
    assert "." not in number
    assert float(number.replace(",", ".")) == pytest.approx(rate)


def test_ceremony_screen_and_organiser_page_include_the_live_participation_panel(client, organiser):
    contest, round_, _questions = make_contest()
    contest.staff.add(organiser)
    screen = client.get(f"/contests/{contest.slug}/rounds/{round_.pk}/screen/").content.decode()
    panel = f'data-participation-api="/api/rounds/{round_.pk}/participation/"'
    assert panel in screen
    assert "participation.js" in screen
    client.force_login(organiser)
    page = client.get(f"/organise/contests/{contest.slug}/?round={round_.pk}").content.decode()
    assert panel in page
    assert "data-participation-level" in page
