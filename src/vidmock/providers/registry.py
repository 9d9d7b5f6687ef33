"""Every provider vidmock emulates. Adding one is a package with a ``PLUGIN`` and a line here."""

from __future__ import annotations

from .base import ProviderPlugin
from .avalanche import PLUGIN as AVALANCHE
from .bytedance import PLUGIN as BYTEDANCE
from .openai import PLUGIN as OPENAI
from .vertex import PLUGIN as VERTEX

PLUGINS: dict[str, ProviderPlugin] = {p.name: p for p in (VERTEX, OPENAI, BYTEDANCE, AVALANCHE)}
