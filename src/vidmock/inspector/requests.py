"""The inspector's request table: what the gateway and the emulators received, newest first, from
the request journal (``vidmock.requestlog``). Identical consecutive rows (a job's polls) are folded
into one with a count, so eighteen polls are one line."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from ..journal import Journal
from ..requestlog import RequestLog, merged

SHOWN = 100  # rows, after folding


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


def render_requests(log: RequestLog, journal: Journal) -> str:
    rows = fold(list(reversed(merged(log, journal))))[:SHOWN]
    body = []
    for row, n in rows:
        at = datetime.fromtimestamp(float(row["at"]), UTC)
        status = int(row["status"])
        ms = "" if row["duration_ms"] is None else f"{row['duration_ms']:.1f}"
        body.append(
            f'<tr class="request{" rejected" if status >= 400 else ""}">'
            f'<td><time datetime="{at.isoformat()}">{at:%H:%M:%S}Z</time></td>'
            f"<td>{escape(row['surface'])}</td><td>{escape(row['method'])}</td>"
            f"<td><code>{escape(row['path'])}</code></td>"
            f'<td class="http">{status}</td><td class="error">{escape(row["error"] or "")}</td>'
            f'<td>{ms}</td><td class="times">{f"×{n}" if n > 1 else ""}</td></tr>'
        )
    empty = '<tr class="empty"><td colspan="8">No requests yet.</td></tr>'
    return (
        f"<h2>Requests <small>{len(log.records) + len(journal.entries)}</small></h2>"
        '<table id="requests"><thead><tr><th>time</th><th>surface</th><th>method</th><th>path</th>'
        "<th>status</th><th>error</th><th>ms</th><th>repeats</th></tr></thead><tbody>"
        + ("".join(body) or empty)
        + "</tbody></table>"
    )
