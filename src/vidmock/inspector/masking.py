"""What the inspector masks before a value reaches the page.

Headers come masked from the journal (``journal.mask_headers``); here body values under
secret-looking keys and credential query parameters (Google's ``?key=``, signed ``token=``) are
masked too, so a secret is never shown whole (recognisable by its first and last characters).
"""

from __future__ import annotations

import re
from typing import Any

from ..masking import mask

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
SECRET_PARAM = re.compile(
    r"([?&](?:token|key|api_key|access_token|X-Goog-Signature|X-Amz-Signature)=)([^&#\s\"']+)", re.IGNORECASE
)


def scrub(value: Any) -> Any:
    """A copy with secret-looking keys and credential query parameters masked."""
    if isinstance(value, dict):
        return {
            k: (mask(v) if isinstance(v, str) and str(k).lower() in SECRET_KEYS else scrub(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def scrub_text(text: str) -> str:
    return SECRET_PARAM.sub(lambda m: m.group(1) + mask(m.group(2)), text)
