"""HTML building blocks: every value that reaches the page goes through ``html.escape`` here.

Job prompts, callback URLs and upstream bodies are user input: nothing is interpolated raw.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from typing import Any

from .masking import scrub, scrub_text

DASH = "—"
LONG = 400  # characters of one string value shown inside a body (inline base64 video is megabytes)
MAX_PRE = 20000  # characters of one pretty-printed body


def attr(value: Any) -> str:
    """A value for a double-quoted attribute."""
    return escape(str(value), quote=True)


def text(value: Any) -> str:
    return DASH if value is None or value == "" else escape(str(value))


def code(value: Any) -> str:
    return DASH if not value else f"<code>{escape(str(value))}</code>"


def http(status: Any) -> str:
    if not status:
        return DASH
    cls = "ok" if 200 <= int(status) < 300 else "bad"
    return f'<span class="http {cls}">{escape(str(status))}</span>'


def status(value: Any) -> str:
    s = str(value or "unknown")
    return f'<span class="status status-{attr(s)}">{escape(s)}</span>'


def time_tag(at: Any, *, short: bool = False) -> str:
    """A ``<time>``; ``short`` shows only the time of day (the full moment stays in ``datetime``)."""
    if at is None:
        return DASH
    moment = datetime.fromtimestamp(float(at), UTC)
    shown = f"{moment:%H:%M:%S}" if short else f"{moment:%Y-%m-%d %H:%M:%S}Z"
    return f'<time datetime="{moment.isoformat()}" title="{round(float(at), 3)!r}">{shown}</time>'


def seconds(value: float) -> str:
    """A duration as people write it: ``5 s``, ``2.5 s``."""
    return f"{round(value, 3):g} s"


def shorten(value: Any) -> Any:
    """Long strings (inline base64 video bytes…) cut to a readable length."""
    if isinstance(value, dict):
        return {k: shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shorten(v) for v in value]
    if isinstance(value, str) and len(value) > LONG:
        return value[:LONG] + f"… ({len(value) - LONG} more characters)"
    return value


def pre(value: Any) -> str:
    if isinstance(value, (dict, list)):
        shown = json.dumps(shorten(scrub(value)), indent=2, ensure_ascii=False, default=str)
    else:
        shown = scrub_text(str(value))
    if len(shown) > MAX_PRE:
        shown = shown[:MAX_PRE] + f"\n… ({len(shown) - MAX_PRE} more characters)"
    return f"<pre>{escape(shown)}</pre>"


def pre_text(shown: str) -> str:
    """Text that is already safe to show (a copy-as-curl command has variables, not secrets)."""
    return f"<pre>{escape(shown)}</pre>"


def details(summary: str, parts: list[tuple[str, Any]], key: str, extra: str = "") -> str:
    """A closed ``<details>`` with named bodies. ``key`` is stable across renders, so live refresh
    can keep open what the user opened."""
    inner = "".join(f"<h4>{escape(name)}</h4>{pre(value)}" for name, value in parts if value not in (None, "", {}))
    if not inner and not extra:
        return ""
    return f'<details data-key="{attr(key)}"><summary>{escape(summary)}</summary>{extra}{inner}</details>'


def copy_button(command: str, label: str = "copy as curl") -> str:
    """A button that copies ``command`` (inspector.js); without JavaScript the command is shown
    in the ``<details>`` beside it."""
    return f'<button type="button" class="copy" data-copy="{attr(command)}">{escape(label)}</button>'


def json_or_text(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw
