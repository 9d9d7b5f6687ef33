"""Avalanche, the stealth reseller (Kie-style Veo and Sora APIs): emulator and the gateway's client."""

from ..base import ProviderPlugin
from .client import build_client
from .emulator import build_emulator

PLUGIN = ProviderPlugin(name="avalanche", build_emulator=build_emulator, build_client=build_client)
