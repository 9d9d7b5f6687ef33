"""The page shell: header with the clock (and, on the virtual clock, its controls), the live
toggle, the stylesheet and the script. No external asset: the inspector works offline.

The script is a constant (``assets.SCRIPT``); what it needs from the server comes from ``data-*``
attributes on ``<body>``, so no value is ever interpolated into JavaScript.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING

from .assets import SCRIPT, STYLE
from .markup import attr

if TYPE_CHECKING:
    from ..clock import Clock
    from ..server import Runtime

QUICK_ADVANCE = ((30, "+30 s"), (95, "+95 s"), (3600, "+1 h"))


def clock_text(clock: Clock) -> str:
    return f"{clock.mode} clock · {datetime.fromtimestamp(clock.now(), UTC):%Y-%m-%d %H:%M:%S}Z"


def page(title: str, body: str, runtime: Runtime, prefix: str, version: str) -> str:
    clock = runtime.clock
    advance = ""
    if clock.mode == "virtual":
        quick = "".join(
            f'<button type="button" class="quick" data-seconds="{n}">{escape(label)}</button>'
            for n, label in QUICK_ADVANCE
        )
        advance = (
            '<span class="advance"><input id="advance-seconds" type="number" min="0" step="1" value="5" '
            f'aria-label="seconds"> s <button id="advance" type="button">Advance clock</button>{quick}</span>'
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{STYLE}</style></head>
<body data-prefix="{attr(prefix)}" data-version="{attr(version)}">
<header><a class="brand" href="{attr(prefix)}/ui">vidmock inspector</a>
<span id="clock" data-mode="{attr(clock.mode)}" data-now="{round(clock.now(), 3)!r}">{escape(clock_text(clock))}</span>
{advance}<label class="live" title="re-render when the clock moves or a job changes"><input id="live" type="checkbox" checked> live</label>
<span id="clock-message" role="status"></span></header>
<main>{body}</main>
<script>{SCRIPT}</script></body></html>
"""
