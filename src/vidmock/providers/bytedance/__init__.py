"""ByteDance Seedance (BytePlus ModelArk / Volcengine Ark): emulator and the gateway's client for it."""

from ..kit import plugin
from .client import build_client
from .emulator import ArkEmulator

PLUGIN = plugin("bytedance", ArkEmulator, build_client)
