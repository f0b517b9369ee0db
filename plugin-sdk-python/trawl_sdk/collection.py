"""What `collect` returns: records and per-target totals."""

import json

from .errors import Failed

__all__ = ["Collection"]


class Collection:
    """Records of one target plus named totals the host sums over the run."""

    __slots__ = ("_records", "_totals")

    def __init__(self):
        self._records = []
        self._totals = {}

    def push(self, record: dict) -> "Collection":
        """Adds one record, a dict (a JSON object) of JSON values. Anything
        else raises Failed `trawl.RecordNotObject`."""
        if not isinstance(record, dict):
            try:
                shown = json.dumps(record, ensure_ascii=False)
            except (TypeError, ValueError):
                shown = repr(record)
            raise Failed("trawl.RecordNotObject", f"a record must be a JSON object, got {shown[:40]}")
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                # A lone surrogate cannot cross into the host as text: escape
                # it, and let the host judge the JSON.
                text = json.dumps(record, separators=(",", ":"), allow_nan=False)
        self._records.append(text)
        return self

    def total(self, name: str, value: int) -> "Collection":
        """Sets a named total for this target (replacing an earlier value):
        a whole number from 0 to 2**64-1."""
        if not isinstance(name, str):
            raise TypeError(f"a total's name must be text, got {name!r}")
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"total `{name}` must be a whole number, got {value!r}")
        if not 0 <= value < 2**64:
            raise ValueError(f"total `{name}` must be between 0 and 2**64-1, got {value}")
        self._totals[name] = value
        return self

    def __len__(self) -> int:
        """Number of records so far."""
        return len(self._records)

    @property
    def records(self) -> list:
        """The records so far, as the JSON strings the host receives."""
        return list(self._records)

    @property
    def totals(self) -> dict:
        """The totals so far, name to value, in the order first set."""
        return dict(self._totals)

    def __repr__(self) -> str:
        return f"<Collection of {len(self._records)} records, totals {self._totals}>"
