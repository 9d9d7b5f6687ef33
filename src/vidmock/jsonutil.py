"""Fast JSON on the hot paths, with the standard library as the arbiter of every edge case.

orjson encodes and decodes the common case at a fraction of ``json``'s cost. Where it refuses
something (integers beyond 64 bits, escaped lone surrogates, nesting past 1024), ``json`` decides,
so what is accepted and what a caller sees in an error message stay exactly as before.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, the shape ``JSON.stringify`` produces."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def loads(data: str | bytes) -> Any:
    """Strict JSON (no NaN or Infinity); raises ValueError (or RecursionError) as ``json`` would."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data, parse_constant=_reject_constant)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
