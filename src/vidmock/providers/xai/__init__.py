"""xAI Grok Imagine video: emulator and the gateway's client for it."""

from ..kit import plugin
from .client import build_client
from .emulator import XaiEmulator

PLUGIN = plugin("xai", XaiEmulator, build_client)
