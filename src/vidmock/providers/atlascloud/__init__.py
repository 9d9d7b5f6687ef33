"""KLING v3.0 through AtlasCloud: emulator and the gateway's client for it."""

from ..base import ProviderPlugin
from .client import build_client
from .emulator import build_emulator

PLUGIN = ProviderPlugin(name="atlascloud", build_emulator=build_emulator, build_client=build_client)
