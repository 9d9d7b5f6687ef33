"""One recorded job's exchanges as a scenario (the ``vidmock.scenarios`` format).

A job starts at a submit (a 2xx answer carrying the upstream id); its polls are the later exchanges
that name that id (in the path, query or body). The provider's own client (the one the gateway uses)
reads each recorded poll answer, so status and error are understood exactly as the gateway would.
Status changes become the timeline (seconds after the submit, on the recorder's clock), failed
answers become faults in call order (``pass`` for the answers that went through), and the terminal
error becomes the outcome. Secrets cannot leak: no header is written, and bodies are upstream answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import yaml

from ..config import ServerConfig
from ..gateway.domain.status import TERMINAL, normalize
from ..providers.registry import PLUGINS
from ..scenarios.model import load_file
from .proxy import Exchange

ID_KEYS = ("id", "task_id", "request_id", "name", "generation_id", "operation", "job_id")


def find_id(body: Any, depth: int = 0) -> str | None:
    """The upstream's id for a new job in a submit answer: a top-level id-like key, else one level down
    (Kling's ``data.task_id``, DashScope's ``output.task_id``)."""
    if not isinstance(body, dict) or depth > 1:
        return None
    for key in ID_KEYS:
        if isinstance(body.get(key), str) and body[key]:
            return str(body[key])
    for value in body.values():
        found = find_id(value, depth + 1)
        if found:
            return found
    return None


def _names(exchange: Exchange, upstream_id: str) -> bool:
    body = exchange.request_body
    return upstream_id in exchange.path or upstream_id in exchange.query or upstream_id in str(body or "")


def _fault(exchange: Exchange) -> dict[str, Any]:
    fault: dict[str, Any] = {"status": exchange.status}
    retry = exchange.response_headers.get("retry-after") or exchange.response_headers.get("Retry-After")
    if retry and retry.isdigit():
        fault["retry_after"] = int(retry)
    if isinstance(exchange.response_body, dict) and "bytes" not in exchange.response_body:
        fault["body"] = exchange.response_body  # the provider's exact error envelope
    return fault


async def read_poll(
    provider: str, exchange: Exchange, upstream_id: str, job: dict[str, Any]
) -> tuple[str, int | None, Any]:
    """(normalised status, progress, error) of one recorded 2xx poll answer, read by the gateway's
    client for ``provider`` from the recorded bytes (an ``httpx.MockTransport`` answers its call)."""
    client = PLUGINS[provider].build_client(ServerConfig())

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            exchange.status, content=exchange.response_raw, headers={"content-type": "application/json"}
        )

    try:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://recorded") as http:
            result = await client.poll(http, upstream_id, job)
    except Exception:  # an answer this client cannot read: fall back to the body's own status field
        body = exchange.response_body if isinstance(exchange.response_body, dict) else {}
        return normalize(body.get("status") or body.get("state")), None, None
    return normalize(result.status), result.progress, result.error


async def _job_scenario(
    provider: str, submit: Exchange, rest: Sequence[Exchange], submit_faults: list[Exchange]
) -> dict[str, Any]:
    upstream_id = find_id(submit.response_body) or ""
    job = {
        "upstream_id": upstream_id,
        **({"model": submit.request_body.get("model")} if isinstance(submit.request_body, dict) else {}),
    }
    first = (
        normalize((submit.response_body or {}).get("status")) if isinstance(submit.response_body, dict) else "queued"
    )
    timeline: list[dict[str, Any]] = [{"at": 0, "status": first if first not in TERMINAL else "queued"}]
    faults: list[Any] = []
    error: Any = None
    for exchange in rest:
        if not _names(exchange, upstream_id) or timeline[-1]["status"] in TERMINAL:
            continue
        if not 200 <= exchange.status < 300:
            faults.append(_fault(exchange) if exchange.status else {"reset": True})
            continue
        if "bytes" in (exchange.response_body or {}):  # a content download, not a poll
            continue
        faults.append("pass")
        status, progress, err = await read_poll(provider, exchange, upstream_id, job)
        if status != timeline[-1]["status"]:
            step: dict[str, Any] = {"at": round(exchange.at - submit.at, 3), "status": status}
            if progress is not None and status == "in_progress":
                step["progress"] = int(progress)
            timeline.append(step)
            error = err if status in TERMINAL else error
    while faults and faults[-1] == "pass":
        faults.pop()
    doc: dict[str, Any] = {"timeline": timeline}
    if isinstance(error, dict):
        doc["outcome"] = {
            "error": {"code": str(error.get("code") or "failed"), "message": str(error.get("message") or "")}
        }
    fault_map = {"submit": [_fault(e) for e in submit_faults], "poll": faults}
    doc["faults"] = {k: v for k, v in fault_map.items() if v}
    return doc


async def build_scenarios(exchanges: Sequence[Exchange], provider: str, upstream: str) -> list[dict[str, Any]]:
    """One scenario body per recorded job, in submit order (names and texts are set by ``write``)."""
    if provider not in PLUGINS:
        raise ValueError(f"unknown provider {provider!r}; expected one of {', '.join(sorted(PLUGINS))}")
    out: list[dict[str, Any]] = []
    failed_submits: list[Exchange] = []
    known_ids: list[str] = []
    for i, exchange in enumerate(exchanges):
        if any(_names(exchange, known) for known in known_ids):
            continue  # a poll or download of a job already seen
        if exchange.method != "POST":
            continue
        upstream_id = find_id(exchange.response_body) if 200 <= exchange.status < 300 else None
        if upstream_id is None:
            failed_submits.append(exchange)
            continue
        known_ids.append(upstream_id)
        doc = await _job_scenario(provider, exchange, exchanges[i + 1 :], failed_submits)
        doc["_source"] = {"upstream_id": upstream_id, "at": exchange.at}
        out.append(doc)
        failed_submits = []
    if failed_submits:  # submits that never created a job: the faults alone
        out.append({"faults": {"submit": [_fault(e) for e in failed_submits]}, "_source": {"at": failed_submits[0].at}})
    for doc in out:
        doc["_source"]["upstream"] = upstream
    return out


def write_scenarios(docs: Sequence[dict[str, Any]], provider: str, out: Path) -> list[Path]:
    """Write each scenario next to ``out`` (``case.yaml``, ``case-2.yaml``, …), each checked by the
    scenario loader; the paths written."""
    paths = []
    for n, doc in enumerate(docs, start=1):
        path = out if n == 1 else out.with_name(f"{out.stem}-{n}{out.suffix or '.yaml'}")
        body = {k: v for k, v in doc.items() if not k.startswith("_")}
        source = doc.get("_source", {})
        when = dt.datetime.fromtimestamp(float(source.get("at", 0)), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        statuses = " -> ".join(f"{s['status']} at {s['at']:g} s" for s in body.get("timeline", []))
        faults = ", ".join(f"{len(v)} {k} answer(s)" for k, v in body.get("faults", {}).items())
        scenario = {
            "name": path.stem,
            "description": f"Recorded {provider} job{' ' + source['upstream_id'] if source.get('upstream_id') else ''}: "
            f"{statuses or 'no job created'}" + (f"; scripted {faults}" if faults else ""),
            "reproduces": f"A job recorded with `vidmock record` from {source.get('upstream', 'the provider')} at {when}.",
            "provider": provider,
            **body,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True, width=100))
        load_file(path)  # the file must load as any hand-written scenario does
        paths.append(path)
    return paths
