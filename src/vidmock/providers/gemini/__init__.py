"""Google Veo on the Gemini API (``google-ai-studio``): emulator, and a client the gateway never routes to."""

from ..base import ProviderPlugin
from .client import build_client
from .emulator import build_emulator

PLUGIN = ProviderPlugin(name="google-ai-studio", build_emulator=build_emulator, build_client=build_client)
