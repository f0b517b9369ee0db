"""Typed reads of wire values.

EC2 and query services answer in XML, where every leaf is text: the host
keeps those values as strings (`"size": "100"`, `"encrypted": "false"`).
These readers take the string form and the native JSON form alike, so one
collector reads both protocols:

    wire.number("100") == 100, wire.number("1.5") == 1.5, wire.number(7) == 7
    wire.boolean("false") is False, wire.boolean(True) is True

A value of another shape raises ApiError `trawl.UnexpectedShape`, which
fails the target with that code if it escapes `collect`.
"""

import json
import math
import re

from .errors import ApiError

__all__ = ["boolean", "number"]

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _shape(what: str, value) -> ApiError:
    try:
        shown = json.dumps(value)
    except (TypeError, ValueError):
        shown = repr(value)
    return ApiError("trawl.UnexpectedShape", f"expected {what}, got {shown[:40]}")


def number(value):
    """An int for whole-number text or ints, a float for other numbers."""
    if isinstance(value, bool):
        raise _shape("a number", value)
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        if _NUMBER.fullmatch(text) and math.isfinite(float(text)):
            return float(text)
    raise _shape("a number", value)


def boolean(value) -> bool:
    """True or False, from a JSON boolean or the text "true" / "false"."""
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    raise _shape("a boolean", value)
