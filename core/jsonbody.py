"""Reading a JSON request body: one rule for Django's API (the parser below) and the fast paths
that read bodies themselves. A body nested deeper than Python's recursion limit makes `json`
raise RecursionError, which no caller expects from a parser: here it is an invalid body like any
other (ValueError; a 400 "malformed" through the API's error handler)."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def loads(data: bytes | str, **kwargs: Any) -> Any:
    """json.loads, with a body nested too deeply refused as a ValueError."""
    try:
        return json.loads(data, **kwargs)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body nested too deeply with a ParseError (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError() from None
