"""Objects in the stand-in's buckets: a store document per object, its bytes a content-addressed blob."""

from __future__ import annotations

from typing import Any

from ...gcs import parse_gs_uri
from ...store import Store

KIND = "gcs.object"


def put_object(store: Store, uri: str, data: bytes, content_type: str, now: float) -> None:
    """Write ``gs://bucket/name`` (idempotent: an object already there is left as it is)."""
    bucket, name = parse_gs_uri(uri)
    key = f"{bucket}/{name}"
    if store.get(KIND, key) is None:
        store.put(
            KIND,
            key,
            {
                "bucket": bucket,
                "name": name,
                "blob": store.put_blob(data),
                "size": len(data),
                "content_type": content_type,
                "created": now,
            },
        )


def get_object(store: Store, bucket: str, name: str) -> tuple[dict[str, Any], bytes] | None:
    doc = store.get(KIND, f"{bucket}/{name}")
    data = store.get_blob(doc["blob"]) if doc else None
    return None if doc is None or data is None else (doc, data)
