"""Masking secrets wherever vidmock shows something: the journal, control-plane dumps, webhook rows,
the inspector, error messages and the access log. One place decides what a secret looks like.

``mask("whsec_abcdefgh1234")`` keeps enough to recognise a value (``whse…34``), never all of it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie", "set-cookie", "x-vidmock-token"}
)
# Query parameters that carry credentials: Google's ``?key=``, the gateway's signed ``token=``, GCS
# V4 signatures, and the usual names a callback receiver may put in its own URL.
SECRET_PARAMS = frozenset(
    {
        "key",
        "api_key",
        "apikey",
        "token",
        "access_token",
        "secret",
        "signature",
        "sig",
        "x-goog-signature",
        "x-goog-credential",
        "x-amz-signature",
        "password",
    }
)
# Fields of stored documents that hold a secret in full.
SECRET_FIELDS = frozenset({"callback_secret", "secret", "webhook_secret", "client_secret", "api_key", "token"})
MASK_CHAR = "…"


def mask(value: str) -> str:
    """Show enough of a secret to recognise it, never all of it."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + MASK_CHAR + value[-2:]


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (mask(v) if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def mask_query(query: str) -> str:
    """A query string with credential parameters masked; every other byte is kept as sent."""
    if not query or "=" not in query:
        return query
    parts = []
    for part in query.split("&"):
        name, sep, value = part.partition("=")
        if sep and unquote_plus(name).lower() in SECRET_PARAMS:
            part = f"{name}={mask(unquote_plus(value))}"
        parts.append(part)
    return "&".join(parts)


def mask_url(url: str) -> str:
    """A URL with its credential query parameters and any userinfo password masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url if len(url) <= 8 else mask(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, password = userinfo.partition(":")
        netloc = f"{user}{sep}{mask(password) if sep else ''}@{hostport}"
    if not parts.query and netloc == parts.netloc:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, mask_query(parts.query), parts.fragment))


# An absolute URL, or a path that carries a query (``/v1/videos/logs/x/content?token=…`` in a request row).
_URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>]+|/[^\s\"'<>?]*\?[^\s\"'<>]+")


# A credential parameter anywhere in text, also where a URL is broken up (``?x=<b>&token=…``).
_PARAM_IN_TEXT = re.compile(
    r"([?&](?:" + "|".join(re.escape(p) for p in sorted(SECRET_PARAMS)) + r")=)([^&#\s\"'<>]+)", re.IGNORECASE
)


def _mask_param(m: re.Match[str]) -> str:
    value = m.group(2)
    if MASK_CHAR in value or value.strip("*") == "":  # masked already, by the URL pass
        return m.group(0)
    return m.group(1) + mask(value)


def mask_text(text: str) -> str:
    """Free text (a log line, an error message, a request path) with every URL and every credential
    query parameter in it masked."""
    if "://" not in text and "?" not in text and "&" not in text:
        return text
    return _PARAM_IN_TEXT.sub(_mask_param, _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), text))


def mask_doc(
    doc: dict[str, Any], url_fields: tuple[str, ...] = ("callback_url", "target_url", "url")
) -> dict[str, Any]:
    """A shallow copy of a stored document for display: secret fields masked, callback URLs' query
    tokens masked."""
    out = dict(doc)
    for key, value in doc.items():
        if key in SECRET_FIELDS and isinstance(value, str) and value:
            out[key] = mask(value)
        elif key in url_fields and isinstance(value, str):
            out[key] = mask_url(value)
    return out


def mask_json(value: Any, depth: int = 0) -> Any:
    """A parsed JSON body for display: secret fields masked and URLs' credential parameters masked,
    at any depth (bounded, as the journal only keeps small bodies)."""
    if depth > 32:
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in SECRET_FIELDS and isinstance(item, str) and item:
                out[key] = mask(item)
            else:
                out[key] = mask_json(item, depth + 1)
        return out
    if isinstance(value, list):
        return [mask_json(item, depth + 1) for item in value]
    if isinstance(value, str) and "://" in value and ("?" in value or "@" in value):
        return mask_url(value)
    return value


_SECRET_IN_TEXT = re.compile(r'("(?:' + "|".join(sorted(SECRET_FIELDS)) + r')"\s*:\s*")([^"]*)(")')


def mask_json_text(text: str) -> str:
    """JSON text that may be cut short (a truncated body): secret fields and URLs masked."""
    return mask_text(_SECRET_IN_TEXT.sub(lambda m: m.group(1) + mask(m.group(2)) + m.group(3), text))
