"""MiniMax video (v1 Hailuo, v2 H3): emulator and the gateway's client for it.

``PLUGIN`` uses the default ``MinimaxOptions``; ``make_plugin(options)`` builds a variant (for example
``MinimaxOptions(v2_poll="v1")``, the only MiniMax poll route in the reference's worker), to put in
place of the registry's entry.
"""

from __future__ import annotations

from typing import Any

from ...config import ServerConfig
from ..base import EmulatorContext, ProviderPlugin
from .client import MinimaxClient, build_client
from .emulator import build_emulator
from .models import MinimaxOptions


def make_plugin(options: MinimaxOptions | None = None) -> ProviderPlugin:
    opts = options or MinimaxOptions()

    def emulator(ctx: EmulatorContext) -> Any:
        return build_emulator(ctx, opts)

    def client(config: ServerConfig) -> MinimaxClient:
        return build_client(config, opts)

    return ProviderPlugin(name="minimax", build_emulator=emulator, build_client=client)


PLUGIN = make_plugin()

__all__ = ["PLUGIN", "MinimaxOptions", "make_plugin"]
