"""The address rules for user-supplied URLs: which IPs are public, local (test mode) or blocked,
IPv4 literals in every form a resolver accepts, and the per-hop check that pins the address to dial."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bot.outcomes import UserError

Resolver = Callable[[str, int], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Reachable only in test mode (allow_private): loopback, RFC 1918, CGNAT, unique-local IPv6.
_LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
# IPv6 ranges that carry an IPv4 address in their last 32 bits: IPv4-compatible and well-known
# NAT64. (The local-use NAT64 prefix 64:ff9b:1::/48 is simply blocked, as Python marks it private.)
_V4_IN_LOW_BITS = tuple(ipaddress.ip_network(n) for n in ("::/96", "64:ff9b::/96"))
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


class FetchRefused(UserError):
    """The media could not or must not be fetched; `message` is written for the Slack user."""


@dataclass(frozen=True)
class Target:
    """One hop, checked: the URL as given, and the address the connection is pinned to."""

    url: httpx.URL
    host: str
    address: IPAddress
    by_name: bool  # the URL names a host (not an address literal), so TLS must present that name

    def pinned_url(self) -> httpx.URL:
        return self.url.copy_with(host=str(self.address))

    def extensions(self) -> dict[str, str]:
        # TLS must name (and verify) the real host even though we dial the address.
        return {"sni_hostname": self.host} if self.by_name else {}


def classify_address(ip: IPAddress) -> str:
    """ "public", "local" (loopback/private: allowed in test mode only) or "blocked" (never)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "blocked"
        if ip.is_loopback:
            return "local"
        if ip.teredo:
            return "blocked"
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in net for net in _V4_IN_LOW_BITS):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return classify_address(embedded)
    if any(ip in net for net in _LOCAL_NETWORKS):
        return "local"
    # is_global alone lets multicast through (224.0.0.1 is "global"), so check each class.
    if (
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_link_local
        and not ip.is_unspecified
        and not ip.is_private
    ):
        return "public"
    return "blocked"


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host names literally, in any form a resolver would accept (2130706433,
    0x7f000001, 0177.1, ::ffff:127.0.0.1); None for a DNS name. Raises ValueError if malformed."""
    host = host.rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    labels = host.split(".")
    # As in the WHATWG URL standard: a numeric last label makes the whole host an IPv4 literal.
    if not labels or not _NUMERIC_LABEL.match(labels[-1]):
        return None
    if len(labels) > 4 or not all(_NUMERIC_LABEL.match(label) for label in labels):
        raise ValueError(f"not an IPv4 address: {host}")
    parts = [_inet_aton_part(label) for label in labels]
    *leading, last = parts
    if any(p > 255 for p in leading) or last >= 256 ** (5 - len(parts)):
        raise ValueError(f"not an IPv4 address: {host}")
    value = last
    for i, p in enumerate(leading):
        value += p << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _inet_aton_part(label: str) -> int:
    if label[:2].lower() == "0x":
        return int(label[2:] or "0", 16)
    if len(label) > 1 and label.startswith("0"):
        return int(label, 8)  # raises ValueError on 8 or 9, as inet_aton refuses them
    return int(label)


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def check_target(url: httpx.URL, *, kind: str, allow_private: bool, resolver: Resolver) -> Target:
    """Apply the URL policy to one hop and pick the address to connect to; raise FetchRefused."""
    link = f"That {kind} URL"
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if url.scheme not in allowed_schemes:
        raise FetchRefused(f"{link} isn't https; use a public https link or attach the {kind}.")
    if url.userinfo:
        raise FetchRefused(f"{link} contains a user name or password; use a public link without one.")
    host = url.raw_host.decode("ascii").lower()
    if not host:
        raise FetchRefused(f"{link} has no host name.")
    try:
        literal = parse_ip_literal(host)
    except ValueError:
        raise FetchRefused(f"{link} has an address that isn't valid.") from None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            found = await resolver(host, url.port or (443 if url.scheme == "https" else 80))
            addresses = [ipaddress.ip_address(a) for a in found]
        except (OSError, ValueError):
            addresses = []
        if not addresses:
            raise FetchRefused(f"I couldn't find the host {host}; check the link.")
    allowed = ("public", "local") if allow_private else ("public",)
    # Refuse if ANY address is off-limits: a name with one public and one private record is an attack.
    if any(classify_address(a) not in allowed for a in addresses):
        raise FetchRefused(
            f"{link} points to a private address; use a public https link or attach the {kind}."
        )
    return Target(url=url, host=host, address=addresses[0], by_name=literal is None)
