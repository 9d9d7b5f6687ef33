"""The inspector's two pages: the jobs (newest first) and one job with its timeline.

Everything is read from the runtime on request: the gateway's job records, the journal of upstream
calls, and the webhook outbox. Secrets never reach the page whole: headers come masked from the
journal, body values under secret-looking keys and credential query parameters are masked here, and
each webhook attempt shows a signature verdict computed with ``vidmock.webhooks.verify`` rather
than the secret.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..gateway.jobs import JOB_KIND, Job, serialize
from ..gateway.status import TERMINAL
from ..masking import mask
from ..webhooks import VerificationError, verify

if TYPE_CHECKING:
    from ..server import Runtime

DASH = "—"
SECRET_KEYS = frozenset(
    {
        "callback_secret",
        "api_key",
        "apikey",
        "key",
        "token",
        "access_token",
        "authorization",
        "secret",
        "client_secret",
        "password",
        "x-api-key",
        "x-goog-api-key",
    }
)
_SECRET_PARAM = re.compile(
    r"([?&](?:token|key|api_key|access_token|X-Goog-Signature|X-Amz-Signature)=)([^&#\s\"']+)", re.IGNORECASE
)


def inspector_routes(runtime: Runtime, prefix: str = "/_vidmock") -> list[Route]:
    ui = f"{prefix}/ui"

    async def index(request: Request) -> Response:
        return HTMLResponse(render_index(runtime, prefix))

    async def job(request: Request) -> Response:
        doc = runtime.store.get(JOB_KIND, request.path_params["job_id"])
        if doc is None:
            body = _layout(
                "Job not found",
                f"<p>No job <code>{escape(request.path_params['job_id'])}</code>. "
                f'<a href="{escape(ui)}">All jobs</a></p>',
                runtime,
                prefix,
            )
            return HTMLResponse(body, status_code=404)
        return HTMLResponse(render_job(runtime, doc, prefix))

    return [
        Route(ui, index, methods=["GET"]),
        Route(ui + "/", index, methods=["GET"]),
        Route(ui + "/jobs/{job_id}", job, methods=["GET"]),
    ]


# -- pages ------------------------------------------------------------------------------------------
def render_index(runtime: Runtime, prefix: str) -> str:
    docs = sorted(runtime.store.all(JOB_KIND), key=lambda d: d.get("created_at") or 0, reverse=True)
    rows = []
    for doc in docs:
        jid = str(doc.get("id"))
        rows.append(
            f'<tr class="job" data-id="{escape(jid)}">'
            f'<td><a class="job-link" href="{escape(prefix)}/ui/jobs/{escape(jid)}">{escape(jid)}</a></td>'
            f"<td>{_time(doc.get('created_at'))}</td>"
            f"<td>{_text(_model(runtime, doc))}</td>"
            f"<td>{_text(doc.get('provider'))}</td>"
            f"<td>{_status(doc.get('status'))}</td>"
            f'<td class="scenario">{_text(doc.get("scenario"))}</td>'
            f'<td class="seed">{_text(_seed(runtime, doc))}</td>'
            f"<td>{_text(doc.get('callback_status') if doc.get('callback_url') else None)}</td>"
            "</tr>"
        )
    table = (
        '<table id="jobs"><thead><tr><th>job</th><th>created</th><th>model</th><th>provider</th>'
        "<th>status</th><th>scenario</th><th>seed</th><th>webhook</th></tr></thead><tbody>"
        + (
            "".join(rows)
            or '<tr class="empty"><td colspan="8">No jobs yet. Create one with <code>POST /v1/videos</code>.</td></tr>'
        )
        + "</tbody></table>"
    )
    body = f"<h1>Jobs <small>{len(docs)}</small></h1>{table}"
    return _layout("vidmock inspector", body, runtime, prefix)


def render_job(runtime: Runtime, doc: dict[str, Any], prefix: str) -> str:
    jid = str(doc.get("id"))
    now = runtime.clock.now()
    video = _video(runtime, doc)
    url = None
    if video and video.get("content"):
        url = video["content"][0].get("url")
    if url:
        download = (
            f'<p><a id="download" href="{escape(url)}" download="{escape(jid)}.mp4">Download the video'
            f"</a> <small>signed URL, no API key needed: <code>{escape(_scrub_text(url))}</code></small></p>"
        )
    else:
        download = (
            f'<p id="download-pending">Content not available (status '
            f"<code>{escape(str(doc.get('status')))}</code>).</p>"
        )
    summary = [
        (
            "status",
            _status(doc.get("status"))
            + (f" <small>{_text(doc.get('progress'))}%</small>" if doc.get("status") not in TERMINAL else ""),
        ),
        ("model", _text(_model(runtime, doc))),
        ("provider", _text(doc.get("provider"))),
        ("scenario", _text(doc.get("scenario"))),
        ("seed", _text(_seed(runtime, doc))),
        (
            "size · seconds · audio",
            _text(f"{doc.get('size')} · {doc.get('seconds')} s · {'audio' if doc.get('audio') else 'no audio'}"),
        ),
        ("created", _time(doc.get("created_at"))),
        ("completed", _time(doc.get("completed_at"))),
        ("expires", _time(doc.get("expires_at"))),
        ("upstream id", _code(doc.get("upstream_id"))),
        ("upstream status", _text(doc.get("upstream_status"))),
        ("request id", _code(doc.get("request_id"))),
        ("cost", _text(doc.get("cost"))),
        ("error", _pre(doc.get("error")) if doc.get("error") else DASH),
        ("callback", _text(_scrub_text(doc["callback_url"]) if doc.get("callback_url") else None)),
        ("callback secret", _text(mask(doc["callback_secret"]) if doc.get("callback_secret") else None)),
        ("callback status", _text(doc.get("callback_status"))),
    ]
    dl = '<dl class="summary">' + "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in summary) + "</dl>"
    timeline = _timeline(runtime, doc, now)
    attempts = _attempts(runtime, doc)
    body = (
        f'<p><a href="{escape(prefix)}/ui">← all jobs</a></p>'
        f"<h1>Job <code>{escape(jid)}</code> {_status(doc.get('status'))}</h1>"
        f"{download}{dl}<h2>Timeline</h2>{timeline}<h2>Webhook attempts</h2>{attempts}"
    )
    return _layout(f"Job {jid}", body, runtime, prefix)


# -- the timeline ---------------------------------------------------------------------------------
def _timeline(runtime: Runtime, doc: dict[str, Any], now: float) -> str:
    created = float(doc.get("created_at") or 0)
    events: list[tuple[float, int, str, str, str, str]] = []  # at, order, kind, what, http, details
    history = doc.get("history") or [[created, "queued", 0]]
    for i, (at, state, progress) in enumerate(history):
        label = "created" if i == 0 else "status"
        error = _pre(doc["error"]) if state in TERMINAL and doc.get("error") else ""
        events.append(
            (
                float(at),
                2 if i else 0,
                "status",
                f"{label}: {_status(str(state))} ({escape(str(progress))}%)",
                DASH,
                error,
            )
        )
    calls = _calls_for(runtime, doc)
    for i, entry in enumerate(calls):
        what = f"<code>{escape(entry.method)} {escape(entry.path)}{escape('?' + unquote(entry.query) if entry.query else '')}</code>"
        label = "submit" if i == 0 else "poll"
        details = _details(
            "request and response",
            [("request headers", entry.headers), ("request body", entry.body), ("response body", entry.response)],
        )
        events.append(
            (entry.at, 1, f"upstream {escape(entry.service)}", f"{label}: {what}", _http(entry.status), details)
        )
    if not doc.get("history") and str(doc.get("status")) in TERMINAL:  # a job stored before histories
        at = doc.get("completed_at") or (calls[-1].at if calls else now)
        events.append(
            (
                float(at),
                2,
                "status",
                _status(str(doc.get("status"))),
                DASH,
                _pre(doc["error"]) if doc.get("error") else "",
            )
        )
    for row in runtime.webhooks.rows(str(doc.get("id"))):
        if row.get("last_tried_at") is None:
            due = row.get("next_retry_at")
            events.append(
                (
                    float(due if due is not None else now),
                    3,
                    "webhook",
                    f"attempt {row['attempt']} {escape(row['event_type'])}: due",
                    DASH,
                    "",
                )
            )
            continue
        ok, text = verdict(runtime, doc, row)
        events.append(
            (
                float(row["last_tried_at"]),
                3,
                "webhook",
                f"attempt {row['attempt']} <code>{escape(row['event_type'])}</code> → "
                f'{escape(row["status"])} <span class="verdict {"ok" if ok else "bad"}">{escape(text)}</span>',
                _http(row.get("response_status")),
                "",
            )
        )
    events.sort(key=lambda e: (e[0], e[1]))
    rows = "".join(
        f'<tr class="event {escape(kind.split()[0])}"><td>{_time(at)}</td><td class="rel">+{at - created:g} s</td>'
        f"<td>{kind}</td><td>{what}{details}</td><td>{http}</td></tr>"
        for at, _, kind, what, http, details in events
    )
    return (
        '<table id="timeline"><thead><tr><th>time</th><th></th><th>source</th><th>what</th><th>HTTP</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _calls_for(runtime: Runtime, doc: dict[str, Any]) -> list[Any]:
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


def _attempts(runtime: Runtime, doc: dict[str, Any]) -> str:
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
        ok, text = verdict(runtime, doc, row) if row.get("last_tried_at") is not None else (None, "not sent yet")
        cls = "pending" if ok is None else ("ok" if ok else "bad")
        details = (
            _details(
                "request and response",
                [
                    ("request headers", row.get("request_headers")),
                    ("request body", _json_or_text(row.get("request_body"))),
                    ("response body", row.get("response_body")),
                ],
            )
            if row.get("request_body") is not None
            else ""
        )
        out.append(
            f'<tr class="attempt" data-attempt="{escape(str(row["attempt"]))}">'
            f"<td>{escape(str(row['attempt']))}</td><td>{_code(row.get('event_id'))}</td>"
            f"<td>{escape(str(row['status']))}</td>"
            f"<td>{_time(row.get('last_tried_at'))}</td><td>{_time(row.get('next_retry_at'))}</td>"
            f'<td class="response">{_http(row.get("response_status"))}</td>'
            f'<td><span class="verdict {cls}">{escape(text)}</span></td>'
            f"<td>{_text(row.get('error'))}{details}</td></tr>"
        )
    return (
        '<table id="webhooks"><thead><tr><th>#</th><th>event</th><th>status</th><th>tried</th>'
        "<th>next retry</th><th>response</th><th>signature</th><th>error and bodies</th></tr></thead><tbody>"
        + "".join(out)
        + "</tbody></table>"
    )


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
        )
    except VerificationError as exc:
        return False, f"invalid ({exc.reason}): {exc.message}"
    return True, f"valid {scheme} signature"


# -- helpers --------------------------------------------------------------------------------------
def _video(runtime: Runtime, doc: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return serialize(Job.from_doc(doc), runtime.clock.now(), runtime.service.serialize_options)
    except (TypeError, KeyError):  # a record from a newer vidmock with fields this one does not know
        return None


def _model(runtime: Runtime, doc: dict[str, Any]) -> str | None:
    if not doc.get("model"):
        return None
    if runtime.config.bare_model or not doc.get("provider"):
        return str(doc["model"])
    return f"{doc['provider']}/{doc['model']}"


def _seed(runtime: Runtime, doc: dict[str, Any]) -> Any:
    return doc["seed"] if doc.get("seed") is not None else runtime.config.seed


def scrub(value: Any) -> Any:
    """A copy with secret-looking keys and credential query parameters masked."""
    if isinstance(value, dict):
        return {
            k: (mask(v) if isinstance(v, str) and str(k).lower() in SECRET_KEYS else scrub(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return _scrub_text(value)
    return value


def _scrub_text(text: str) -> str:
    return _SECRET_PARAM.sub(lambda m: m.group(1) + mask(m.group(2)), text)


def _json_or_text(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _details(summary: str, parts: list[tuple[str, Any]]) -> str:
    inner = "".join(f"<h4>{escape(name)}</h4>{_pre(value)}" for name, value in parts if value not in (None, "", {}))
    if not inner:
        return ""
    return f"<details><summary>{escape(summary)}</summary>{inner}</details>"


def _shorten(value: Any) -> Any:
    """Long strings (inline base64 video bytes…) cut to a readable length."""
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    if isinstance(value, str) and len(value) > LONG:
        return value[:LONG] + f"… ({len(value) - LONG} more characters)"
    return value


LONG = 400


def _pre(value: Any) -> str:
    if isinstance(value, (dict, list)):
        text = json.dumps(_shorten(scrub(value)), indent=2, ensure_ascii=False, default=str)
    else:
        text = _scrub_text(str(value))
    if len(text) > 20000:
        text = text[:20000] + f"\n… ({len(text) - 20000} more characters)"
    return f"<pre>{escape(text)}</pre>"


def _text(value: Any) -> str:
    return DASH if value is None or value == "" else escape(str(value))


def _code(value: Any) -> str:
    return DASH if not value else f"<code>{escape(str(value))}</code>"


def _http(status: Any) -> str:
    if not status:
        return DASH
    cls = "ok" if 200 <= int(status) < 300 else "bad"
    return f'<span class="http {cls}">{escape(str(status))}</span>'


def _status(status: Any) -> str:
    s = str(status or "unknown")
    return f'<span class="status status-{escape(s)}">{escape(s)}</span>'


def _time(at: Any) -> str:
    if at is None:
        return DASH
    moment = datetime.fromtimestamp(float(at), UTC)
    return f'<time datetime="{moment.isoformat()}" title="{round(float(at), 3)!r}">{moment:%Y-%m-%d %H:%M:%S}Z</time>'


def _layout(title: str, body: str, runtime: Runtime, prefix: str) -> str:
    clock = runtime.clock
    virtual = clock.mode == "virtual"
    control = json.dumps(prefix).replace("</", "<\\/")
    advance = (
        '<span class="advance"><input id="advance-seconds" type="number" min="0" step="1" value="5" '
        'aria-label="seconds"> s <button id="advance" type="button">Advance clock</button>'
        '<button type="button" class="quick" data-seconds="30">+30 s</button>'
        '<button type="button" class="quick" data-seconds="95">+95 s</button>'
        '<button type="button" class="quick" data-seconds="3600">+1 h</button></span>'
        if virtual
        else '<span class="advance"><label><input id="live" type="checkbox"> refresh every 2 s</label></span>'
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
body {{ font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7fb; }}
header {{ background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 20px; align-items: center;
          flex-wrap: wrap; }}
header a {{ color: #fff; font-weight: 600; text-decoration: none; }}
main {{ padding: 16px 20px; }}
table {{ border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 18px; }}
th, td {{ text-align: left; padding: 6px 8px; border-bottom: 1px solid #e3e6ee; vertical-align: top; }}
th {{ background: #eceff6; font-weight: 600; }}
code, pre {{ font: 12px ui-monospace, monospace; }}
pre {{ background: #f0f2f7; padding: 8px; overflow-x: auto; max-height: 360px; }}
.status {{ padding: 1px 8px; border-radius: 10px; background: #dfe3ec; font-weight: 600; }}
.status-completed {{ background: #c9f0d3; color: #0b6b2b; }} .status-failed, .status-expired {{ background: #fbd1d1; color: #8c1010; }}
.status-in_progress {{ background: #d6e6ff; color: #103f8c; }} .status-queued {{ background: #fff0c2; color: #7a5800; }}
.verdict.ok, .http.ok {{ color: #0b6b2b; font-weight: 600; }} .verdict.bad, .http.bad {{ color: #8c1010; font-weight: 600; }}
dl.summary {{ display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; background: #fff; padding: 12px; }}
dt {{ color: #5b6478; }} dd {{ margin: 0; }}
#clock-message {{ color: #ffb3b3; }}
button {{ cursor: pointer; }}
</style></head>
<body><header><a href="{escape(prefix)}/ui">vidmock inspector</a>
<span id="clock" data-mode="{escape(clock.mode)}" data-now="{round(clock.now(), 3)!r}">{escape(clock.mode)} clock · {_time(clock.now())}</span>
{advance}<span id="clock-message" role="status"></span></header>
<main>{body}</main>
<script>
(function () {{
  var CONTROL = {control};
  var message = document.getElementById("clock-message");
  function advance(seconds) {{
    var buttons = document.querySelectorAll("header button");
    buttons.forEach(function (b) {{ b.disabled = true; }});
    message.textContent = "advancing " + seconds + " s…";
    fetch(CONTROL + "/clock/advance", {{method: "POST", headers: {{"Content-Type": "application/json"}},
                                        body: JSON.stringify({{seconds: seconds}})}})
      .then(function (r) {{ return r.json().then(function (data) {{ return [r, data]; }}); }})
      .then(function (pair) {{
        if (!pair[0].ok) {{ throw new Error((pair[1].error && pair[1].error.message) || ("HTTP " + pair[0].status)); }}
        window.location.reload();
      }})
      .catch(function (err) {{ message.textContent = String(err.message || err);
                               buttons.forEach(function (b) {{ b.disabled = false; }}); }});
  }}
  var button = document.getElementById("advance");
  if (button) {{
    button.addEventListener("click", function () {{
      advance(Number(document.getElementById("advance-seconds").value || 0));
    }});
    document.querySelectorAll("button.quick").forEach(function (b) {{
      b.addEventListener("click", function () {{ advance(Number(b.getAttribute("data-seconds"))); }});
    }});
  }}
  var live = document.getElementById("live");
  if (live) {{
    live.checked = window.localStorage.getItem("vidmock-live") === "1";
    live.addEventListener("change", function () {{ window.localStorage.setItem("vidmock-live", live.checked ? "1" : "0"); }});
    setInterval(function () {{ if (live.checked) {{ window.location.reload(); }} }}, 2000);
  }}
}})();
</script></body></html>
"""
