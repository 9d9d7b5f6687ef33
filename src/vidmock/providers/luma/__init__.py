"""Luma Dream Machine (Ray video generations): emulator and a gateway client for it.

``PLUGIN`` uses the default ``LumaOptions``; ``make_plugin(options)`` builds a variant (for example
``LumaOptions(api_keys=("luma-test",))`` to refuse other keys, ``delete_status=200`` or a
``content_ttl``), to put in place of the registry's entry.
"""

from __future__ import annotations

from typing import Any

from ...config import ServerConfig
from ..base import EmulatorContext, ProviderPlugin
from .client import LumaClient, build_client
from .emulator import SERVICE, build_emulator
from .models import LumaOptions


def make_plugin(options: LumaOptions | None = None) -> ProviderPlugin:
    opts = options or LumaOptions()

    def emulator(ctx: EmulatorContext) -> Any:
        return build_emulator(ctx, opts)

    def client(config: ServerConfig) -> LumaClient:
        return build_client(config)

    return ProviderPlugin(name=SERVICE, build_emulator=emulator, build_client=client)


PLUGIN = make_plugin()

__all__ = ["PLUGIN", "LumaOptions", "make_plugin"]
