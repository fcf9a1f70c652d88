"""JSON input keeps its types: a text field refuses a number and a flag refuses 0 or 1.

DRF coerces `0` into "0" for text and into False for booleans. Our clients send JSON, where the
type is part of the value, so guessing hides client bugs and lets the API accept what the schema
says it refuses. Serializers that take API input mix this in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

NOT_A_STRING = _("Must be text.")
NOT_A_BOOLEAN = _("Must be true or false.")
TOO_LONG = _("At most %(max)s characters.")
UNKNOWN_FIELD = _("Unknown field.")
_UNKNOWN_NAMED = 20  # a body of a thousand unknown keys gets the first few named, not all echoed
TEXT_FIELDS = (
    serializers.CharField,
    serializers.SlugField,
    serializers.EmailField,
    serializers.URLField,
    serializers.RegexField,
)


# The widest whole number the database holds (PostgreSQL's bigint, SQLite's INTEGER).
BIGINT_MAX = 2**63 - 1


class IdField(serializers.IntegerField):
    """A row's id in API input: a whole number the database can hold (a bigger one is refused as
    input, where the query it reached failed with a server error)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", -BIGINT_MAX - 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)


# A mixin for serializers: typed as one, a plain class at run time (it comes first in the MRO).
if TYPE_CHECKING:
    _Base = serializers.Serializer
else:
    _Base = object


class StrictTypes(_Base):
    # Settings changes (a round's) refuse a field they do not know: a misnamed one (`quiz` for
    # `quiz_id`) dropped in silence leaves its sender believing the change was made.
    refuse_unknown_fields = False

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors: dict[str, list[Any]] = {}
            if self.refuse_unknown_fields:
                unknown = [str(name)[:100] for name in data if name not in self.fields]
                errors.update((name, [UNKNOWN_FIELD]) for name in unknown[:_UNKNOWN_NAMED])
            for name, field in self.fields.items():
                if field.read_only:
                    continue
                value = data.get(field.field_name, empty)
                if value is empty or value is None:
                    continue
                if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
                    errors[name] = [NOT_A_BOOLEAN]
                elif isinstance(field, TEXT_FIELDS) and not isinstance(value, str):
                    errors[name] = [NOT_A_STRING]
                elif isinstance(field, TEXT_FIELDS) and field.max_length is not None:
                    # DRF trims spaces before it checks the length: the limit holds as sent.
                    if len(value) > field.max_length:
                        errors[name] = [TOO_LONG % {"max": field.max_length}]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
