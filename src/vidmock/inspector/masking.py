"""What the inspector masks before a value reaches the page: the shared rules of ``vidmock.masking``
(one place decides what a secret looks like), applied to any value a page shows.

Headers come masked from the journal; here body values under secret-looking keys and credential query
parameters in any text (Google's ``?key=``, signed ``token=``) are masked too, so a secret is never shown
whole (recognisable by its first and last characters).
"""

from __future__ import annotations

from typing import Any

from ..masking import SECRET_FIELDS, SECRET_HEADERS, SECRET_PARAMS, mask, mask_text

# A value under any of these keys, at any depth, is a secret (body fields, query names, header names).
SECRET_KEYS = SECRET_FIELDS | SECRET_PARAMS | SECRET_HEADERS


def scrub(value: Any) -> Any:
    """A copy with secret-looking keys and credential query parameters masked."""
    if isinstance(value, dict):
        return {
            k: (mask(v) if isinstance(v, str) and str(k).lower() in SECRET_KEYS else scrub(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


scrub_text = mask_text
