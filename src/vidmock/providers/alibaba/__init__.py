"""Alibaba DashScope video synthesis: emulator and the gateway's client for it."""

from ..kit import plugin
from .client import build_client
from .emulator import DashScopeEmulator

PLUGIN = plugin("alibaba", DashScopeEmulator, build_client)
