"""Organiser forms go through the API's serializers (contest.apis), as the bank's import wizard goes
through its API: the page turns its HTML form into the JSON body the API takes, the API's
serializer validates it, and the same service writes. So a limit, a choice or a required field is
written once, in the serializer, whichever way an organiser sends it.

The translation is only about HTML: every form value is text, a checkbox is present or absent,
repeated fields are lists. A blank field is left out (the API's and the model's default apply)
unless the form says what blank means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework import serializers

from quizzes.errors import ApplicationError


def _number(raw: str, kind: type) -> Any:
    try:
        return kind(raw)
    except ValueError:
        return raw  # the serializer says what is wrong with it


def form_body(
    post,
    *,
    fields: Iterable[str],
    flags: Iterable[str] = (),
    ints: Iterable[str] = (),
    floats: Iterable[str] = (),
    lists: Iterable[str] = (),
    blank: Mapping[str, Any] | None = None,
    rename: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The API body an HTML form stands for (`rename`: form field -> API field)."""
    flags, ints, floats, lists = set(flags), set(ints), set(floats), set(lists)
    blank, rename = blank or {}, rename or {}
    body: dict[str, Any] = {}
    for name in fields:
        key = rename.get(name, name)
        if name in flags:
            body[key] = post.get(name) == "on"
            continue
        if name in lists:
            body[key] = post.getlist(name)
            continue
        raw = post.get(name)
        if raw is None or raw.strip() == "":
            if name in blank:
                body[key] = blank[name]
            continue
        if name in ints:
            body[key] = _number(raw, int)
        elif name in floats:
            body[key] = _number(raw, float)
        else:
            body[key] = raw
    return body


def validated(
    serializer_class: type[serializers.Serializer], body: Mapping[str, Any], *, partial=False
) -> dict[str, Any]:
    """The serializer's validated data, or an ApplicationError the page shows (each field's
    first message, named by its field)."""
    serializer = serializer_class(data=dict(body), partial=partial)
    if serializer.is_valid():
        return dict(serializer.validated_data)
    raise ApplicationError(
        "invalid", "; ".join(_messages(serializer.errors)), serializer.errors, status=400
    )


def _messages(errors, prefix: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(errors, Mapping):
        for field, value in errors.items():
            name = field if field != "non_field_errors" else ""
            out += _messages(value, f"{prefix}{name}: " if name else prefix)
    elif isinstance(errors, list):
        for value in errors:
            if isinstance(value, (Mapping, list)):
                out += _messages(value, prefix)
            else:
                out.append(f"{prefix}{value}")
                break  # the first message of a field says enough
    else:
        out.append(f"{prefix}{errors}")
    return out
