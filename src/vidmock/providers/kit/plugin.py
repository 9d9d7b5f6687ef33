"""One plugin factory for every provider: ``plugin(name, Emulator, build_client, options)``.

A provider with options (Fal, Kling, Luma, MiniMax, Runway) exports ``make_plugin = variants(...)``
so a test or a user builds a variant (``make_plugin(LumaOptions(api_keys=…))``) and passes it to
``build_app(config, plugins=…)``; nothing patches the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.types import ASGIApp

from ...config import ServerConfig
from ..base import EmulatorContext, ProviderClient, ProviderPlugin

OptionsT = TypeVar("OptionsT")


@dataclass(frozen=True)
class EmulatorFactory:
    """``build_emulator`` of a plugin: the emulator class and the options it is built with."""

    emulator: Any  # an Emulator subclass taking (ctx) or (ctx, options)
    options: Any = None

    def __call__(self, ctx: EmulatorContext) -> ASGIApp:
        built = self.emulator(ctx) if self.options is None else self.emulator(ctx, self.options)
        app: ASGIApp = built.app()
        return app


@dataclass(frozen=True)
class ClientFactory:
    """``build_client`` of a plugin, handing the options on when the client takes them."""

    build: Callable[..., ProviderClient]
    options: Any = None

    def __call__(self, config: ServerConfig) -> ProviderClient:
        return self.build(config) if self.options is None else self.build(config, self.options)


def plugin(
    name: str,
    emulator: Any,
    build_client: Callable[..., ProviderClient],
    options: Any = None,
    *,
    client_options: bool = False,
) -> ProviderPlugin:
    """A ``ProviderPlugin`` for ``emulator`` (an ``Emulator`` subclass) and the gateway client.
    ``client_options``: the client builder takes the options too (``build_client(config, options)``)."""
    return ProviderPlugin(
        name=name,
        build_emulator=EmulatorFactory(emulator, options),
        build_client=ClientFactory(build_client, options if client_options else None),
    )


class variants(Generic[OptionsT]):  # lower case: it stands in for a function, make_plugin = variants(...)
    """``make_plugin(options=None)`` for a provider whose emulator takes options of type ``OptionsT``."""

    def __init__(
        self,
        name: str,
        emulator: Any,
        build_client: Callable[..., ProviderClient],
        default: Callable[[], OptionsT],
        *,
        client_options: bool = False,
    ) -> None:
        self.name, self.emulator, self.build_client, self.default = name, emulator, build_client, default
        self.client_options = client_options

    def __call__(self, options: OptionsT | None = None) -> ProviderPlugin:
        chosen = options if options is not None else self.default()
        return plugin(self.name, self.emulator, self.build_client, chosen, client_options=self.client_options)
