"""Kling AI, direct API (providers.md §5.1–5.6): emulator and a gateway client for it.

``PLUGIN`` uses the default ``KlingOptions`` (the documented dev AccessKey/SecretKey pair,
``DEV_ACCESS_KEY`` / ``DEV_SECRET_KEY``); ``make_plugin(options)`` builds a variant, for example other
key pairs, a clock-skew leeway, or ``check_image_size=False`` to let tiny test images through.
KLING via AtlasCloud is the separate ``atlascloud`` provider.
"""

from __future__ import annotations

from typing import Any

from ...config import ServerConfig
from ..base import EmulatorContext, ProviderPlugin
from .auth import encode as encode_token
from .client import KlingClient, build_client
from .emulator import SERVICE, build_emulator
from .models import DEV_ACCESS_KEY, DEV_SECRET_KEY, KlingOptions


def make_plugin(options: KlingOptions | None = None) -> ProviderPlugin:
    opts = options or KlingOptions()
    if not opts.keys:
        raise ValueError("KlingOptions.keys needs at least one (AccessKey, SecretKey) pair")

    def emulator(ctx: EmulatorContext) -> Any:
        return build_emulator(ctx, opts)

    def client(config: ServerConfig) -> KlingClient:
        return build_client(config, opts)

    return ProviderPlugin(name=SERVICE, build_emulator=emulator, build_client=client)


PLUGIN = make_plugin()

__all__ = ["PLUGIN", "KlingOptions", "make_plugin", "encode_token", "DEV_ACCESS_KEY", "DEV_SECRET_KEY"]
