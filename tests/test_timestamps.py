"""An instant's milliseconds (a result's submission time, the last tie-break of a board) are the
same whether the database computes them for a whole board (the close, a rebuild) or Python does
for one row (a hand-in): otherwise two hand-ins a millisecond apart could swap places between the
live board and the final one."""

import calendar
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.sessions.models import Session

from core.timestamps import EpochMs, epoch_ms


def exact_ms(dt: datetime) -> int:
    return calendar.timegm(dt.utctimetuple()) * 1000 + dt.microsecond // 1000


def instants() -> list[datetime]:
    rng = random.Random(7)
    out = [
        # 2004-04-14 02:19:28.179: the float formula int(dt.timestamp() * 1000) gives .178
        datetime(2004, 4, 14, 2, 19, 28, 179000, tzinfo=UTC),
        datetime(2026, 10, 1, 7, 0, 0, tzinfo=UTC),  # no fraction at all
        datetime(2026, 10, 1, 7, 0, 0, 999999, tzinfo=UTC),
        datetime(2026, 10, 1, 7, 0, 0, 1, tzinfo=UTC),
    ]
    for _n in range(400):
        second = rng.randint(946_684_800, 4_102_444_800)  # 2000 to 2100
        micro = rng.choice([rng.randint(0, 999) * 1000, rng.randint(0, 999_999)])
        out.append(datetime.fromtimestamp(second, UTC) + timedelta(microseconds=micro))
    return out


def test_python_gives_an_instant_its_exact_milliseconds():
    for dt in instants():
        assert epoch_ms(dt) == exact_ms(dt), dt
    assert epoch_ms(None) is None


@pytest.mark.django_db
def test_the_database_gives_a_stored_instant_the_same_milliseconds_as_python():
    stamps = instants()
    Session.objects.bulk_create(
        Session(session_key=f"k{n:05d}", session_data="", expire_date=dt)
        for n, dt in enumerate(stamps)
    )
    got = dict(Session.objects.annotate(ms=EpochMs("expire_date")).values_list("session_key", "ms"))
    for n, dt in enumerate(stamps):
        assert got[f"k{n:05d}"] == epoch_ms(dt) == exact_ms(dt), dt
