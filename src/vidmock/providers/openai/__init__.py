"""OpenAI Videos API (Sora 2): emulator and the gateway's client for it."""

from ..kit import plugin
from .client import build_client
from .emulator import OpenAIEmulator

PLUGIN = plugin("openai", OpenAIEmulator, build_client)
