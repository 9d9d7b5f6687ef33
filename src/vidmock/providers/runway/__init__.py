"""Runway (``api.dev.runwayml.com``): emulator and a gateway's client for it (providers.md §9).

``PLUGIN`` uses the default ``RunwayOptions``; ``make_plugin(options)`` builds a variant (for example
``RunwayOptions(concurrency=1)`` to see THROTTLED tasks, or ``keep_cancelled=True``) to put in place
of the registry's entry.
"""

from __future__ import annotations

from ..kit import variants
from .client import build_client
from .emulator import RunwayEmulator
from .models import RunwayOptions

make_plugin = variants("runway", RunwayEmulator, build_client, RunwayOptions, client_options=True)
PLUGIN = make_plugin()

__all__ = ["PLUGIN", "RunwayOptions", "make_plugin"]
