"""Avalanche, the stealth reseller (Kie-style Veo and Sora APIs): emulator and the gateway's client."""

from ..kit import plugin
from .client import build_client
from .emulator import AvalancheEmulator

PLUGIN = plugin("avalanche", AvalancheEmulator, build_client)
