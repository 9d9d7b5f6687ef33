"""Google Veo on the Gemini API (``google-ai-studio``): emulator, and a client the gateway never routes to."""

from ..kit import plugin
from .client import build_client
from .emulator import GeminiEmulator

PLUGIN = plugin("google-ai-studio", GeminiEmulator, build_client)
