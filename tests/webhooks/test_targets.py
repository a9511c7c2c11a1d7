"""Webhook URLs cannot reach the internal network: form rules, address rules, pinning."""

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.core.config import Settings
from app.webhooks.targets import (
    MAX_URL_LENGTH,
    Target,
    WebhookHostUnresolved,
    WebhookUrlRefused,
    allowed_networks,
    check_url_form,
    pinned_request_parts,
    resolve_target,
    resolve_with_getaddrinfo,
)

PUBLIC_V4 = "93.184.215.14"
PUBLIC_V6 = "2606:4700:4700::1111"


def make_settings(environment: str = "production", allowed: list[str] | None = None,
                  **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": environment, "jwt_secret": "x" * 40, "webhook_secrets_keys": ["k" * 40],
        "webhook_allowed_networks": allowed or [], **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


PRODUCTION = make_settings("production")
TEST = make_settings("test")
DEVELOPMENT = make_settings("development")


class FakeResolver:
    """Answers every name with the given addresses and records what it was asked."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        return self.addresses


def literal_url(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}/hook"


def refused(exc_info: pytest.ExceptionInfo[WebhookUrlRefused]) -> str:
    assert exc_info.value.code == "webhook.url_refused"
    assert exc_info.value.status == 422
    return exc_info.value.detail


class TestUrlForm:
    @pytest.mark.parametrize(("url", "why"), [
        ("http://example.com/hook", "must use https"),
        ("ftp://example.com/hook", "must use https, not 'ftp'"),
        ("javascript://example.com/%0aalert(1)", "must use https"),
        ("file:///etc/passwd", "must use https, not 'file'"),
        ("example.com/hook", "must be absolute"),
        ("//example.com/hook", "must be absolute"),
        ("https:///hook", "no host"),
        ("https://:443/hook", "no host"),
        ("https://user:pass@example.com/hook", "credentials"),
        ("https://user@example.com/hook", "credentials"),
        ("https://@example.com/hook", "credentials"),
        ("https://example.com\\@10.0.0.1/hook", "credentials"),
        ("https://example.com/hook#section", "fragment"),
        ("https://example.com/hook#", "fragment"),
        ("https://example.com:0/hook", "port must be a number from 1 to 65535"),
        ("https://example.com:65536/hook", "port must be a number from 1 to 65535"),
        ("https://example.com:/hook", "port must be a number from 1 to 65535"),
        ("https://example.com:https/hook", "port must be a number from 1 to 65535"),
        ("https://example.com:+443/hook", "port must be a number from 1 to 65535"),
        ("https://example.com:443:80/hook", "port must be a number from 1 to 65535"),
        ("https://exa mple.com/hook", "spaces or control characters"),
        ("https://example.com/ho\nok", "spaces or control characters"),
        ("https://exam\tple.com/hook", "spaces or control characters"),
        (" https://example.com/hook", "spaces or control characters"),
        ("https://-example.com/hook", "not a valid host name"),
        ("https://example..com/hook", "not a valid host name"),
        ("https://exa%6dple.com/hook", "not a valid host name"),
        ("https://example.com\\.evil.test/hook", "not a valid host name"),
        ("https://" + "a" * 64 + ".com/hook", "not a valid host name"),
        # Resolvers read these as 127.0.0.1; only dotted decimal is accepted.
        ("https://2130706433/hook", "dotted decimal"),
        ("https://0x7f.1/hook", "dotted decimal"),
        ("https://0177.0.0.1/hook", "dotted decimal"),
        ("https://127.1/hook", "dotted decimal"),
        ("https://1.2.3.4.5/hook", "dotted decimal"),
        ("https://[fe80::1%25eth0]/hook", "zone identifiers"),
        ("https://[::1/hook", "cannot be parsed"),
        ("https://[127.0.0.1]/hook", "cannot be parsed"),
    ])
    def test_refused(self, url: str, why: str) -> None:
        with pytest.raises(WebhookUrlRefused) as exc_info:
            check_url_form(url, PRODUCTION)
        assert why in refused(exc_info)

    @pytest.mark.parametrize(("url", "normalised"), [
        ("https://example.com", "https://example.com/"),
        ("https://Hooks.Example.COM/In?Key=Value", "https://hooks.example.com/In?Key=Value"),
        ("HTTPS://example.com:443/a?b=1&c", "https://example.com/a?b=1&c"),
        ("https://example.com:8443/hooks/in?x=1", "https://example.com:8443/hooks/in?x=1"),
        ("https://example.com:08443/hooks", "https://example.com:8443/hooks"),
        ("https://example.com./hooks", "https://example.com/hooks"),
        ("https://erp_hooks.example.com/in", "https://erp_hooks.example.com/in"),
        ("https://bücher.example/in", "https://xn--bcher-kva.example/in"),
        # Look-alikes are mapped the way the resolver will see them.
        ("https://ｅｘａｍｐｌｅ.com/in", "https://example.com/in"),
        ("https://8.8.8.8/in", "https://8.8.8.8/in"),
        ("https://[2001:4860:4860:0:0:0:0:8888]:8443/in", "https://[2001:4860:4860::8888]:8443/in"),
    ])
    def test_accepted_and_normalised(self, url: str, normalised: str) -> None:
        assert check_url_form(url, PRODUCTION) == normalised

    def test_length_limit(self) -> None:
        base = "https://example.com/"
        longest = base + "a" * (MAX_URL_LENGTH - len(base))
        assert check_url_form(longest, PRODUCTION) == longest
        with pytest.raises(WebhookUrlRefused) as exc_info:
            check_url_form(longest + "a", PRODUCTION)
        assert f"longer than {MAX_URL_LENGTH}" in refused(exc_info)

    def test_form_check_does_not_resolve(self) -> None:
        # A name that cannot resolve passes the form check: DNS is resolve_target's job.
        assert check_url_form("https://no-such-host.invalid/in", PRODUCTION) == (
            "https://no-such-host.invalid/in")


class TestHttpOnlyForLocalReceivers:
    LOOPBACK_HTTP = [
        "http://localhost:8000/hook",
        "http://LOCALHOST/hook",
        "http://localhost./hook",
        "http://receiver.localhost:9000/hook",
        "http://127.0.0.1:8000/hook",
        "http://127.10.20.30/hook",
        "http://[::1]:8000/hook",
    ]

    @pytest.mark.parametrize("settings", [DEVELOPMENT, TEST], ids=["development", "test"])
    @pytest.mark.parametrize("url", LOOPBACK_HTTP)
    def test_loopback_http_accepted_in_development_and_test(self, url: str,
                                                             settings: Settings) -> None:
        assert check_url_form(url, settings).startswith("http://")

    @pytest.mark.parametrize("url", LOOPBACK_HTTP)
    def test_production_refuses_all_http(self, url: str) -> None:
        with pytest.raises(WebhookUrlRefused) as exc_info:
            check_url_form(url, PRODUCTION)
        assert "must use https" in refused(exc_info)

    def test_production_allow_list_does_not_permit_http(self) -> None:
        settings = make_settings("production", ["127.0.0.0/8"])
        with pytest.raises(WebhookUrlRefused):
            check_url_form("http://127.0.0.1:8000/hook", settings)

    @pytest.mark.parametrize("url", [
        "http://example.com/hook",
        "http://10.0.0.1/hook",
        "http://localhost.example.com/hook",
        "http://localhostx/hook",
        "http://2130706433/hook",
    ])
    def test_http_refused_for_other_hosts_even_in_development(self, url: str) -> None:
        with pytest.raises(WebhookUrlRefused):
            check_url_form(url, DEVELOPMENT)


REFUSED_ADDRESSES = [
    ("10.0.0.5", "a private address (10.0.0.0/8)"),
    ("172.16.0.1", "a private address (172.16.0.0/12)"),
    ("172.31.255.255", "a private address (172.16.0.0/12)"),
    ("192.168.1.1", "a private address (192.168.0.0/16)"),
    ("127.0.0.1", "a loopback address"),
    ("127.255.0.1", "a loopback address"),
    ("169.254.169.254", "the cloud metadata service address"),
    ("169.254.1.1", "a link-local address"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("100.100.100.200", "the Alibaba Cloud metadata service address"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("224.0.0.1", "a multicast address"),
    ("239.255.255.250", "a multicast address"),
    ("255.255.255.255", "the broadcast address"),
    ("240.0.0.1", "a reserved address"),
    ("192.0.2.10", "a documentation address"),
    ("198.51.100.7", "a documentation address"),
    ("203.0.113.9", "a documentation address"),
    ("198.18.0.1", "a benchmarking address"),
    ("192.0.0.1", "special-purpose"),
    ("::", "the unspecified address"),
    ("::1", "the loopback address"),
    ("fe80::1", "a link-local address"),
    ("fec0::1", "a site-local address"),
    ("fc00::1", "unique local"),
    ("fd12:3456::1", "unique local"),
    ("fd00:ec2::254", "the AWS metadata service address"),
    ("ff02::1", "a multicast address"),
    ("2001:db8::1", "a documentation address"),
    ("100::1", "a discard-only address"),
    ("2001::1", "special-purpose"),  # Teredo
    ("::ffff:10.0.0.1", "an IPv4-mapped form of 10.0.0.1, which is a private address"),
    ("::ffff:127.0.0.1", "an IPv4-mapped form of 127.0.0.1, which is a loopback address"),
    ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254, which is the cloud"),
    ("::10.0.0.1", "a deprecated IPv4-compatible form of 10.0.0.1, which is a private"),
    ("::8.8.8.8", "a reserved address"),
    ("64:ff9b::10.0.0.1", "a NAT64 form of 10.0.0.1, which is a private address"),
    ("64:ff9b::a9fe:a9fe", "a NAT64 form of 169.254.169.254, which is the cloud"),
    ("64:ff9b:1::7f00:1", "a NAT64 form of 127.0.0.1, which is a loopback address"),
    ("2002:a00:1::1", "a 6to4 form of 10.0.0.1, which is a private address"),
]

ACCEPTED_ADDRESSES = [
    "8.8.8.8",
    "1.1.1.1",
    PUBLIC_V4,
    "100.63.255.255",  # just below the shared range
    "100.128.0.1",  # just above it
    "172.32.0.1",  # just above 172.16.0.0/12
    "2001:4860:4860::8888",
    PUBLIC_V6,
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:808:808::1",
]


class TestAddresses:
    @pytest.mark.parametrize(("address", "why"), REFUSED_ADDRESSES)
    async def test_name_resolving_to_non_public_address_is_refused(self, address: str,
                                                                   why: str) -> None:
        with pytest.raises(WebhookUrlRefused) as exc_info:
            await resolve_target("https://hooks.example.com/in", PRODUCTION,
                                 resolve=FakeResolver(address))
        detail = refused(exc_info)
        assert f"hooks.example.com resolves to {ipaddress.ip_address(address)}" in detail
        assert why in detail

    @pytest.mark.parametrize(("address", "why"), REFUSED_ADDRESSES)
    async def test_literal_non_public_address_is_refused(self, address: str, why: str) -> None:
        resolver = FakeResolver(PUBLIC_V4)
        with pytest.raises(WebhookUrlRefused) as exc_info:
            await resolve_target(literal_url(address), PRODUCTION, resolve=resolver)
        detail = refused(exc_info)
        assert detail.startswith(f"{ipaddress.ip_address(address)} is ")
        assert why in detail
        assert resolver.calls == []  # a literal is not looked up

    @pytest.mark.parametrize("address", ACCEPTED_ADDRESSES)
    async def test_public_address_is_accepted(self, address: str) -> None:
        target = await resolve_target("https://hooks.example.com/in", PRODUCTION,
                                      resolve=FakeResolver(address))
        assert target.addresses == (str(ipaddress.ip_address(address)),)

    @pytest.mark.parametrize("address", ACCEPTED_ADDRESSES)
    async def test_public_literal_is_accepted(self, address: str) -> None:
        target = await resolve_target(literal_url(address), PRODUCTION)
        assert target.addresses == (str(ipaddress.ip_address(address)),)

    @pytest.mark.parametrize(("answers", "bad"), [
        ([PUBLIC_V4, "10.0.0.5"], "10.0.0.5"),
        (["10.0.0.5", PUBLIC_V4], "10.0.0.5"),
        ([PUBLIC_V6, "fd00::5"], "fd00::5"),
        ([PUBLIC_V4, PUBLIC_V6, "::ffff:192.168.0.1"], "::ffff:192.168.0.1"),
    ])
    async def test_one_non_public_record_refuses_the_url(self, answers: list[str],
                                                         bad: str) -> None:
        # The client may pick any record, and an attacker controls the DNS answer.
        with pytest.raises(WebhookUrlRefused) as exc_info:
            await resolve_target("https://hooks.example.com/in", PRODUCTION,
                                 resolve=FakeResolver(*answers))
        assert f"resolves to {ipaddress.ip_address(bad)}," in refused(exc_info)

    async def test_target_keeps_every_address_in_resolver_order_once(self) -> None:
        resolver = FakeResolver(PUBLIC_V6, PUBLIC_V4, PUBLIC_V6, "8.8.8.8")
        target = await resolve_target("https://Hooks.Example.com:8443/in?x=1", PRODUCTION,
                                      resolve=resolver)
        assert target == Target(url="https://hooks.example.com:8443/in?x=1", scheme="https",
                                host="hooks.example.com", port=8443,
                                addresses=(PUBLIC_V6, PUBLIC_V4, "8.8.8.8"))
        assert resolver.calls == [("hooks.example.com", 8443)]

    async def test_scope_id_from_resolver_is_ignored_for_the_check(self) -> None:
        with pytest.raises(WebhookUrlRefused) as exc_info:
            await resolve_target("https://hooks.example.com/in", PRODUCTION,
                                 resolve=FakeResolver("fe80::1%eth0"))
        assert "link-local" in refused(exc_info)

    async def test_form_is_checked_before_resolving(self) -> None:
        resolver = FakeResolver(PUBLIC_V4)
        with pytest.raises(WebhookUrlRefused):
            await resolve_target("http://hooks.example.com/in", PRODUCTION, resolve=resolver)
        assert resolver.calls == []


class TestUnresolvable:
    async def test_resolver_error(self) -> None:
        async def fail(host: str, port: int) -> list[str]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        with pytest.raises(WebhookHostUnresolved) as exc_info:
            await resolve_target("https://gone.example.com/in", PRODUCTION, resolve=fail)
        assert isinstance(exc_info.value, WebhookUrlRefused)
        assert refused(exc_info) == (
            "gone.example.com could not be resolved (Name or service not known)")

    async def test_no_addresses(self) -> None:
        with pytest.raises(WebhookHostUnresolved) as exc_info:
            await resolve_target("https://empty.example.com/in", PRODUCTION,
                                 resolve=FakeResolver())
        assert refused(exc_info) == "empty.example.com has no address"

    async def test_answer_that_is_not_an_address(self) -> None:
        with pytest.raises(WebhookHostUnresolved) as exc_info:
            await resolve_target("https://odd.example.com/in", PRODUCTION,
                                 resolve=FakeResolver("not-an-ip"))
        assert "not an IP address" in refused(exc_info)

    async def test_slow_resolver_times_out(self) -> None:
        async def hang(host: str, port: int) -> list[str]:
            await asyncio.sleep(10)
            return [PUBLIC_V4]

        settings = make_settings("production", webhook_timeout_seconds=0.05)
        with pytest.raises(WebhookHostUnresolved) as exc_info:
            await resolve_target("https://slow.example.com/in", settings, resolve=hang)
        assert refused(exc_info) == "slow.example.com did not resolve within 0.05 s"


class TestSystemResolver:
    async def test_localhost_is_a_local_receiver_in_test(self) -> None:
        target = await resolve_target("http://localhost:8000/hook", TEST)
        assert target.addresses
        assert all(ipaddress.ip_address(a).is_loopback for a in target.addresses)

    async def test_production_refuses_localhost(self) -> None:
        with pytest.raises(WebhookUrlRefused) as exc_info:
            await resolve_target("https://localhost/hook", PRODUCTION)
        detail = refused(exc_info)
        assert detail.startswith("localhost resolves to ")
        assert "loopback" in detail

    @pytest.mark.parametrize(("host", "expected"), [("127.0.0.1", ["127.0.0.1"]),
                                                     ("::1", ["::1"]),
                                                     ("8.8.8.8", ["8.8.8.8"])])
    async def test_getaddrinfo_echoes_literals(self, host: str, expected: list[str]) -> None:
        assert await resolve_with_getaddrinfo(host, 443) == expected

    async def test_literal_ips_with_the_real_resolver(self) -> None:
        assert (await resolve_target("https://8.8.8.8/hook", PRODUCTION)).addresses == (
            "8.8.8.8",)
        with pytest.raises(WebhookUrlRefused, match="169.254.169.254 is the cloud metadata"):
            await resolve_target("https://169.254.169.254/latest/meta-data/", PRODUCTION)
        with pytest.raises(WebhookUrlRefused, match="the loopback address"):
            await resolve_target("https://[::1]/hook", PRODUCTION)

    async def test_unknown_name(self) -> None:
        # .invalid never resolves (RFC 6761).
        with pytest.raises(WebhookHostUnresolved, match="no-such-host.invalid"):
            await resolve_target("https://no-such-host.invalid/hook",
                                 make_settings("production", webhook_timeout_seconds=5))


class TestAllowList:
    @pytest.mark.parametrize(("allowed", "address"), [
        (["10.0.0.0/8"], "10.0.0.5"),
        (["10.0.0.5"], "10.0.0.5"),
        (["192.168.0.0/16", "10.0.0.0/24"], "10.0.0.5"),
        (["10.0.0.0/8"], "::ffff:10.0.0.5"),
        (["10.0.0.0/8"], "64:ff9b::10.0.0.5"),
        (["fd00::/8"], "fd00::5"),
        (["100.64.0.0/10"], "100.64.1.1"),
    ])
    async def test_allowed_network_is_accepted(self, allowed: list[str], address: str) -> None:
        target = await resolve_target("https://erp.internal.example/in",
                                      make_settings("production", allowed),
                                      resolve=FakeResolver(address))
        assert target.addresses == (str(ipaddress.ip_address(address)),)

    async def test_every_address_must_be_allowed_or_public(self) -> None:
        settings = make_settings("production", ["10.0.0.0/24"])
        target = await resolve_target("https://erp.internal.example/in", settings,
                                      resolve=FakeResolver("10.0.0.5", PUBLIC_V4))
        assert target.addresses == ("10.0.0.5", PUBLIC_V4)
        with pytest.raises(WebhookUrlRefused, match="resolves to 10.0.1.5, which is a private"):
            await resolve_target("https://erp.internal.example/in", settings,
                                 resolve=FakeResolver("10.0.0.5", "10.0.1.5"))

    async def test_allowing_ipv4_does_not_allow_a_6to4_form(self) -> None:
        with pytest.raises(WebhookUrlRefused):
            await resolve_target("https://erp.internal.example/in",
                                 make_settings("production", ["10.0.0.0/8"]),
                                 resolve=FakeResolver("2002:a00:5::1"))

    async def test_allowed_literal(self) -> None:
        target = await resolve_target("https://10.1.2.3:8443/in",
                                      make_settings("production", ["10.0.0.0/8"]))
        assert target.addresses == ("10.1.2.3",)

    async def test_production_loopback_only_through_the_allow_list(self) -> None:
        settings = make_settings("production", ["127.0.0.0/8"])
        target = await resolve_target("https://localhost/in", settings,
                                      resolve=FakeResolver("127.0.0.1"))
        assert target.addresses == ("127.0.0.1",)

    @pytest.mark.parametrize("cidr", ["10.0.0.0/33", "not-a-network", "10.0.0.1/8", "fd00::/129"])
    async def test_bad_cidr_is_a_configuration_error(self, cidr: str) -> None:
        settings = make_settings("production", ["10.0.0.0/8", cidr])
        with pytest.raises(ValueError, match="SALESFLOW_WEBHOOK_ALLOWED_NETWORKS") as exc_info:
            await resolve_target("https://hooks.example.com/in", settings,
                                 resolve=FakeResolver(PUBLIC_V4))
        assert not isinstance(exc_info.value, WebhookUrlRefused)
        with pytest.raises(ValueError, match=repr(cidr).replace(".", r"\.")):
            allowed_networks([cidr])


class TestLocalReceiver:
    @pytest.mark.parametrize("settings", [DEVELOPMENT, TEST], ids=["development", "test"])
    @pytest.mark.parametrize(("url", "answers"), [
        ("http://localhost:8000/hook", ["127.0.0.1", "::1"]),
        ("https://localhost/hook", ["127.0.0.1"]),
        ("http://receiver.localhost/hook", ["127.0.0.1"]),
        ("http://127.0.0.1:8000/hook", []),
        ("http://[::1]:8000/hook", []),
    ])
    async def test_loopback_host_may_reach_loopback(self, url: str, answers: list[str],
                                                    settings: Settings) -> None:
        target = await resolve_target(url, settings, resolve=FakeResolver(*answers))
        assert all(ipaddress.ip_address(a).is_loopback for a in target.addresses)

    async def test_loopback_name_must_still_resolve_to_loopback(self) -> None:
        with pytest.raises(WebhookUrlRefused, match="localhost resolves to 10.0.0.5"):
            await resolve_target("http://localhost:8000/hook", TEST,
                                 resolve=FakeResolver("127.0.0.1", "10.0.0.5"))

    async def test_other_names_resolving_to_loopback_are_refused(self) -> None:
        # DNS rebinding: a public name pointed at 127.0.0.1 is not a local receiver.
        with pytest.raises(WebhookUrlRefused, match="rebind.example.com resolves to 127.0.0.1"):
            await resolve_target("https://rebind.example.com/hook", DEVELOPMENT,
                                 resolve=FakeResolver("127.0.0.1"))

    @pytest.mark.parametrize("url", ["https://localhost/hook", "https://127.0.0.1/hook",
                                     "https://[::1]/hook"])
    async def test_production_refuses_loopback(self, url: str) -> None:
        with pytest.raises(WebhookUrlRefused, match="loopback"):
            await resolve_target(url, PRODUCTION, resolve=FakeResolver("127.0.0.1"))


class TestPinnedRequestParts:
    async def test_https_default_port(self) -> None:
        target = await resolve_target("https://Hooks.Example.com/in?x=1&y=2", PRODUCTION,
                                      resolve=FakeResolver(PUBLIC_V4, "8.8.8.8"))
        assert pinned_request_parts(target) == (
            f"https://{PUBLIC_V4}/in?x=1&y=2",
            {"Host": "hooks.example.com"},
            {"sni_hostname": "hooks.example.com"},
        )

    async def test_https_other_port(self) -> None:
        target = await resolve_target("https://hooks.example.com:8443/in", PRODUCTION,
                                      resolve=FakeResolver(PUBLIC_V4))
        assert pinned_request_parts(target) == (
            f"https://{PUBLIC_V4}:8443/in",
            {"Host": "hooks.example.com:8443"},
            {"sni_hostname": "hooks.example.com"},
        )

    async def test_https_ipv6_address(self) -> None:
        target = await resolve_target("https://hooks.example.com:8443/in", PRODUCTION,
                                      resolve=FakeResolver(PUBLIC_V6, PUBLIC_V4))
        assert pinned_request_parts(target) == (
            f"https://[{PUBLIC_V6}]:8443/in",
            {"Host": "hooks.example.com:8443"},
            {"sni_hostname": "hooks.example.com"},
        )

    async def test_https_ipv6_literal_host(self) -> None:
        target = await resolve_target(f"https://[{PUBLIC_V6}]/in", PRODUCTION)
        assert pinned_request_parts(target) == (
            f"https://[{PUBLIC_V6}]/in",
            {"Host": f"[{PUBLIC_V6}]"},
            {"sni_hostname": PUBLIC_V6},
        )

    async def test_http_local_receiver(self) -> None:
        target = await resolve_target("http://localhost:8000/hook", TEST,
                                      resolve=FakeResolver("127.0.0.1"))
        assert pinned_request_parts(target) == (
            "http://127.0.0.1:8000/hook", {"Host": "localhost:8000"}, {})

    async def test_http_ipv6_loopback(self) -> None:
        target = await resolve_target("http://localhost/hook", TEST,
                                      resolve=FakeResolver("::1"))
        assert pinned_request_parts(target) == ("http://[::1]/hook", {"Host": "localhost"}, {})

    async def test_httpx_request_keeps_host_header_and_sni(self) -> None:
        target = await resolve_target("https://hooks.example.com:8443/in", PRODUCTION,
                                      resolve=FakeResolver(PUBLIC_V4))
        url, headers, extensions = pinned_request_parts(target)
        request = httpx.Request("POST", url, headers=headers, extensions=extensions)
        assert request.url.host == PUBLIC_V4
        assert request.headers["host"] == "hooks.example.com:8443"
        assert request.extensions["sni_hostname"] == "hooks.example.com"


@asynccontextmanager
async def recording_server(
    tls: ssl.SSLContext | None = None,
) -> AsyncIterator[tuple[int, list[tuple[str, dict[str, str]]]]]:
    """A one-answer HTTP server on 127.0.0.1 that records request lines and headers."""
    seen: list[tuple[str, dict[str, str]]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip()
                   for name, _, value in (line.partition(":") for line in head[1:] if line)}
        await reader.readexactly(int(headers.get("content-length", "0")))
        seen.append((head[0], headers))
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    async with server:
        yield server.sockets[0].getsockname()[1], seen


def self_signed_tls(host: str, directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for `host` and a client context trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    (directory / "cert.pem").write_bytes(cert_pem)
    (directory / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return server, client


class TestPinnedConnection:
    """The client connects to the checked address and never asks DNS for the name
    (hooks.example resolves nowhere), while Host and TLS still use the name."""

    async def test_http(self) -> None:
        async with recording_server() as (port, seen):
            target = await resolve_target(f"http://localhost:{port}/hook?x=1", TEST,
                                          resolve=FakeResolver("127.0.0.1"))
            url, headers, extensions = pinned_request_parts(target)
            async with httpx.AsyncClient(trust_env=False) as client:
                response = await client.post(url, headers=headers, extensions=extensions,
                                             content=b"{}")
        assert response.status_code == 204
        assert seen == [("POST /hook?x=1 HTTP/1.1", seen[0][1])]
        assert seen[0][1]["host"] == f"localhost:{port}"

    async def test_https_verifies_the_certificate_for_the_host_name(self, tmp_path: Path) -> None:
        server_tls, client_tls = self_signed_tls("hooks.example", tmp_path)
        settings = make_settings("production", ["127.0.0.0/8"])
        async with recording_server(server_tls) as (port, seen):
            target = await resolve_target(f"https://hooks.example:{port}/in", settings,
                                          resolve=FakeResolver("127.0.0.1"))
            url, headers, extensions = pinned_request_parts(target)
            async with httpx.AsyncClient(verify=client_tls, trust_env=False) as client:
                response = await client.post(url, headers=headers, extensions=extensions,
                                             content=b"{}")
                # Without the SNI name, TLS would check the certificate against the IP.
                with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
                    await client.post(url, headers=headers, content=b"{}")
        assert response.status_code == 204
        assert seen[0][1]["host"] == f"hooks.example:{port}"
