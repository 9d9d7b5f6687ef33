"""Copy-as-curl: a shell command that repeats a request, with every secret as an environment
variable (``$VIDMOCK_API_KEY``, ``$OPENAI_API_KEY``…), never its value.

The journal keeps headers masked, so the real key is not even available here; a placeholder is what
makes the command usable. Commands are built from parts, literal text or a variable name, and each
argument is quoted for a POSIX shell (``shlex.quote``; variables in double quotes).
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
from typing import Any
from urllib.parse import parse_qsl, quote

from ..scenarios.engine import HEADER as SCENARIO_HEADER
from ..scenarios.engine import SEED_HEADER
from .masking import SECRET_KEYS, scrub

GATEWAY_KEY = "VIDMOCK_API_KEY"
CALLBACK_SECRET = "VIDMOCK_CALLBACK_SECRET"
# Headers an HTTP client adds by itself: repeating them adds noise, not meaning.
_CLIENT_HEADERS = frozenset(
    {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length", "cookie", "traceparent"}
)
_SECRET_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key"})
_SECRET_PARAMS = frozenset({"key", "api_key", "token", "access_token"})
_SCHEMES = ("Bearer ", "Key ", "Basic ", "Token ")
# The placeholder marker carries a random nonce so that text from a request (a prompt saying
# "@@VAR…") cannot forge one and have the shell expand a variable of the user's choosing. The nonce
# never reaches the output, which stays deterministic.
_NONCE = secrets.token_hex(8)
_VAR = re.compile(rf"@@{_NONCE}:([A-Z0-9_]+)@@")
_DOUBLE_QUOTE_UNSAFE = re.compile(r'["$`\\!]')


def var(name: str) -> str:
    """A placeholder inside any text given to ``command``; it becomes ``"$NAME"`` in the shell."""
    return f"@@{_NONCE}:{name}@@"


def env_name(service: str, what: str = "API_KEY") -> str:
    """``google-vertex`` → ``GOOGLE_VERTEX_API_KEY``."""
    return re.sub(r"[^A-Z0-9]+", "_", service.upper()).strip("_") + "_" + what


def shell_arg(arg: str) -> str:
    parts = _VAR.split(arg)  # literal, name, literal, name, …, literal
    if len(parts) == 1:
        return shlex.quote(arg)
    literals = parts[0::2]
    if not any(_DOUBLE_QUOTE_UNSAFE.search(p) for p in literals):
        return '"' + "".join(p if i % 2 == 0 else "${" + p + "}" for i, p in enumerate(parts)) + '"'
    return "".join((shlex.quote(p) if p else "") if i % 2 == 0 else f'"${{{p}}}"' for i, p in enumerate(parts))


def command(method: str, url: str, headers: list[tuple[str, str]], body: str | None, note: str = "") -> str:
    head = "curl -sS" + ("" if method == "GET" and body is None else f" -X {shlex.quote(method)}")
    lines = [f"{head} {shell_arg(url)}"]
    lines += [f"-H {shell_arg(f'{k}: {v}')}" for k, v in headers]
    if body is not None:
        lines.append(f"--data-raw {shell_arg(body)}")
    text = " \\\n  ".join(lines)
    return text + (f"  # {note}" if note else "")


def _secret_value(masked: str, name: str) -> str:
    """A masked header value → the same scheme with a variable (``Bearer ${NAME}``)."""
    for scheme in _SCHEMES:
        if masked.startswith(scheme[:4]):
            return scheme + var(name)
    return var(name)


def _json_with_vars(value: Any, prefix: str) -> Any:
    if isinstance(value, dict):
        return {
            k: (
                var(f"{prefix}_{re.sub(r'[^A-Z0-9]+', '_', str(k).upper())}")
                if str(k).lower() in SECRET_KEYS
                else _json_with_vars(v, prefix)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_json_with_vars(v, prefix) for v in value]
    return scrub(value)


def _body(body: Any, content_type: str, prefix: str) -> tuple[str | None, str]:
    """The body for ``--data-raw`` and a note when it cannot be repeated exactly."""
    if body is None:
        return None, ""
    if isinstance(body, dict) and set(body) == {"bytes"}:
        return None, f"a {body['bytes']}-byte binary body is not kept in the journal"
    if isinstance(body, dict) and set(body) == {"truncated"}:
        return str(scrub(body["truncated"])), "the body was cut to what the journal keeps"
    if isinstance(body, (dict, list)):
        return json.dumps(_json_with_vars(body, prefix), ensure_ascii=False, separators=(",", ":")), ""
    note = "a multipart body: repeat it with -F fields" if "multipart" in content_type else ""
    return str(scrub(body)), note


def upstream_command(base_url: str, entry: Any) -> str:
    """An upstream call the emulator received, repeated against this server's emulator mount."""
    service = str(entry.service)
    params = []
    for k, v in parse_qsl(entry.query, keep_blank_values=True):
        value = (
            var(env_name(service, "TOKEN" if "token" in k.lower() else "API_KEY")) if k.lower() in _SECRET_PARAMS else v
        )
        params.append(f"{quote(k, safe='')}={value if _VAR.fullmatch(value) else quote(value, safe='')}")
    url = f"{base_url}/providers/{service}{entry.path}" + ("?" + "&".join(params) if params else "")
    headers: list[tuple[str, str]] = []
    content_type = ""
    for k, v in (entry.headers or {}).items():
        low = k.lower()
        if low in _CLIENT_HEADERS:
            continue
        if low == "content-type":
            content_type = v
        headers.append((k, _secret_value(v, env_name(service)) if low in _SECRET_HEADERS else v))
    body, note = _body(entry.body, content_type, env_name(service, "SECRET").removesuffix("_SECRET"))
    return command(str(entry.method), url, headers, body, note)


def create_command(base_url: str, doc: dict[str, Any], model: str | None, prompt: str | None) -> str:
    """The gateway's ``POST /v1/videos`` for this job (gateway.md §3), rebuilt from the job record:
    the same model (pinned to the provider it went to), prompt, size, seconds, callback, scenario and
    seed, so the new job behaves the same way."""
    payload: dict[str, Any] = {"model": model or doc.get("model"), "prompt": prompt if prompt is not None else ""}
    payload["seconds"] = doc.get("seconds")
    if doc.get("size"):
        payload["size"] = doc["size"]
    if doc.get("audio") is False:
        payload["audio"] = False
    if doc.get("callback_url"):
        payload["callback_url"] = scrub(doc["callback_url"])
        payload["callback_secret"] = var(CALLBACK_SECRET)
    headers = [("Authorization", "Bearer " + var(GATEWAY_KEY)), ("Content-Type", "application/json")]
    if doc.get("scenario"):
        headers.append((SCENARIO_HEADER, str(doc["scenario"])))
    if doc.get("seed") is not None:
        headers.append((SEED_HEADER, str(doc["seed"])))
    notes = []
    if prompt is None:
        notes.append("the prompt was not found in the journal")
    if doc.get("image_count"):
        notes.append(f"the job's {doc['image_count']} input image(s) are not included")
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return command("POST", f"{base_url}/v1/videos", headers, body, "; ".join(notes))
