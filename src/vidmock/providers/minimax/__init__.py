"""MiniMax video (v1 Hailuo, v2 H3): emulator and the gateway's client for it.

``PLUGIN`` uses the default ``MinimaxOptions``; ``make_plugin(options)`` builds a variant (for example
``MinimaxOptions(v2_poll="v1")``, the only MiniMax poll route in the reference's worker), to put in
place of the registry's entry.
"""

from __future__ import annotations

from ..kit import variants
from .client import build_client
from .emulator import MinimaxEmulator
from .models import MinimaxOptions

make_plugin = variants("minimax", MinimaxEmulator, build_client, MinimaxOptions, client_options=True)
PLUGIN = make_plugin()

__all__ = ["PLUGIN", "MinimaxOptions", "make_plugin"]
