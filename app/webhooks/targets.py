"""Webhook URLs must not become a way into our own network (SSRF).

A URL is checked in two steps: its form when a subscription is saved (`check_url_form`,
no DNS), and its resolved addresses before every delivery (`resolve_target`), because
DNS answers change. `pinned_request_parts` then makes the HTTP client connect to exactly
the addresses that were checked, so a name cannot be re-pointed at an internal address
between the check and the connection (DNS rebinding).
"""

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from app.core.config import Environment, Settings
from app.core.errors import AppError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"https": 443, "http": 80}
# Where a developer's local receiver (http://localhost:8000/hook) is acceptable.
LOCAL_ENVIRONMENTS = frozenset({Environment.development, Environment.test})

_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f]")
_HOST_NAME = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9_-]{1,63}(?<!-))*")
# A host whose last label is a number is an IPv4 address to resolvers (and to WHATWG
# URL parsers), in forms such as 2130706433 or 0x7f.1; only dotted decimal is accepted.
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")

_NAT64_PREFIXES = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")

# Checked in order, so the most specific explanation wins. `is_global` alone is not
# enough: on Python 3.11 it calls multicast, fec0::/10 and ::/8 forms global.
_SPECIAL_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(cidr), reason)
    for cidr, reason in (
        ("169.254.169.254/32", "the cloud metadata service address (link-local)"),
        ("100.100.100.200/32", "the Alibaba Cloud metadata service address (shared space)"),
        ("fd00:ec2::254/128", "the AWS metadata service address (unique local)"),
        ("0.0.0.0/8", "an unspecified address (0.0.0.0/8)"),
        ("127.0.0.0/8", "a loopback address (127.0.0.0/8)"),
        ("10.0.0.0/8", "a private address (10.0.0.0/8)"),
        ("172.16.0.0/12", "a private address (172.16.0.0/12)"),
        ("192.168.0.0/16", "a private address (192.168.0.0/16)"),
        ("100.64.0.0/10", "a shared / carrier-grade NAT address (100.64.0.0/10)"),
        ("169.254.0.0/16", "a link-local address (169.254.0.0/16)"),
        ("192.0.2.0/24", "a documentation address (192.0.2.0/24)"),
        ("198.51.100.0/24", "a documentation address (198.51.100.0/24)"),
        ("203.0.113.0/24", "a documentation address (203.0.113.0/24)"),
        ("198.18.0.0/15", "a benchmarking address (198.18.0.0/15)"),
        ("224.0.0.0/4", "a multicast address (224.0.0.0/4)"),
        ("255.255.255.255/32", "the broadcast address"),
        ("240.0.0.0/4", "a reserved address (240.0.0.0/4)"),
        ("::/128", "the unspecified address (::)"),
        ("::1/128", "the loopback address (::1)"),
        ("fe80::/10", "a link-local address (fe80::/10)"),
        ("fec0::/10", "a site-local address (fec0::/10)"),
        ("fc00::/7", "a unique local (private) address (fc00::/7)"),
        ("ff00::/8", "a multicast address (ff00::/8)"),
        ("2001:db8::/32", "a documentation address (2001:db8::/32)"),
        ("3fff::/20", "a documentation address (3fff::/20)"),
        ("100::/64", "a discard-only address (100::/64)"),
    )
)


class WebhookUrlRefused(AppError):
    code = "webhook.url_refused"
    status = 422
    title = "Webhook URL refused"


class WebhookHostUnresolved(WebhookUrlRefused):
    """The host has no address now; during delivery this may be temporary (retry)."""


@dataclass(frozen=True)
class Target:
    """A URL checked and resolved, to connect to exactly the addresses checked."""

    url: str  # normalised: scheme://host[:port]/path?query, port only when not the default
    scheme: str
    host: str  # lower-case, IDNA-encoded, no trailing dot; IPv6 without brackets
    port: int
    addresses: tuple[str, ...]  # every resolved address, all of them checked, resolver order


@dataclass(frozen=True)
class _ParsedUrl:
    scheme: str
    host: str
    port: int
    path_and_query: str
    literal: IPAddress | None  # the host when it is an IP address

    @property
    def url(self) -> str:
        authority = _authority(self.scheme, self.host, self.port)
        return f"{self.scheme}://{authority}{self.path_and_query}"


def check_url_form(url: str, settings: Settings) -> str:
    """Syntax and scheme rules, without DNS; the normalised URL or WebhookUrlRefused."""
    return _check_form(url, settings).url


async def resolve_target(
    url: str, settings: Settings, resolve: Resolver | None = None
) -> Target:
    """Check the URL, resolve its host and refuse it if any address is not public."""
    parsed = _check_form(url, settings)
    networks = allowed_networks(settings.webhook_allowed_networks)
    if parsed.literal is not None:
        addresses = [parsed.literal]  # nothing to resolve; getaddrinfo would echo it
    else:
        addresses = await _resolve(parsed.host, parsed.port, settings, resolve)
    local_receiver = settings.environment in LOCAL_ENVIRONMENTS and _is_loopback_host(parsed)
    for address in addresses:
        if _in_networks(address, networks) or (local_receiver and _is_loopback(address)):
            continue
        reason = refusal_reason(address)
        if reason is not None:
            named = (f"{address} is" if parsed.literal is not None
                     else f"{parsed.host} resolves to {address}, which is")
            raise WebhookUrlRefused(
                f"{named} {reason}; webhooks may only be delivered to public addresses")
    return Target(url=parsed.url, scheme=parsed.scheme, host=parsed.host, port=parsed.port,
                  addresses=tuple(str(address) for address in addresses))


def pinned_request_parts(target: Target) -> tuple[str, dict[str, str], dict[str, object]]:
    """URL, headers and httpx request extensions that connect to the checked address.

    The URL names the first checked address instead of the host; the Host header and,
    for https, the SNI name (which httpx also uses to verify the certificate) keep the
    real host, so virtual hosting and TLS verification work as for the original URL.
    """
    host_authority = _authority(target.scheme, target.host, target.port)
    path_and_query = target.url[len(f"{target.scheme}://{host_authority}"):]
    address_authority = _authority(target.scheme, target.addresses[0], target.port)
    url = f"{target.scheme}://{address_authority}{path_and_query}"
    extensions: dict[str, object] = {}
    if target.scheme == "https":
        extensions["sni_hostname"] = target.host
    return url, {"Host": host_authority}, extensions


async def resolve_with_getaddrinfo(host: str, port: int) -> list[str]:
    """The system resolver (hosts file, DNS), as the HTTP client itself would use it."""
    loop = asyncio.get_running_loop()
    answers = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in answers]


@lru_cache(maxsize=32)
def _parse_networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks: list[IPNetwork] = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip()))
        except ValueError as exc:
            raise ValueError(
                f"SALESFLOW_WEBHOOK_ALLOWED_NETWORKS: {cidr!r} is not a CIDR network ({exc})"
            ) from None
    return tuple(networks)


def allowed_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse the allow-list; a bad entry (host bits set included) is a ValueError."""
    return _parse_networks(tuple(cidrs))


def refusal_reason(address: IPAddress) -> str | None:
    """Why webhooks may not reach this address, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = refusal_reason(embedded.ipv4)
            if inner is not None:
                return f"{embedded.form} of {embedded.ipv4}, which is {inner}"
            if embedded.reaches_ipv4:
                return None  # the connection goes to the embedded public IPv4 address
            # IPv4-compatible and 6to4 forms are judged as IPv6 addresses below as well.
    for network, reason in _SPECIAL_NETWORKS:
        if address in network:
            return reason
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private or special-purpose address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a globally routable address"
    return None


def _check_form(url: str, settings: Settings) -> _ParsedUrl:
    parsed = _parse(url)
    if parsed.scheme == "http" and not (
        settings.environment in LOCAL_ENVIRONMENTS and _is_loopback_host(parsed)
    ):
        raise WebhookUrlRefused(
            "the URL must use https (http is accepted only for a loopback host such as "
            "localhost, and only in development or test)")
    return parsed


def _parse(url: str) -> _ParsedUrl:
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    # urlsplit silently drops tabs and newlines; refuse them rather than guess.
    if _UNSAFE_CHARACTERS.search(url):
        raise WebhookUrlRefused("the URL contains spaces or control characters")
    if "#" in url:
        raise WebhookUrlRefused("the URL must not have a fragment (#...)")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise WebhookUrlRefused(f"the URL cannot be parsed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise WebhookUrlRefused(
            f"the URL must use https, not {parts.scheme!r}" if parts.scheme
            else "the URL must be absolute (https://host/path)")
    if "@" in parts.netloc:
        raise WebhookUrlRefused("the URL must not carry credentials (user:password@)")
    host_text, bracketed, port = _split_authority(parts.netloc, scheme)
    host, literal = _normalise_host(host_text, bracketed)
    query = f"?{parts.query}" if parts.query else ""
    return _ParsedUrl(scheme=scheme, host=host, port=port,
                      path_and_query=(parts.path or "/") + query, literal=literal)


def _split_authority(netloc: str, scheme: str) -> tuple[str, bool, int]:
    if not netloc:
        raise WebhookUrlRefused("the URL has no host")
    if netloc.startswith("["):
        host, closed, rest = netloc[1:].partition("]")
        if not closed:
            raise WebhookUrlRefused("the URL has an unclosed IPv6 bracket")
        bracketed = True
    else:
        host, colon, port_text = netloc.partition(":")
        rest = colon + port_text
        bracketed = False
    if not rest:
        return host, bracketed, DEFAULT_PORTS[scheme]
    digits = rest[1:]
    if not (rest.startswith(":") and digits.isascii() and digits.isdigit()
            and len(digits) <= 5 and 1 <= int(digits) <= 65535):
        raise WebhookUrlRefused(f"the port must be a number from 1 to 65535, not {rest[1:]!r}")
    return host, bracketed, int(digits)


def _normalise_host(host_text: str, bracketed: bool) -> tuple[str, IPAddress | None]:
    if not host_text:
        raise WebhookUrlRefused("the URL has no host")
    if bracketed:
        if "%" in host_text:
            raise WebhookUrlRefused("IPv6 zone identifiers (%...) are not allowed")
        try:
            literal: IPAddress = ipaddress.IPv6Address(host_text)
        except ValueError:
            raise WebhookUrlRefused(f"[{host_text}] is not a valid IPv6 address") from None
        return str(literal), literal
    try:
        # IDNA also maps look-alikes (fullwidth letters, ideographic full stops) to ASCII,
        # so every later check sees the name the resolver will see.
        host = host_text.encode("idna").decode("ascii").lower().removesuffix(".")
    except UnicodeError:
        raise WebhookUrlRefused(f"{host_text!r} is not a valid host name") from None
    if len(host) > 253 or not _HOST_NAME.fullmatch(host):
        raise WebhookUrlRefused(f"{host_text!r} is not a valid host name")
    if _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        try:
            literal = ipaddress.IPv4Address(host)
        except ValueError:
            raise WebhookUrlRefused(
                f"{host_text!r} is not a valid IPv4 address (use dotted decimal)") from None
        return str(literal), literal
    return host, None


async def _resolve(
    host: str, port: int, settings: Settings, resolve: Resolver | None
) -> list[IPAddress]:
    resolve = resolve or resolve_with_getaddrinfo
    try:
        async with asyncio.timeout(settings.webhook_timeout_seconds):
            answers = await resolve(host, port)
    except TimeoutError:
        raise WebhookHostUnresolved(
            f"{host} did not resolve within {settings.webhook_timeout_seconds:g} s") from None
    except (OSError, UnicodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
        raise WebhookHostUnresolved(f"{host} could not be resolved ({why})") from None
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            # A scope id (fe80::1%eth0) only names the interface; the address is what counts.
            addresses.append(ipaddress.ip_address(answer.split("%", 1)[0]))
        except ValueError:
            raise WebhookHostUnresolved(
                f"{host} resolved to {answer!r}, which is not an IP address") from None
    if not addresses:
        raise WebhookHostUnresolved(f"{host} has no address")
    return list(dict.fromkeys(addresses))  # getaddrinfo repeats addresses; keep the order


@dataclass(frozen=True)
class _EmbeddedIPv4:
    form: str
    ipv4: ipaddress.IPv4Address
    reaches_ipv4: bool  # a connection to the IPv6 form ends at the IPv4 address itself


def _embedded_ipv4(address: ipaddress.IPv6Address) -> _EmbeddedIPv4 | None:
    if address.ipv4_mapped is not None:
        return _EmbeddedIPv4("an IPv4-mapped form", address.ipv4_mapped, reaches_ipv4=True)
    low_32_bits = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    if any(address in prefix for prefix in _NAT64_PREFIXES):
        return _EmbeddedIPv4("a NAT64 form", low_32_bits, reaches_ipv4=True)
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # :: and ::1 are themselves
        return _EmbeddedIPv4("a deprecated IPv4-compatible form", low_32_bits, reaches_ipv4=False)
    if address.sixtofour is not None:
        return _EmbeddedIPv4("a 6to4 form", address.sixtofour, reaches_ipv4=False)
    return None


def _in_networks(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    candidates: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and embedded.reaches_ipv4:
            candidates.append(embedded.ipv4)
    return any(candidate in network for candidate in candidates for network in networks)


def _is_loopback(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _is_loopback_host(parsed: _ParsedUrl) -> bool:
    if parsed.literal is not None:
        return _is_loopback(parsed.literal)
    return parsed.host == "localhost" or parsed.host.endswith(".localhost")


def _authority(scheme: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port == DEFAULT_PORTS[scheme] else f"{shown}:{port}"
