"""KLING v3.0 through AtlasCloud: emulator and the gateway's client for it."""

from ..kit import plugin
from .client import build_client
from .emulator import AtlasEmulator

PLUGIN = plugin("atlascloud", AtlasEmulator, build_client)
