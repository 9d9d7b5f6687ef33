"""Every provider vidmock emulates. Adding one is a package with a ``PLUGIN`` and a line here.

The registry is data, handed to ``server.build_app(config, plugins=…)``: ``PLUGINS`` is read-only, and
a test or a user that wants a variant (other options) or fewer providers passes its own mapping,
for example ``replacing(make_plugin(LumaOptions(api_keys=("k",))))``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .alibaba import PLUGIN as ALIBABA
from .atlascloud import PLUGIN as ATLASCLOUD
from .avalanche import PLUGIN as AVALANCHE
from .base import ProviderPlugin
from .bytedance import PLUGIN as BYTEDANCE
from .fal import PLUGIN as FAL
from .gemini import PLUGIN as GEMINI
from .kling import PLUGIN as KLING
from .luma import PLUGIN as LUMA
from .minimax import PLUGIN as MINIMAX
from .openai import PLUGIN as OPENAI
from .runway import PLUGIN as RUNWAY
from .vertex import PLUGIN as VERTEX
from .xai import PLUGIN as XAI

PLUGINS: Mapping[str, ProviderPlugin] = MappingProxyType(
    {
        p.name: p
        for p in (
            VERTEX,
            OPENAI,
            BYTEDANCE,
            ATLASCLOUD,
            MINIMAX,
            XAI,
            ALIBABA,
            GEMINI,
            AVALANCHE,
            LUMA,
            FAL,
            RUNWAY,
            KLING,
        )
    }
)


def replacing(*plugins: ProviderPlugin, base: Mapping[str, ProviderPlugin] = PLUGINS) -> dict[str, ProviderPlugin]:
    """``base`` with each of ``plugins`` in place of the entry of the same name (a variant)."""
    return {**base, **{p.name: p for p in plugins}}
