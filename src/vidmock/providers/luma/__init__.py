"""Luma Dream Machine (Ray video generations): emulator and a gateway client for it.

``PLUGIN`` uses the default ``LumaOptions``; ``make_plugin(options)`` builds a variant (for example
``LumaOptions(api_keys=("luma-test",))`` to refuse other keys, ``delete_status=200`` or a
``content_ttl``), to put in place of the registry's entry.
"""

from __future__ import annotations

from ..kit import variants
from .client import build_client
from .emulator import SERVICE, LumaEmulator
from .models import LumaOptions

make_plugin = variants(SERVICE, LumaEmulator, build_client, LumaOptions)
PLUGIN = make_plugin()

__all__ = ["PLUGIN", "LumaOptions", "make_plugin"]
