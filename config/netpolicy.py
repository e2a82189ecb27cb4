"""Which network addresses the harvester may fetch from (server-side request forgery guard).

Only public addresses are fetched: private, loopback, link-local, unique-local, multicast,
unspecified, reserved, carrier-grade NAT and broadcast addresses are refused, in IPv4 and IPv6,
including IPv6 forms that embed an IPv4 address (``::ffff:127.0.0.1``, 6to4, NAT64), unless the
address lies inside ``CCP_ALLOWED_PRIVATE_ADDRESSES`` (comma-separated CIDR ranges or single
addresses; the name and meaning follow Mastodon's ``ALLOWED_PRIVATE_ADDRESSES``).

This module is pure (the standard library's ``ipaddress`` and ``socket`` only): the harvester
checks every resolved address at connection time with :func:`refusal`, and the operator's
commands and the admin check a URL up front with :func:`check_url`.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

SETTING = "CCP_ALLOWED_PRIVATE_ADDRESSES"
SCHEMES = ("http", "https")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Allowance = tuple[IPNetwork, ...]

_V4 = ipaddress.ip_network
# named IPv4 ranges, most specific wording first; anything else that is not globally
# routable is "not a public address"
_V4_KINDS: tuple[tuple[IPNetwork, str], ...] = (
    (_V4("0.0.0.0/8"), "an unspecified (\"this network\") address"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("10.0.0.0/8"), "a private address"),
    (_V4("172.16.0.0/12"), "a private address"),
    (_V4("192.168.0.0/16"), "a private address"),
    (_V4("100.64.0.0/10"), "a carrier-grade NAT address"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("255.255.255.255/32"), "a broadcast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


def parse_allowance(value: str | None) -> Allowance:
    """The networks of ``CCP_ALLOWED_PRIVATE_ADDRESSES``; a bad entry raises ValueError."""
    networks: list[IPNetwork] = []
    for entry in (value or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            raise ValueError(f"{SETTING}: {entry!r} is not an IP address or CIDR range "
                             "(e.g. 10.0.0.0/8, 192.168.1.5 or fd00::/8)") from None
    return tuple(networks)


def _allowance(allowance: str | Iterable[IPNetwork] | None) -> Allowance:
    if allowance is None or isinstance(allowance, str):
        return parse_allowance(allowance)
    return tuple(allowance)


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for or carries, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _V4_COMPATIBLE and int(ip) > 1:  # deprecated ::a.b.c.d (not :: or ::1)
        return ipaddress.IPv4Address(int(ip))
    return None


def _v4_kind(ip: ipaddress.IPv4Address) -> str | None:
    for network, kind in _V4_KINDS:
        if ip in network:
            return kind
    if not ip.is_global:
        return "not a public address"
    return None


def _v6_kind(ip: ipaddress.IPv6Address) -> str | None:
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_site_local:
        return "a site-local address"
    if ip in ipaddress.ip_network("fc00::/7"):
        return "a unique-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.teredo is not None:
        return "a Teredo tunnel address"
    if not ip.is_global:
        return "not a public address"
    return None


def _in(ip: IPAddress, networks: Allowance) -> bool:
    return any(ip.version == n.version and ip in n for n in networks)


def address_kind(ip: IPAddress | str) -> str | None:
    """Why ``ip`` is not a public address (e.g. "a loopback address"), or None if it is."""
    ip = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        inner = _embedded_v4(ip)
        if inner is not None:
            kind = _v4_kind(inner)
            return f"an IPv6 form of {inner}, {kind}" if kind else None
        return _v6_kind(ip)
    return _v4_kind(ip)


def refusal(ip: IPAddress | str, allowance: str | Iterable[IPNetwork] | None) -> str | None:
    """Why the harvester must not connect to ``ip``, or None when it may.

    An address inside the allowance is allowed; for an IPv6 form of an IPv4 address
    (``::ffff:127.0.0.1``), the IPv4 address inside the allowance is enough.
    """
    ip = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
    networks = _allowance(allowance)
    if _in(ip, networks):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None and _in(inner, networks):
            return None
    kind = address_kind(ip)
    if kind is None:
        return None
    return f"{ip} is {kind}; allow it with {SETTING}"


def resolve(host: str, port: int | None = None) -> list[IPAddress]:
    """Every address ``host`` resolves to (numeric forms such as ``2130706433`` included);
    raises OSError when it does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in out:
            out.append(ip)
    return out


def refused_address(url: str, allowance: str | Iterable[IPNetwork] | None
                    ) -> IPAddress | None:
    """The first address the host of ``url`` resolves to that the harvester may not connect
    to, or None (also for a URL without a host, or a host that does not resolve)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
        addresses = resolve(host, port) if host else []
    except (ValueError, OSError, UnicodeError):
        return None
    return next((ip for ip in addresses if refusal(ip, allowance)), None)


def check_url(url: str, allowance: str | Iterable[IPNetwork] | None) -> str | None:
    """A one-line refusal naming the URL, the address and the setting, or None if the URL
    may be fetched.

    The scheme must be http or https; the host is resolved (as the harvester will resolve it)
    and every address it resolves to must be allowed. A host that does not resolve is not
    refused here: fetching it reports the DNS failure. The harvester checks again at
    connection time, so a host that later resolves elsewhere is still refused.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        return f"{url}: refused: not a valid URL ({exc})"
    if parts.scheme.lower() not in SCHEMES:
        shown = f"{parts.scheme}:" if parts.scheme else "no scheme"
        return f"{url}: refused: {shown} is not fetched (only http and https are)"
    if not host:
        return f"{url}: refused: the URL names no host"
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError):
        return None
    for ip in addresses:
        why = refusal(ip, allowance)
        if why:
            return f"{url}: refused: {why}"
    return None
