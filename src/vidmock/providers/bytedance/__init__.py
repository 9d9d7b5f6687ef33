"""ByteDance Seedance (BytePlus ModelArk / Volcengine Ark): emulator and the gateway's client for it."""

from ..base import ProviderPlugin
from .client import build_client
from .emulator import build_emulator

PLUGIN = ProviderPlugin(name="bytedance", build_emulator=build_emulator, build_client=build_client)
