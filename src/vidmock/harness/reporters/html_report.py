"""A self-contained HTML report: no CDN, no script, inline CSS. A verdict banner, a table per
family, each failure with expected / actual / reproduction, and one timeline per job (creation,
status changes, downloads, webhook attempts) ordered by target time.

The markup is kept well-formed XML (every tag closed, everything escaped) so it can be checked
mechanically as well as read.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from pathlib import Path

from ..model import FAMILIES, Report, TimelineEntry, printable

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
.banner{padding:.6em 1em;border-radius:6px;font-weight:600;color:#fff}
.ok{background:#2e7d32}.bad{background:#c62828}
table{border-collapse:collapse;width:100%;margin:.4em 0}
td,th{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.passed{color:#2e7d32}.failed{color:#c62828;font-weight:600}.skipped{color:#888}
pre{background:#f7f7f7;padding:.5em;white-space:pre-wrap;word-break:break-all;margin:.2em 0}
.tl td.kind{width:6em}.tl tr.err td{background:#fdecea}.tl tr.webhook td{background:#eef4fd}
details{margin:.3em 0}summary{cursor:pointer}
"""


def _e(text: object) -> str:
    return escape(printable(text), quote=True)


def _family_tables(report: Report) -> list[str]:
    out: list[str] = []
    for fam in report.families:
        results = [r for r in report.results if r.family == fam]
        c = report.counts(fam)
        out.append(
            f"<h2>{_e(fam)} {_e(FAMILIES[fam])} — {c['passed']} passed, {c['failed']} failed, "
            f"{c['skipped']} skipped</h2>"
        )
        out.append("<table><tr><th>check</th><th>what it checks</th><th>verdict</th></tr>")
        for r in results:
            verdict = r.verdict + (f" ({_e(r.detail)})" if r.detail else "")
            seen = "".join(f"<li>{_e(x)}</li>" for x in r.evidence[:8])
            evidence = f"<details><summary>evidence</summary><ul>{seen}</ul></details>" if seen else ""
            out.append(
                f'<tr id="check-{_e(r.name)}"><td>{_e(r.name)}</td><td>{_e(r.title)}{evidence}</td>'
                f'<td class="{r.verdict}">{verdict}</td></tr>'
            )
            for f in r.findings:
                out.append(
                    f'<tr><td></td><td colspan="2"><b>{_e(f.message)}</b>'
                    f"<div>expected: <code>{_e(f.expected)}</code></div><div>actual: <code>{_e(f.actual)}</code></div>"
                    + (f"<div>request: <code>{_e(f.request)}</code></div>" if f.request else "")
                    + (f"<div>reproduce (seed {report.seed}):</div><pre>{_e(f.curl)}</pre>" if f.curl else "")
                    + "</td></tr>"
                )
        out.append("</table>")
    return out


def _timelines(entries: list[TimelineEntry]) -> list[str]:
    by_job: dict[str, list[TimelineEntry]] = defaultdict(list)
    for e in entries:
        by_job[e.job_id].append(e)
    out = ["<h2>Job timelines</h2>"]
    for job, items in by_job.items():
        items.sort(key=lambda e: e.clock if e.clock is not None else 0.0)
        t0 = items[0].clock or 0.0
        bad = sum(1 for e in items if not e.ok)
        out.append(
            f'<details open="open"><summary><code>{_e(job)}</code> — {len(items)} events'
            f'{f", {bad} unexpected" if bad else ""}</summary><table class="tl">'
            "<tr><th>t+ (s)</th><th>kind</th><th>what happened</th></tr>"
        )
        for e in items:
            cls = "err" if not e.ok else e.kind
            offset = f"{(e.clock or 0.0) - t0:.0f}" if e.clock is not None else ""
            out.append(
                f'<tr class="{cls}"><td>{offset}</td><td class="kind">{_e(e.kind)}</td><td>{_e(e.text)}</td></tr>'
            )
        out.append("</table></details>")
    return out


def render(report: Report) -> str:
    total = report.counts()
    banner = "ok" if report.ok else "bad"
    verdict = "PASSED" if report.ok else ("STOPPED" if report.preflight else "FAILED")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"/><title>vidmock check report</title>',
        f"<style>{CSS}</style></head><body>",
        f"<h1>vidmock check — {_e(report.base_url)}</h1>",
        f'<div class="banner {banner}">{verdict}: {total["passed"]} passed, '
        f"{total['failed']} failed, {total['skipped']} skipped in {report.elapsed:.1f} s "
        f"({_e(report.clock_mode)} clock, seed {report.seed})</div>",
    ]
    if report.preflight:
        parts.append(f"<h2>Stopped before any check</h2><p>{_e(report.preflight)}</p>")
    if report.coverage:
        parts.append(
            f"<p>Contract coverage: {report.coverage['checked']}/{report.coverage['listed']} rules checked "
            "(docs/spec/contract.md).</p>"
        )
    if report.errors:
        parts.append("<h2>Harness errors</h2>" + "".join(f"<pre>{_e(e)}</pre>" for e in report.errors))
    parts += _family_tables(report)
    parts += _timelines(report.timeline)
    parts.append("</body></html>")
    return "\n".join(parts)


def write(report: Report, path: str | Path) -> None:
    Path(path).write_text(render(report), encoding="utf-8")
