"""Every provider vidmock emulates. Adding one is a package with a ``PLUGIN`` and a line here."""

from __future__ import annotations

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

PLUGINS: dict[str, ProviderPlugin] = {
    p.name: p
    for p in (VERTEX, OPENAI, BYTEDANCE, ATLASCLOUD, MINIMAX, XAI, ALIBABA, GEMINI, AVALANCHE, LUMA, FAL, RUNWAY, KLING)
}
