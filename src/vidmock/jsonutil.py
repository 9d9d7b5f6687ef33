"""Fast JSON on the hot paths, with the standard library as the arbiter of every edge case.

orjson encodes and decodes the common case at a fraction of ``json``'s cost. Where it refuses
something (integers beyond 64 bits, escaped lone surrogates, nesting past 1024), ``json`` decides,
so what is accepted and what a caller sees in an error message stay exactly as before.

Two inputs ``json`` accepts but no caller can use are refused or mapped as ``JSON.parse`` does
(issue 12): an escaped lone surrogate (``"\\ud800"``) is not a Unicode string, so it is an
``InvalidJSON`` (a ``ValueError``, which every surface already answers with its own 4xx) instead of
a value that fails later when it is stored or echoed; an integer too long for ``int`` (Python's
4,300-digit limit) becomes ``inf``, as ``JSON.parse`` makes it ``Infinity``, which the validators
then refuse like ``1e400``.
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


class InvalidJSON(ValueError):
    """JSON that ``json`` parses but that holds no usable value (a lone surrogate)."""


def loads(data: str | bytes) -> Any:
    """Strict JSON (no NaN or Infinity); raises ValueError (or RecursionError) as ``json`` would."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        value = json.loads(data, parse_constant=_reject_constant, parse_int=_parse_int)
    _refuse_surrogates(value)
    return value


def _parse_int(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:  # past sys.get_int_max_str_digits(): JSON.parse's Infinity
        return float(text)


def _refuse_surrogates(value: Any) -> None:
    """Only on the slow path (orjson refused the document), iteratively so depth costs no stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                _check_text(key)
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidJSON("a JSON string holds a lone surrogate (an escaped \\ud800-\\udfff)") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
