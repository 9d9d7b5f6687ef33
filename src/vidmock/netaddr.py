"""Host names and addresses, decided by parsing, never by string prefix.

* ``is_loopback(host)``: ``localhost`` exactly (and its FQDN form ``localhost.``) or an address that
  ``ipaddress`` parses as loopback (``127.0.0.0/8``, ``::1``, ``::ffff:127.0.0.1``).
  ``localhost.example.com`` and ``127.example.com`` are not loopback.
* ``SelfCallGuard``: refuses a callback URL that would land on this server's own control plane
  (``/_vidmock/...``), whatever host alias reaches it: any loopback address, ``localhost``, the
  unspecified addresses the server may be bound to, its ``--host`` and its ``--public-url`` host.
  A job's ``callback_url`` pointing at ``/_vidmock/reset`` would otherwise wipe every project when
  the job completes (issue 12). The real gateway has no such endpoint to protect, so the URL is
  accepted at create and the *attempt* fails with ``SELF_CALL`` as its error, retried and failed
  by the sender's own rules like any unreachable receiver.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

CONTROL_PREFIX = "/_vidmock"
SELF_CALL = "Refused: the callback URL points at this vidmock server's own control plane (/_vidmock/)"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address in any form the system resolver accepts without DNS (``127.1``, ``2130706433``,
    ``0x7f.0.0.1``, ``[::1]``), or None for a name."""
    text = host.strip().strip("[]").split("%", 1)[0]  # an IPv6 zone id does not change the address
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    try:
        # inet_aton is what getaddrinfo uses for numeric IPv4 forms; it never touches the network.
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except (OSError, ValueError, UnicodeError):
        return None


def is_loopback(host: str) -> bool:
    name = host.strip().lower()
    if name in ("localhost", "localhost."):
        return True
    address = parse_ip(name)
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def is_unspecified(host: str) -> bool:
    address = parse_ip(host)
    return address is not None and address.is_unspecified


def url_host(host: str) -> str:
    """A host as it goes into a URL: IPv6 addresses in brackets (``http://[::1]:4001``)."""
    address = parse_ip(host)
    if isinstance(address, ipaddress.IPv6Address) and not host.startswith("["):
        return f"[{host}]"
    return host


@dataclass(frozen=True)
class SelfCallGuard:
    """``guard(url)`` is None for a URL a callback may go to, else the error of the refused attempt."""

    host: str
    port: int
    public_url: str | None = None

    def __call__(self, url: str) -> str | None:
        try:
            parts = urlsplit(url.strip())
            host = (parts.hostname or "").rstrip(".")
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
        except ValueError:
            return None  # not a URL this guard can read: the HTTP client refuses it on its own
        path = _normal_path(parts.path)
        if not (path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")):
            return None
        return SELF_CALL if self._is_this_server(host, port) else None

    def _is_this_server(self, host: str, port: int | None) -> bool:
        if self.public_url:
            public = urlsplit(self.public_url)
            public_port = public.port or _DEFAULT_PORTS.get(public.scheme.lower())
            if (public.hostname or "").lower().rstrip(".") == host.lower() and public_port == port:
                return True
        if port != self.port:
            return False
        own = self.host.strip("[]").lower()
        return (
            is_loopback(host)
            or is_unspecified(host)
            or host.lower() == own
            or (is_unspecified(own) and parse_ip(host) is not None)
        )


def _normal_path(path: str) -> str:
    """The path the server's router will see: percent-decoded, dot segments resolved, slashes
    collapsed (``/a/../%5Fvidmock//reset`` is ``/_vidmock/reset``)."""
    out: list[str] = []
    for segment in unquote(path).split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    return "/" + "/".join(out)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host`` (IPv4 or IPv6), bound before any banner is printed, so a port
    in use is one clear line for every command that serves (``vidmock serve``, ``listen``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
