"""Small query helpers for the hot paths."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

import orjson
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model, QuerySet

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def one_or_none(qs: QuerySet[Any, T]) -> T | None:
    """The row a query on a unique key finds, or None. QuerySet.first() orders by the model's
    Meta.ordering (or the primary key), and Django compiles that ORDER BY on every call: on the
    attempt paths of a contest rush, a tenth of the server's CPU went there, for queries that
    match one row at most."""
    return next(iter(qs.order_by()[:1]), None)


def int_array(values: list[int]) -> str:
    """A list of integers as one PostgreSQL array literal ("{1,2,3}"), for a `%s::bigint[]` or
    `%s::integer[]` parameter. psycopg adapts a Python list element by element in Python: a
    round's close sends 100,000 ids and 100,000 ranks, which took 0.13-0.16 s of the process's
    CPU that way and 0.04 s as literals (bench/README.md "Issue #15: session 12"). A value
    that is not an integer (a float, a string, None) raises TypeError."""
    return "{" + ",".join(map(int.__repr__, values)) + "}"


class Columns:
    """A model's concrete columns in a fixed statement (`sql`, under a table alias), and its
    instance built back from a row of that statement (`build`), as the ORM would build it: JSON
    columns are read as text and parsed, as Django's JSONField does; every other value comes as
    the driver gives it (no model read this way has another converter:
    tests/contest/test_attempt_statement.py).
    For the hot paths' statements that read a row with its related rows in one round trip,
    where compiling the ORM's select_related query cost more than running it."""

    def __init__(self, model: type[Model], alias: str, *, exclude: tuple[str, ...] = ()) -> None:
        quote = connection.ops.quote_name
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if f.attname not in exclude]
        self.attnames = [f.attname for f in self.fields]
        self._json = [f.get_internal_type() == "JSONField" for f in self.fields]
        self.sql = ", ".join(
            f"{alias}.{quote(f.column)}" + ("::text" if is_json else "")
            for f, is_json in zip(self.fields, self._json, strict=True)
        )

    def build(self, row: tuple | list, start: int = 0) -> tuple[Any, int]:
        """(the instance from row[start:], the index of the row's next column)"""
        end = start + len(self.fields)
        values = [
            orjson.loads(value) if is_json and value is not None else value
            for value, is_json in zip(row[start:end], self._json, strict=True)
        ]
        return self.model.from_db(DEFAULT_DB_ALIAS, self.attnames, values), end


@functools.cache
def _model_statement(
    model: type[Model], where: str, order_by: str, exclude: tuple[str, ...]
) -> tuple[str, Columns]:
    columns = Columns(model, "t", exclude=exclude)
    sql = f"SELECT {columns.sql} FROM {model._meta.db_table} t WHERE {where}"
    return (sql + f" ORDER BY {order_by}" if order_by else sql), columns


def models_where(
    model: type[M], where: str, params: list, *, order_by: str = "", defer: tuple[str, ...] = ()
) -> list[M]:
    """The instances of `model` whose rows match `where` (SQL over the alias t, with `params`),
    in `order_by`'s order, as the ORM builds them (Columns; the attnames in `defer` left
    deferred, as QuerySet.defer leaves them), from one fixed statement: for small reads on hot
    paths, where Django compiling its query cost more than running it. PostgreSQL only (the
    caller keeps the ORM's query for any other database)."""
    sql, columns = _model_statement(model, where, order_by, defer)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [columns.build(row)[0] for row in cursor.fetchall()]


@functools.cache
def _insert_statement(model: type[Model]) -> tuple[str, list]:
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(pk.column)}"
    )
    return sql, fields


def insert_model(instance: Model) -> None:
    """Insert a new instance (its primary key given by the database) as Model.save() inserts
    it (each field's pre_save and database value), in one fixed statement: for rows a hot path
    creates, where Django compiling its INSERT cost more than running it. No signals are sent:
    for models without receivers. PostgreSQL only (RETURNING); an IntegrityError is raised as
    save() raises it."""
    sql, fields = _insert_statement(type(instance))
    values = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS
