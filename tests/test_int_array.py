"""core.queries.int_array: a list of integers sent to PostgreSQL as one array literal (a round's
close sends 100,000 ids and ranks this way) reads back as the same list."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from core.queries import int_array

pytestmark = pytest.mark.django_db


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=50))
def test_postgresql_reads_the_literal_back_as_the_same_list(values):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[]", [int_array(values)])
        assert cursor.fetchone()[0] == values


@pytest.mark.parametrize("bad", [[None], ["1"], [1.5], ["1}"]])
def test_anything_but_integers_is_refused_before_it_reaches_the_database(bad):
    with pytest.raises(TypeError):
        int_array(bad)
