"""fal.ai queue API (providers.md §11): emulator and a gateway client for it.

``PLUGIN`` uses the default ``FalOptions``; ``make_plugin(options)`` builds a variant (for example
``FalOptions(validate_on_submit=True)``) to put in place of the registry's entry.
"""

from __future__ import annotations

from ..kit import variants
from .client import build_client
from .emulator import SERVICE, FalEmulator
from .models import FalOptions

make_plugin = variants(SERVICE, FalEmulator, build_client, FalOptions)
PLUGIN = make_plugin()

__all__ = ["PLUGIN", "FalOptions", "make_plugin"]
