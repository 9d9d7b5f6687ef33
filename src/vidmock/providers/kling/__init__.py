"""Kling AI, direct API (providers.md §5.1–5.6): emulator and a gateway client for it.

``PLUGIN`` uses the default ``KlingOptions`` (the documented dev AccessKey/SecretKey pair,
``DEV_ACCESS_KEY`` / ``DEV_SECRET_KEY``); ``make_plugin(options)`` builds a variant, for example other
key pairs, a clock-skew leeway, or ``check_image_size=False`` to let tiny test images through.
KLING via AtlasCloud is the separate ``atlascloud`` provider.
"""

from __future__ import annotations

from ..base import ProviderPlugin
from ..kit import variants
from .auth import encode as encode_token
from .client import build_client
from .emulator import SERVICE, KlingEmulator
from .models import DEV_ACCESS_KEY, DEV_SECRET_KEY, KlingOptions

_variants = variants(SERVICE, KlingEmulator, build_client, KlingOptions, client_options=True)


def make_plugin(options: KlingOptions | None = None) -> ProviderPlugin:
    if options is not None and not options.keys:
        raise ValueError("KlingOptions.keys needs at least one (AccessKey, SecretKey) pair")
    return _variants(options)


PLUGIN = make_plugin()

__all__ = ["PLUGIN", "KlingOptions", "make_plugin", "encode_token", "DEV_ACCESS_KEY", "DEV_SECRET_KEY"]
