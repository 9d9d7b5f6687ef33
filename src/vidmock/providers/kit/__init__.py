"""The emulator kit: the one base every provider emulator stands on (see ``emulator``).

A provider is ``models`` (its records), ``errors`` (a ``ProviderError`` subclass: its envelope) and
``emulator`` (an ``Emulator`` subclass: its route table and handlers), registered with ``plugin``.
docs/adding-a-provider.md walks through one.
"""

from __future__ import annotations

from .bodies import FilePart, Form, prompt_field
from .emulator import Emulator, EmulatorApp
from .errors import BadBody, BodyTooLarge, ObjectStoreError, ProviderError
from .limits import EmulatorLimits
from .plugin import plugin, variants

__all__ = [
    "BadBody",
    "BodyTooLarge",
    "Emulator",
    "EmulatorApp",
    "EmulatorLimits",
    "FilePart",
    "ObjectStoreError",
    "Form",
    "ProviderError",
    "plugin",
    "prompt_field",
    "variants",
]
