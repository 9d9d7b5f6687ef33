"""OpenAI Videos API (Sora 2): emulator and the gateway's client for it."""

from ..base import ProviderPlugin
from .client import build_client
from .emulator import build_emulator

PLUGIN = ProviderPlugin(name="openai", build_emulator=build_emulator, build_client=build_client)
