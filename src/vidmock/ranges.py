"""HTTP byte ranges for inline content, exactly as the gateway serves them (gateway.md §1.5, VC).

One range of the form ``bytes=A-B``, ``bytes=A-`` or ``bytes=-N``; the end is clamped to the size.
Anything else (start >= size, start > end, ``-0``, ``-``, several ranges, garbage) is unsatisfiable.
An ``If-Range`` header makes the gateway ignore ``Range`` and send the whole body.

Positions are ASCII digits (JavaScript's ``\\d``; ``٣`` is garbage) of any length. A number too
long for ``int`` is larger than any body, which is what RFC 9110 §14.1.2 needs to decide: a first
position past the end is unsatisfiable (416, RFC 9110 §15.5.17), a last position past the end is clamped to
the end, and a suffix longer than the body selects all of it; the gateway's own arithmetic on
``Infinity`` lands on the same answers. Never a 500 (issue 12).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"bytes=([0-9]*)-([0-9]*)")
_BEYOND_ANY_SIZE = 1 << 63  # stands for every position with more than 18 digits


def _position(digits: str) -> int:
    return int(digits) if len(digits.lstrip("0")) <= 18 else _BEYOND_ANY_SIZE


@dataclass(frozen=True)
class Slice:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int, if_range: str | None = None) -> Slice | None:
    """None means "send it all" (200); a Slice means 206; raises Unsatisfiable for 416."""
    if not header or if_range is not None:  # an empty Range is no range (VC `if (!range)`)
        return None
    m = _RANGE.fullmatch(header.strip())
    if m is None:
        raise Unsatisfiable(header)
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        raise Unsatisfiable(header)
    if first == "":
        suffix = _position(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable(header)
        return Slice(max(0, size - suffix), size - 1)
    start = _position(first)
    end = size - 1 if last == "" else min(_position(last), size - 1)
    if start >= size or (last != "" and start > _position(last)):
        raise Unsatisfiable(header)
    return Slice(start, end)
