"""Set-up that is costly to build and never changes, shared by the apps one caller builds.

Building an app makes HTTP clients that each load the CA bundle into a TLS context, and parses every
scenario file; together that was most of what ``build_app`` cost, and a test suite builds hundreds of
apps. A caller that builds many apps in one process (the test suite's conftest, the pytest plugin)
creates one ``SharedSetup`` and passes it to each ``build_app``; a caller that passes none gets a
fresh one per app, so nothing is shared behind anyone's back and there is no module-level cache.

Only immutable results belong here: the TLS context is configured once and then only used, and the
parsed values must be frozen (scenarios are frozen dataclasses).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx

T = TypeVar("T")


class SharedSetup:
    def __init__(self) -> None:
        self._tls: ssl.SSLContext | None = None
        self._parsed: dict[tuple[str, str, int, int], Any] = {}

    def tls_context(self) -> ssl.SSLContext:
        """The client TLS context httpx builds for ``verify=True`` (certifi's bundle, or SSL_CERT_FILE /
        SSL_CERT_DIR), built on first use and then handed to every client as ``verify=``."""
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        return self._tls

    def parsed(self, path: Path, parse: Callable[[Path], T]) -> T:
        """``parse(path)``, reused while the file keeps its modification time and size."""
        stat = path.stat()
        key = (f"{parse.__module__}.{parse.__qualname__}", str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if key not in self._parsed:
            self._parsed[key] = parse(path)
        return cast(T, self._parsed[key])

    def loader(self, parse: Callable[[Path], T]) -> Callable[[Path], T]:
        """``parse`` with its results cached here."""
        return lambda path: self.parsed(path, parse)
