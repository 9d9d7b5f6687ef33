"""vidmock in your test suite: a pytest plugin (``vidmock.testing.plugin``, loaded automatically
through the ``pytest11`` entry point), a background server, a webhook receiver and respx routing.

Nothing heavy is imported here: the plugin module is imported at every pytest start-up, so the
Starlette app, uvicorn and PyAV load only when a test asks for a vidmock fixture.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ServerThread", "VidmockHandle", "WebhookReceiver", "REAL_BASE_URLS", "route_vidmock"]

_LAZY = {
    "ServerThread": "vidmock.testing.server",
    "VidmockHandle": "vidmock.testing.server",
    "WebhookReceiver": "vidmock.testing.receiver",
    "REAL_BASE_URLS": "vidmock.testing.routing",
    "route_vidmock": "vidmock.testing.routing",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vidmock.testing' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
