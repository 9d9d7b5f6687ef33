"""Google Vertex AI Veo: emulator and the gateway's client for it."""

from ..kit import plugin
from .client import build_client
from .emulator import VertexEmulator

PLUGIN = plugin("google-vertex", VertexEmulator, build_client)
