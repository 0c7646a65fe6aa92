"""Small public types shared by the sync and async clients."""

from __future__ import annotations

import enum
import json
from typing import Any, Final, Literal, TypeAlias

import attrs
import httpx


class _NotGivenType(enum.Enum):
    # An enum member is a real singleton (survives copy and pickle) and gives mypy a Literal to narrow on.
    NOT_GIVEN = enum.auto()

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> Literal[False]:
        return False


NotGiven: TypeAlias = Literal[_NotGivenType.NOT_GIVEN]
NOT_GIVEN: Final = _NotGivenType.NOT_GIVEN
"""Marks an argument the caller did not pass, so that ``None`` can keep its own meaning (``timeout=None``)."""


def safe_attrs_repr(self: Any) -> str:
    """attrs' repr, except that it works on an object whose ``__init__`` raised half-way (error trackers render
    such objects from a traceback's locals, and a repr that raises there hides the real error)."""
    shown = []
    for field in attrs.fields(type(self)):
        if field.repr is False:
            continue
        value = getattr(self, field.name, "<unset>")
        shown.append(f"{field.alias or field.name}={field.repr(value) if callable(field.repr) else repr(value)}")
    return f"{type(self).__name__}({', '.join(shown)})"


@attrs.frozen(repr=False)
class RawResponse:
    """A provider's response as is, from ``request(..., raw=True)``: for files, binary or non-JSON bodies."""

    __repr__ = safe_attrs_repr

    status_code: int
    headers: httpx.Headers = attrs.field(repr=False)
    content: bytes = attrs.field(repr=lambda content: f"<{len(content)} bytes>")

    @property
    def text(self) -> str:
        charset = httpx.Response(self.status_code, headers=self.headers).charset_encoding or "utf-8"
        return self.content.decode(charset, errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)
