"""Which hosts and addresses a public link may point to.

Shared by the data check (a source URL whose host is a literal internal address or a
local name gets a warning) and the external link check (which never connects to such
an address, whatever a name resolves to or a redirect points at). Nothing here
resolves names or opens connections.
"""

from __future__ import annotations

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Most specific first: 127.0.0.1, 169.254.x.x and 240.x.x.x are also "private".
_KINDS = (
    ("is_unspecified", "an unspecified address"),
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_reserved", "a reserved address"),
    ("is_private", "a private address"),
    ("is_site_local", "a site-local address"),
)
# Forms inet_aton accepts besides dotted quads: 127.1, 0x7f.1, 2130706433, 017700000001.
_INET_ATON = re.compile(r"^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


def address_kind(ip: IPAddress) -> str | None:
    """Why a reader's browser or our checker should not be sent to ip ("a loopback address"), or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return address_kind(ip.ipv4_mapped)
    for attribute, kind in _KINDS:
        if getattr(ip, attribute, False):
            return kind
    if not ip.is_global:
        return "a non-public address"
    return None


def shown(ip: IPAddress) -> str:
    """An address as people write it: IPv4-mapped IPv6 as ::ffff:10.0.0.1 rather than ::ffff:a00:1."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return str(ip)


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as an IP literal stands for (including forms such as 127.1), else None."""
    host = host.strip("[]").rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _INET_ATON.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def host_problem(host: str) -> str | None:
    """Why a URL host is not a public one, judged without resolving it, or None.

    E.g. "127.0.0.1 is a loopback address", "localhost is a loopback name",
    "intranet is a single-label name (no dot)"; public hosts need none of these.
    """
    host = host.lower()
    ip = literal_address(host)
    if ip is not None:
        kind = address_kind(ip)
        written = host if host.strip("[]").rstrip(".") == shown(ip) else f"{host} ({shown(ip)})"
        return f"{written} is {kind}" if kind else None
    name = host.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return f"{host} is a loopback name"
    if "." not in name:
        return f"{host} is a single-label name (no dot)"
    return None
