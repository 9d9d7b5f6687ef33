"""A job's timeline: its statuses, every upstream call the provider emulator received, and each
webhook attempt, in time order, with runs of identical polls collapsed into one row.

A job on a 95 s render polled every 5 s makes 18 identical rows; one row ``poll × 18, 5 s apart,
from t=+5 s to t=+90 s`` says the same, and expands to the times and the one request and response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from ..gateway.domain.status import TERMINAL
from ..journal import Entry
from .attempts import verdict
from .curl import upstream_command
from .markup import DASH, attr, copy_button, details, http, pre, pre_text, seconds, status, time_tag

if TYPE_CHECKING:
    from ..server import Runtime


@dataclass
class Event:
    at: float
    order: int  # among events at the same moment: created, upstream, status, webhook
    source: str  # "status", "upstream <provider>", "webhook"
    what: str  # HTML
    http: str  # HTML
    body: str = ""  # HTML: details under the row
    same: tuple[Any, ...] | None = None  # identical upstream polls share it (collapse key)
    call: Entry | None = None
    key: str = ""


@dataclass
class Run:
    """Consecutive identical events, shown as one row."""

    events: list[Event] = field(default_factory=list)


def calls_for(runtime: Runtime, doc: dict[str, Any]) -> list[Entry]:
    """Journal entries of the job's provider that name its upstream id (path, body or response)."""
    upstream = str(doc.get("upstream_id") or "")
    if not upstream:
        return []
    out = []
    for entry in list(runtime.journal.entries):
        if entry.service != doc.get("provider"):
            continue
        haystack = entry.path + " " + entry.query + " " + json.dumps([entry.body, entry.response], default=str)
        if upstream in haystack:
            out.append(entry)
    return out


def events(runtime: Runtime, doc: dict[str, Any], base_url: str) -> list[Event]:
    now = runtime.clock.now()
    created = float(doc.get("created_at") or 0)
    out: list[Event] = []
    history = doc.get("history") or [[created, "queued", 0]]
    for i, (at, state, progress) in enumerate(history):
        label = "created" if i == 0 else "status"
        error = pre(doc["error"]) if state in TERMINAL and doc.get("error") else ""
        what = f"{label}: {status(str(state))} ({escape(str(progress))}%)"
        out.append(Event(float(at), 2 if i else 0, "status", what, DASH, error))
    calls = calls_for(runtime, doc)
    for i, entry in enumerate(calls):
        out.append(_call_event(entry, "submit" if i == 0 else "poll", base_url, f"call-{i}"))
    if not doc.get("history") and str(doc.get("status")) in TERMINAL:  # a job stored before histories
        at = doc.get("completed_at") or (calls[-1].at if calls else now)
        error = pre(doc["error"]) if doc.get("error") else ""
        out.append(Event(float(at), 2, "status", status(str(doc.get("status"))), DASH, error))
    for row in runtime.webhooks.rows(str(doc.get("id"))):
        if row.get("last_tried_at") is None:
            due = row.get("next_retry_at")
            what = f"attempt {escape(str(row['attempt']))} {escape(str(row['event_type']))}: due"
            out.append(Event(float(due if due is not None else now), 3, "webhook", what, DASH))
            continue
        ok, shown = verdict(runtime, doc, row)
        what = (
            f"attempt {escape(str(row['attempt']))} <code>{escape(str(row['event_type']))}</code> → "
            f'{escape(str(row["status"]))} <span class="verdict {"ok" if ok else "bad"}">{escape(shown)}</span>'
        )
        out.append(Event(float(row["last_tried_at"]), 3, "webhook", what, http(row.get("response_status"))))
    out.sort(key=lambda e: (e.at, e.order))
    return out


def _call_event(entry: Entry, label: str, base_url: str, key: str) -> Event:
    query = "?" + unquote(entry.query) if entry.query else ""
    what = f"{label}: <code>{escape(entry.method)} {escape(entry.path)}{escape(query)}</code>"
    same = None
    if label == "poll":
        same = (
            entry.service,
            entry.method,
            entry.path,
            entry.query,
            entry.status,
            json.dumps([entry.body, entry.response], sort_keys=True, default=str),
        )
    return Event(entry.at, 1, f"upstream {entry.service}", what, http(entry.status), same=same, call=entry, key=key)


def collapse(items: list[Event]) -> list[Event | Run]:
    """Runs of consecutive events with the same collapse key become one ``Run``."""
    out: list[Event | Run] = []
    for event in items:
        last = out[-1] if out else None
        if event.same is not None and isinstance(last, Run) and last.events[0].same == event.same:
            last.events.append(event)
        elif event.same is not None and isinstance(last, Event) and last.same == event.same:
            out[-1] = Run([last, event])
        else:
            out.append(event)
    return out


def run_summary(run: Run, created: float) -> str:
    """``× 18, 5 s apart, from t=+5 s to t=+90 s``."""
    times = [e.at for e in run.events]
    gaps = sorted({round(b - a, 3) for a, b in zip(times, times[1:], strict=False)})
    apart = f"{seconds(gaps[0])} apart" if len(gaps) == 1 else f"{seconds(gaps[0])} to {seconds(gaps[-1])} apart"
    return f"× {len(times)}, {apart}, from t=+{seconds(times[0] - created)} to t=+{seconds(times[-1] - created)}"


def table(runtime: Runtime, doc: dict[str, Any], base_url: str) -> str:
    created = float(doc.get("created_at") or 0)
    rows = [_row(item, created, base_url) for item in collapse(events(runtime, doc, base_url))]
    return (
        '<div class="box"><table id="timeline" class="fixed"><colgroup><col class="w-time"><col class="w-rel">'
        '<col class="w-source"><col><col class="w-http"></colgroup>'
        "<thead><tr><th>time</th><th></th><th>source</th><th>what</th><th>HTTP</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _row(item: Event | Run, created: float, base_url: str) -> str:
    first = item.events[0] if isinstance(item, Run) else item
    # "status" would collide with the status badge's class: status rows are "state" rows.
    cls = "event " + {"status": "state"}.get(first.source, first.source.split()[0])
    what, body = first.what, first.body
    if first.call is not None:
        curl = upstream_command(base_url, first.call)
        curl_block = "<h4>curl (secrets as $VARIABLES)</h4>" + pre_text(curl)
        parts = [
            ("request headers", first.call.headers),
            ("request body", first.call.body),
            ("response body", first.call.response),
        ]
        if isinstance(item, Run):
            cls += " collapsed"
            what = what.replace("poll:", f"poll {escape(run_summary(item, created))}:", 1)
            times = ", ".join(f"+{seconds(e.at - created)}" for e in item.events)
            extra = f'<p class="times">at t={escape(times)}</p>' + curl_block
            body = details(f"{len(item.events)} identical polls", parts, key=f"run-{first.key}", extra=extra)
        else:
            body = details("request and response", parts, key=first.key, extra=curl_block)
        what += " " + copy_button(curl)
    count = f' data-count="{attr(len(item.events))}"' if isinstance(item, Run) else ""
    return (
        f'<tr class="{attr(cls)}"{count}><td>{time_tag(first.at)}</td><td class="rel">+{seconds(first.at - created)}</td>'
        f"<td>{escape(first.source)}</td><td>{what}{body}</td><td>{first.http}</td></tr>"
    )
