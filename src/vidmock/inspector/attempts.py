"""Webhook attempts: the table on a job's page and the signature verdict of each attempt.

The verdict is computed with ``vidmock.webhooks.verify`` against the job's callback secret at the
time the attempt was sent (webhooks.md §W1), so the page never needs to show the secret.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from ..webhooks import VerificationError, verify
from .markup import attr, code, details, http, json_or_text, text, time_tag

if TYPE_CHECKING:
    from ..server import Runtime


def verdict(runtime: Runtime, doc: dict[str, Any], row: dict[str, Any]) -> tuple[bool, str]:
    """Does the attempt's signature verify against the job's callback_secret, at the time it was sent?"""
    secret = doc.get("callback_secret")
    if not secret:
        return False, "no callback secret on the job"
    scheme = getattr(runtime.webhooks, "scheme", runtime.config.webhook_scheme)
    try:
        verify(
            scheme,
            str(row.get("request_body") or "").encode(),
            row.get("request_headers") or {},
            secret,
            now=float(row["last_tried_at"]),
            tolerance=None,  # signed at the real send time (Clock.wall_time), not the emulated clock
        )
    except VerificationError as exc:
        return False, f"invalid ({exc.reason}): {exc.message}"
    return True, f"valid {scheme} signature"


def attempts_table(runtime: Runtime, doc: dict[str, Any]) -> str:
    rows = runtime.webhooks.rows(str(doc.get("id")))
    if not rows:
        why = (
            "no callback_url and callback_secret on this job"
            if not doc.get("callback_url")
            else "none yet: the first attempt is made when the job ends"
        )
        return f'<p id="no-webhooks">{escape(why)}</p>'
    out = []
    for row in rows:
        ok, shown = verdict(runtime, doc, row) if row.get("last_tried_at") is not None else (None, "not sent yet")
        cls = "pending" if ok is None else ("ok" if ok else "bad")
        bodies = (
            details(
                "request and response",
                [
                    ("request headers", row.get("request_headers")),
                    ("request body", json_or_text(row.get("request_body"))),
                    ("response body", row.get("response_body")),
                ],
                key=f"attempt-{row['attempt']}",
            )
            if row.get("request_body") is not None
            else ""
        )
        out.append(
            f'<tr class="attempt" data-attempt="{attr(row["attempt"])}">'
            f"<td>{escape(str(row['attempt']))}</td><td>{code(row.get('event_id'))}</td>"
            f"<td>{escape(str(row['status']))}</td>"
            f"<td>{time_tag(row.get('last_tried_at'))}</td><td>{time_tag(row.get('next_retry_at'))}</td>"
            f'<td class="response">{http(row.get("response_status"))}</td>'
            f'<td><span class="verdict {cls}">{escape(shown)}</span></td>'
            f"<td>{text(row.get('error'))}</td></tr>"
        )
        if bodies:  # a row of its own, the table's full width: a body in a narrow cell is unreadable
            out.append(f'<tr class="attempt-bodies"><td></td><td colspan="7">{bodies}</td></tr>')
    return (
        '<div class="box"><table id="webhooks" class="fixed"><colgroup><col class="w-num"><col class="w-id">'
        '<col class="w-status"><col class="w-time"><col class="w-time"><col class="w-resp"><col class="w-verdict"><col>'
        "</colgroup>"
        "<thead><tr><th>#</th><th>event</th><th>status</th><th>tried</th>"
        "<th>next retry</th><th>response</th><th>signature</th><th>error</th></tr></thead><tbody>"
        + "".join(out)
        + "</tbody></table></div>"
    )
