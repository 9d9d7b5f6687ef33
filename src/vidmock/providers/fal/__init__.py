"""fal.ai queue API (providers.md §11): emulator and a gateway client for it.

``PLUGIN`` uses the default ``FalOptions``; ``make_plugin(options)`` builds a variant (for example
``FalOptions(validate_on_submit=True)``) to put in place of the registry's entry.
"""

from __future__ import annotations

from typing import Any

from ...config import ServerConfig
from ..base import EmulatorContext, ProviderPlugin
from .client import FalClient, build_client
from .emulator import SERVICE, build_emulator
from .models import FalOptions


def make_plugin(options: FalOptions | None = None) -> ProviderPlugin:
    opts = options or FalOptions()

    def emulator(ctx: EmulatorContext) -> Any:
        return build_emulator(ctx, opts)

    def client(config: ServerConfig) -> FalClient:
        return build_client(config)

    return ProviderPlugin(name=SERVICE, build_emulator=emulator, build_client=client)


PLUGIN = make_plugin()

__all__ = ["PLUGIN", "FalOptions", "make_plugin"]
