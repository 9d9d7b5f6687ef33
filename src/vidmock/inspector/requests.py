"""The inspector's request table: what the gateway and the emulators received, newest first, from
the request journal (``vidmock.requestlog``). Identical consecutive rows (a job's polls) are folded
into one with a count, so eighteen polls are one line. A form filters by surface, method, status
and a search over path and error; each row copies as a curl command (secrets as ``$API_KEY``)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from datetime import UTC, datetime
from html import escape
from typing import Any

from ..journal import Journal
from ..requestlog import RequestLog, merged, select

SHOWN = 100  # rows, after folding
SECRET_HEADERS = ("authorization", "x-api-key", "x-goog-api-key", "api-key")
KEPT_HEADERS = ("content-type", "x-vidmock-scenario", "x-vidmock-seed", "idempotency-key", "x-no-fallback")


def fold(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """Consecutive rows with the same surface, method, path, status and error become one, counted."""
    out: list[tuple[dict[str, Any], int]] = []
    for row in rows:
        key = (row["surface"], row["method"], row["path"], row["status"], row["error"])
        if out:
            last, n = out[-1]
            if (last["surface"], last["method"], last["path"], last["status"], last["error"]) == key:
                out[-1] = (last, n + 1)
                continue
        out.append((row, 1))
    return out


def as_curl(row: Mapping[str, Any], base_url: str) -> str:
    """The request as a curl command against this vidmock; credentials become ``$API_KEY``."""
    base = base_url if row["surface"] == "gateway" else f"{base_url}/providers/{row['surface']}"
    url = base + row["path"] + (f"?{row['query']}" if row.get("query") else "")
    parts = ["curl", "-s"] + (["-X", row["method"]] if row["method"] not in ("GET", "POST") else [])
    parts.append(shlex.quote(url))
    headers = {k.lower(): v for k, v in (row.get("headers") or {}).items()}
    if "authorization" in headers:
        parts += ["-H", '"Authorization: Bearer $API_KEY"']
    elif any(h in headers for h in SECRET_HEADERS):
        name = next(h for h in SECRET_HEADERS if h in headers)
        parts += ["-H", f'"{name}: $API_KEY"']
    for name in KEPT_HEADERS:
        if name in headers:
            parts += ["-H", shlex.quote(f"{name}: {headers[name]}")]
    body = row.get("body")
    if isinstance(body, (dict, list)):
        parts += ["-d", shlex.quote(json.dumps(body, separators=(",", ":")))]
    elif isinstance(body, str) and body:
        parts += ["-d", shlex.quote(body)]
    return " ".join(parts)


def _search(rows: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    needle = text.lower()
    return [r for r in rows if needle in r["path"].lower() or needle in (r["error"] or "").lower()]


def _form(rows: list[dict[str, Any]], filters: Mapping[str, str]) -> str:
    surfaces = sorted({r["surface"] for r in rows})
    chosen = filters.get("surface", "")
    options = "".join(
        f'<option value="{escape(s)}"{" selected" if s == chosen else ""}>{escape(s) or "any surface"}</option>'
        for s in ["", *surfaces]
    )

    def field(name: str, placeholder: str, size: int) -> str:
        value = escape(filters.get(name, ""))
        return f'<input name="{name}" value="{value}" placeholder="{placeholder}" size="{size}">'

    return (
        '<form id="request-filter" method="get" style="margin:8px 0;display:flex;gap:6px;flex-wrap:wrap">'
        f'<select name="surface">{options}</select>{field("method", "method", 6)}'
        f"{field('status', 'status (404, 4xx)', 12)}{field('q', 'search path or error', 24)}"
        '<button type="submit">filter</button></form>'
    )


def render_requests(log: RequestLog, journal: Journal, filters: Mapping[str, str], base_url: str) -> str:
    everything = list(reversed(merged(log, journal)))
    wanted = {k: v for k, v in filters.items() if k in ("surface", "method", "status") and v}
    if wanted.get("status") and not (wanted["status"].isdigit() or wanted["status"].lower().endswith("xx")):
        wanted.pop("status")  # a status the table cannot read is ignored, not an error page
    shown = select(everything, wanted)
    if filters.get("q"):
        shown = _search(shown, filters["q"])
    body = []
    for row, n in fold(shown)[:SHOWN]:
        at = datetime.fromtimestamp(float(row["at"]), UTC)
        status = int(row["status"])
        ms = "" if row["duration_ms"] is None else f"{row['duration_ms']:.1f}"
        curl = escape(as_curl(row, base_url))
        body.append(
            f'<tr class="request{" rejected" if status >= 400 else ""}">'
            f'<td><time datetime="{at.isoformat()}">{at:%H:%M:%S}Z</time></td>'
            f"<td>{escape(row['surface'])}</td><td>{escape(row['method'])}</td>"
            f'<td style="overflow-wrap:anywhere"><code>{escape(row["path"])}</code></td>'
            f'<td class="http">{status}</td><td class="error" style="overflow-wrap:anywhere">'
            f'{escape(row["error"] or "")}</td><td>{ms}</td><td class="times">{f"×{n}" if n > 1 else ""}</td>'
            f'<td><button type="button" class="copy-curl" data-curl="{curl}">copy as curl</button></td></tr>'
        )
    empty = '<tr class="empty"><td colspan="9">No requests match.</td></tr>'
    script = (
        "<script>document.querySelectorAll('button.copy-curl').forEach(function (b) {"
        " b.addEventListener('click', function () { var t = b.getAttribute('data-curl');"
        " (navigator.clipboard ? navigator.clipboard.writeText(t) : Promise.reject()).then("
        " function () { b.textContent = 'copied'; }, function () { window.prompt('curl', t); }); }); });</script>"
    )
    return (
        f"<h2>Requests <small>{len(shown)} of {len(everything)}</small></h2>{_form(everything, filters)}"
        '<table id="requests" style="table-layout:fixed"><thead><tr><th style="width:6em">time</th>'
        '<th style="width:8em">surface</th><th style="width:5em">method</th><th>path</th>'
        '<th style="width:4em">status</th><th>error</th><th style="width:4em">ms</th>'
        '<th style="width:4em">repeats</th><th style="width:8em"></th></tr></thead><tbody>'
        + ("".join(body) or empty)
        + "</tbody></table>"
        + script
    )
