"""The inspector's pages: the jobs (filtered, newest first) beside the incoming requests, and one
job with its create request as curl, its summary, timeline and webhook attempts.

Everything is read from the runtime on request. Blocks marked ``data-live`` are what the page's
live refresh swaps in place when the state changes (inspector.js), so filters being typed and
``<details>`` the user opened survive a refresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from ..gateway.domain.jobs import Job, serialize
from ..gateway.domain.status import STATUSES, TERMINAL
from ..masking import mask
from .attempts import attempts_table
from .curl import create_command
from .jobindex import MAX_ROWS, JobFilter, JobRow, job_rows
from .layout import page
from .markup import DASH, attr, code, copy_button, http, pre, pre_text, seconds, status, text, time_tag
from .masking import scrub_text
from .timeline import table as timeline_table

if TYPE_CHECKING:
    from ..server import Runtime

MAX_REQUESTS = 100  # request rows shown (after collapsing repeats), newest first
# An identical request joins a row at most this many rows back and this many seconds after the row's
# last one: a job's polls between other jobs' polls, not two submits minutes apart.
REPEAT_WINDOW = 12
REPEAT_GAP = 30.0
PROMPT_SHOWN = 120  # characters of a prompt in the jobs list


# -- the jobs and the requests ------------------------------------------------------------------------
def render_index(
    runtime: Runtime, prefix: str, flt: JobFilter, requests: Sequence[Mapping[str, Any]], version: str
) -> str:
    rows = job_rows(runtime)
    matched = [r for r in rows if flt.matches(r)]
    body = (
        "<h1>Jobs</h1>"
        + _filters(prefix, flt, rows)
        + '<div class="columns">'
        + f'<section id="jobs-panel" data-live="1">{_jobs_table(runtime, prefix, matched, len(rows), flt)}</section>'
        + f'<section id="requests-panel" data-live="1">{_requests_table(requests, flt)}</section>'
        + "</div>"
    )
    return page("vidmock inspector", body, runtime, prefix, version)


def _filters(prefix: str, flt: JobFilter, rows: list[JobRow]) -> str:
    providers = sorted({str(r.doc.get("provider")) for r in rows if r.doc.get("provider")} | {flt.provider} - {""})
    models = sorted({r.model for r in rows if r.model} | {flt.model} - {""})
    statuses = list(STATUSES) + ([flt.status] if flt.status and flt.status not in STATUSES else [])
    return (
        f'<form id="filters" method="get" action="{attr(prefix)}/ui" role="search">'
        + _select("status", statuses, flt.status)
        + _select("provider", providers, flt.provider)
        + _select("model", models, flt.model)
        + '<label class="grow">search <input id="q" type="search" name="q" placeholder="job id, prompt or upstream id" '
        f'value="{attr(flt.q)}"></label>'
        f'<button type="submit">Filter</button> <a id="clear" href="{attr(prefix)}/ui">clear</a></form>'
    )


def _select(name: str, values: list[str], chosen: str) -> str:
    options = ['<option value="">any</option>'] + [
        f'<option value="{attr(v)}"{" selected" if v == chosen else ""}>{escape(v)}</option>' for v in values
    ]
    return f'<label>{escape(name)} <select id="f-{attr(name)}" name="{attr(name)}">{"".join(options)}</select></label>'


def _jobs_table(runtime: Runtime, prefix: str, matched: list[JobRow], total: int, flt: JobFilter) -> str:
    shown = matched[:MAX_ROWS]
    count = f"{len(matched)} of {total}" if flt.active else str(total)
    more = f" · showing the newest {len(shown)}" if len(matched) > len(shown) else ""
    rows = "".join(_job_row(prefix, row, runtime.config.seed) for row in shown)
    if not rows:
        rows = (
            '<tr class="empty"><td colspan="5">No job matches these filters. '
            f'<a href="{attr(prefix)}/ui">Show all</a>.</td></tr>'
            if total
            else '<tr class="empty"><td colspan="5">No jobs yet. Create one with <code>POST /v1/videos</code>.</td></tr>'
        )
    return (
        f'<h2>Jobs <small id="job-count">{escape(count)}{escape(more)}</small></h2>'
        '<div class="box"><table id="jobs" class="fixed"><colgroup><col class="w-id"><col class="w-model">'
        '<col class="w-status"><col><col class="w-scenario"></colgroup>'
        "<thead><tr><th>job · created</th><th>model</th><th>status · webhook</th><th>prompt</th>"
        f"<th>scenario · seed</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def _job_row(prefix: str, row: JobRow, default_seed: Any) -> str:
    doc = row.doc
    jid = str(doc.get("id"))
    prompt = row.prompt or ""
    short = prompt if len(prompt) <= PROMPT_SHOWN else prompt[:PROMPT_SHOWN] + "…"
    webhook = doc.get("callback_status") if doc.get("callback_url") else None
    return (
        f'<tr class="job" data-id="{attr(jid)}" data-status="{attr(doc.get("status"))}" '
        f'data-provider="{attr(doc.get("provider"))}">'
        f'<td><a class="job-link" href="{attr(prefix)}/ui/jobs/{attr(jid)}"><code>{escape(jid)}</code></a>'
        f'<div class="sub">{time_tag(doc.get("created_at"))}</div></td>'
        f'<td class="model">{text(row.model)}</td>'
        f"<td>{status(doc.get('status'))}"
        + (f'<div class="sub webhook">webhook {escape(str(webhook))}</div>' if webhook else "")
        + f'</td><td class="prompt" title="{attr(prompt)}">{text(short)}</td>'
        f'<td><span class="scenario">{text(doc.get("scenario"))}</span>'
        f'<div class="sub">seed <span class="seed">{text(_seed(doc, default_seed))}</span></div></td>'
        "</tr>"
    )


def _requests_table(requests: Sequence[Mapping[str, Any]], flt: JobFilter) -> str:
    """Newest first. The job filter's provider narrows requests to that surface. Identical requests
    close together (the same poll of one job, between the polls of others) are one row with a count."""
    chosen = [r for r in reversed(requests) if not flt.provider or str(r.get("surface")) == flt.provider]
    groups: list[_Group] = []
    for r in chosen:
        key = _same(r)
        at = float(r.get("time") or 0)
        near = next(
            (g for g in reversed(groups[-REPEAT_WINDOW:]) if g.key == key and g.oldest - at <= REPEAT_GAP), None
        )
        if near is not None:
            near.count += 1
            near.oldest = at
        elif len(groups) == MAX_REQUESTS:
            break
        else:
            groups.append(_Group(key, r, 1, at))
    rows = "".join(_request_row(g) for g in groups)
    if not rows:
        rows = '<tr class="empty"><td colspan="4">No requests yet.</td></tr>'
    return (
        f'<h2>Requests <small id="request-count">{len(chosen)}</small></h2>'
        '<div class="box"><table id="requests" class="fixed"><colgroup><col class="w-clock"><col class="w-surface">'
        '<col><col class="w-http"></colgroup>'
        f"<thead><tr><th>time</th><th>to</th><th>request</th><th>HTTP</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


@dataclass
class _Group:
    key: tuple[Any, ...]
    newest: Mapping[str, Any]
    count: int
    oldest: float


def _same(r: Mapping[str, Any]) -> tuple[Any, ...]:
    return (r.get("method"), r.get("path"), r.get("status"), r.get("surface"), r.get("error"))


def _request_row(g: _Group) -> str:
    r = g.newest
    error = f'<div class="error">{escape(scrub_text(str(r["error"])))}</div>' if r.get("error") else ""
    times = ""
    if g.count > 1:
        span = float(r.get("time") or 0) - g.oldest
        times = (
            f' <span class="repeat" title="the same request {g.count} times">× {g.count} over {seconds(span)}</span>'
        )
    return (
        f'<tr class="request{" repeated" if g.count > 1 else ""}" data-count="{g.count}">'
        f"<td>{time_tag(r.get('time'), short=True)}</td><td>{text(r.get('surface'))}</td>"
        f"<td><code>{escape(str(r.get('method', '')))} {escape(scrub_text(str(r.get('path', ''))))}</code>{times}{error}</td>"
        f"<td>{http(r.get('status'))}</td></tr>"
    )


# -- one job ------------------------------------------------------------------------------------------
def render_job(runtime: Runtime, doc: dict[str, Any], prefix: str, base_url: str, version: str) -> str:
    jid = str(doc.get("id"))
    (row,) = job_rows(runtime, [doc])
    create = create_command(base_url, doc, row.model, row.prompt)
    body = (
        f'<p><a href="{attr(prefix)}/ui">← all jobs</a></p>'
        f'<div id="job" data-live="1">'
        f"<h1>Job <code>{escape(jid)}</code> {status(doc.get('status'))}</h1>"
        f"{_download(runtime, doc)}"
        f'<div class="create"><strong>Create request</strong> {copy_button(create)}'
        f'<details data-key="create"><summary>curl (secrets as $VARIABLES)</summary>{pre_text(create)}</details></div>'
        f"{_summary(doc, row, runtime.config.seed)}<h2>Timeline</h2>{timeline_table(runtime, doc, base_url)}"
        f"<h2>Webhook attempts</h2>{attempts_table(runtime, doc)}</div>"
    )
    return page(f"Job {jid}", body, runtime, prefix, version)


def render_missing(runtime: Runtime, prefix: str, job_id: str, version: str) -> str:
    body = f'<p>No job <code>{escape(job_id)}</code>. <a href="{attr(prefix)}/ui">All jobs</a></p>'
    return page("Job not found", body, runtime, prefix, version)


def _download(runtime: Runtime, doc: dict[str, Any]) -> str:
    jid = str(doc.get("id"))
    url = None
    try:
        video = serialize(Job.from_doc(doc), runtime.clock.now(), runtime.service.serialize_options)
    except (TypeError, KeyError):  # a record from a newer vidmock with fields this one does not know
        video = None
    if video and video.get("content"):
        url = video["content"][0].get("url")
    if url:
        return (
            f'<p class="download"><a id="download" href="{attr(url)}" download="{attr(jid)}.mp4">Download the video'
            f"</a> <small>signed URL, no API key needed: <code>{escape(scrub_text(url))}</code></small></p>"
        )
    return f'<p id="download-pending">Content not available (status <code>{escape(str(doc.get("status")))}</code>).</p>'


def _seed(doc: Mapping[str, Any], default: Any) -> Any:
    return doc["seed"] if doc.get("seed") is not None else default


def _summary(doc: dict[str, Any], row: JobRow, default_seed: Any) -> str:
    running = doc.get("status") not in TERMINAL
    items = [
        ("status", status(doc.get("status")) + (f" <small>{text(doc.get('progress'))}%</small>" if running else "")),
        ("model", text(row.model)),
        ("provider", text(doc.get("provider"))),
        ("gateway release", text(doc.get("gateway_release"))),  # the release that served it (issue 14)
        ("prompt", text(row.prompt)),
        ("scenario", text(doc.get("scenario"))),
        ("seed", text(_seed(doc, default_seed))),
        (
            "size · seconds · audio",
            text(f"{doc.get('size')} · {doc.get('seconds')} s · {'audio' if doc.get('audio') else 'no audio'}"),
        ),
        ("created", time_tag(doc.get("created_at"))),
        ("completed", time_tag(doc.get("completed_at"))),
        ("expires", time_tag(doc.get("expires_at"))),
        ("upstream id", code(doc.get("upstream_id"))),
        ("upstream status", text(doc.get("upstream_status"))),
        ("request id", code(doc.get("request_id"))),
        ("cost", text(doc.get("cost"))),
        ("error", pre(doc.get("error")) if doc.get("error") else DASH),
        ("callback", text(scrub_text(doc["callback_url"]) if doc.get("callback_url") else None)),
        ("callback secret", text(mask(doc["callback_secret"]) if doc.get("callback_secret") else None)),
        ("callback status", text(doc.get("callback_status"))),
    ]
    return '<dl class="summary">' + "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"
