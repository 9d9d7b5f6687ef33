"""Runway (``api.dev.runwayml.com``): emulator and a gateway's client for it (providers.md §9).

``PLUGIN`` uses the default ``RunwayOptions``; ``make_plugin(options)`` builds a variant (for example
``RunwayOptions(concurrency=1)`` to see THROTTLED tasks, or ``keep_cancelled=True``) to put in place
of the registry's entry.
"""

from __future__ import annotations

from typing import Any

from ...config import ServerConfig
from ..base import EmulatorContext, ProviderPlugin
from .client import RunwayClient, build_client
from .emulator import SERVICE, build_emulator
from .models import RunwayOptions


def make_plugin(options: RunwayOptions | None = None) -> ProviderPlugin:
    opts = options or RunwayOptions()

    def emulator(ctx: EmulatorContext) -> Any:
        return build_emulator(ctx, opts)

    def client(config: ServerConfig) -> RunwayClient:
        return build_client(config, opts)

    return ProviderPlugin(name=SERVICE, build_emulator=emulator, build_client=client)


PLUGIN = make_plugin()

__all__ = ["PLUGIN", "RunwayOptions", "make_plugin"]
