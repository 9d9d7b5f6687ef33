"""Request verification for tests, in the spirit of WireMock's ``verify(postRequestedFor(...))`` and
respx's ``route.called``: count and find the requests vidmock received, and fail with a readable
list of the near misses when the expected ones are not there.

    vidmock.requests.count(method="POST", path="/v1/videos", json={"model": "openai/sora-2"})
    vidmock.verify(method="POST", path="/v1/videos", status="4xx", times=1)

Matching: ``method`` (any case); ``path`` exact, or a glob with ``*``; ``status`` a code or a class
(``"4xx"``); ``surface`` ``"gateway"`` (the default: what your client sent), a provider id (what the
gateway sent that emulator) or ``"*"`` (all); ``json`` a subset of the parsed body (nested mappings
compared key by key); ``headers`` a subset of the (masked) headers, names in any case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from typing import Any

_MISSING = object()
NEAR_MISSES = 5
GATEWAY, ANY = "gateway", "*"


def _json_diff(expected: Any, got: Any, where: str) -> list[str]:
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return [f"{where}: expected an object, got {got!r}"]
        out: list[str] = []
        for key, value in expected.items():
            inner = got.get(key, _MISSING)
            if inner is _MISSING:
                out.append(f"{where}.{key}: expected {value!r}, missing")
            else:
                out += _json_diff(value, inner, f"{where}.{key}")
        return out
    return [] if expected == got else [f"{where}: expected {expected!r}, got {got!r}"]


def _status_ok(code: int, wanted: int | str) -> bool:
    text = str(wanted).lower()
    if text.endswith("xx"):
        return code // 100 == int(text[0])
    return code == int(text)


def differences(row: Mapping[str, Any], criteria: Mapping[str, Any]) -> list[str]:
    """What keeps ``row`` from matching ``criteria``, one phrase each; empty when it matches."""
    out: list[str] = []
    method = criteria.get("method")
    if method is not None and row["method"].upper() != str(method).upper():
        out.append(f"method: expected {str(method).upper()}, got {row['method']}")
    path = criteria.get("path")
    if path is not None and not (fnmatchcase(row["path"], path) if "*" in path else row["path"] == path):
        out.append(f"path: expected {path}, got {row['path']}")
    surface = criteria.get("surface", GATEWAY)
    if surface not in (None, ANY) and row["surface"] != surface:
        out.append(f"surface: expected {surface}, got {row['surface']}")
    status = criteria.get("status")
    if status is not None and not _status_ok(int(row["status"]), status):
        out.append(f"status: expected {status}, got {row['status']}")
    if criteria.get("json") is not None:
        out += _json_diff(criteria["json"], row.get("body"), "json")
    headers = criteria.get("headers")
    if headers:
        have = {k.lower(): v for k, v in (row.get("headers") or {}).items()}
        for name, value in headers.items():
            if have.get(name.lower()) != value:
                out.append(f"header {name}: expected {value!r}, got {have.get(name.lower())!r}")
    return out


def describe(criteria: Mapping[str, Any]) -> str:
    parts = [str(criteria.get("method") or "ANY").upper(), str(criteria.get("path") or "*")]
    parts += [f"{k}={criteria[k]!r}" for k in ("status", "surface", "json", "headers") if criteria.get(k) is not None]
    return " ".join(parts)


def one_line(row: Mapping[str, Any]) -> str:
    error = f' "{row["error"]}"' if row.get("error") else ""
    return f"{row['surface']} {row['method']} {row['path']} -> {row['status']}{error}"


class Requests:
    """The requests one vidmock received (the gateway's and every emulator's), oldest first."""

    def __init__(self, fetch: Callable[[], list[dict[str, Any]]]) -> None:
        self._fetch = fetch

    def all(self) -> list[dict[str, Any]]:
        return self._fetch()

    def find(self, **criteria: Any) -> list[dict[str, Any]]:
        return [row for row in self._fetch() if not differences(row, criteria)]

    def count(self, **criteria: Any) -> int:
        return len(self.find(**criteria))

    def called(self, **criteria: Any) -> bool:
        return bool(self.find(**criteria))

    def verify(self, times: int | None = None, **criteria: Any) -> list[dict[str, Any]]:
        """The matching requests; AssertionError unless there are ``times`` of them (at least one when
        ``times`` is None), listing the closest requests and what differs in each."""
        rows = self._fetch()
        found = [row for row in rows if not differences(row, criteria)]
        if (len(found) >= 1) if times is None else (len(found) == times):
            return found
        wanted = "at least 1" if times is None else str(times)
        lines = [f"expected {wanted} request(s) matching {describe(criteria)}, found {len(found)}"]
        for row in found:
            lines.append(f"  matched: {one_line(row)}")
        misses = sorted(
            ((differences(row, criteria), row) for row in rows if differences(row, criteria)),
            key=lambda pair: len(pair[0]),
        )[:NEAR_MISSES]
        if misses:
            lines.append("near misses (closest first):")
            for diffs, row in misses:
                lines.append(f"  {one_line(row)}")
                lines += [f"      {d}" for d in diffs]
        lines.append(f"({len(rows)} request(s) received in all; GET /_vidmock/requests lists them)")
        raise AssertionError("\n".join(lines))
