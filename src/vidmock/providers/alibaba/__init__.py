"""Alibaba DashScope video synthesis: emulator and the gateway's client for it."""

from ..base import ProviderPlugin
from .client import build_client
from .emulator import build_emulator

PLUGIN = ProviderPlugin(name="alibaba", build_emulator=build_emulator, build_client=build_client)
