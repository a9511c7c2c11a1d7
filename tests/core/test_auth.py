"""The forged-token matrix: every way a token can be wrong is a 401 problem, and a valid
token becomes a principal whose claims the service layer trusts."""

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt

from app.core.security import mint_token
from app.main import create_app
from tests.conftest import make_settings

CUSTOMERS = "/api/v1/customers"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(**overrides: object) -> dict:
    claims = {"sub": "rep.x", "roles": ["sales_rep"], "dept": "east",
              "exp": int(time.time()) + 600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _assert_401(client: httpx.AsyncClient, headers: dict[str, str], code: str) -> None:
    response = await client.get(CUSTOMERS, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == code


class TestForgedTokens:
    async def test_valid_token_is_accepted(self, client, settings):
        token = jwt.encode(_claims(), settings.jwt_secret.get_secret_value(), algorithm="HS256")
        response = await client.get(CUSTOMERS, headers=_bearer(token))
        assert response.status_code == 200

    async def test_no_token(self, client):
        await _assert_401(client, {}, "auth.missing_token")

    async def test_other_scheme(self, client):
        await _assert_401(client, {"Authorization": "Basic cmVwOnB3"}, "auth.missing_token")

    async def test_garbage(self, client):
        await _assert_401(client, _bearer("not.a.jwt"), "auth.invalid_token")

    async def test_alg_none(self, client):
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(roles=['admin']))}."
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    async def test_alg_none_with_signature_part(self, client, settings):
        real = jwt.encode(_claims(), settings.jwt_secret.get_secret_value(), algorithm="HS256")
        signature = real.rsplit(".", 1)[1]
        token = f"{_b64({'alg': 'none'})}.{_b64(_claims(roles=['admin']))}.{signature}"
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    async def test_wrong_secret(self, client):
        token = jwt.encode(_claims(), "x" * 48, algorithm="HS256")
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    async def test_other_hmac_algorithm(self, client, settings):
        token = jwt.encode(_claims(), settings.jwt_secret.get_secret_value(), algorithm="HS512")
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    async def test_rs256_when_hs256_is_configured(self, client):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        token = jwt.encode(_claims(), pem.decode(), algorithm="RS256")
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    async def test_tampered_payload(self, client, settings):
        token = jwt.encode(_claims(), settings.jwt_secret.get_secret_value(), algorithm="HS256")
        header, _payload, signature = token.split(".")
        forged = f"{header}.{_b64(_claims(roles=['admin', 'gm']))}.{signature}"
        await _assert_401(client, _bearer(forged), "auth.invalid_token")

    async def test_expired(self, client, settings):
        token = mint_token(settings, sub="rep.x", roles=["sales_rep"], dept="east",
                           ttl=timedelta(minutes=-5))
        await _assert_401(client, _bearer(token), "auth.token_expired")

    async def test_no_expiry(self, client, settings):
        token = jwt.encode(_claims(exp=None), settings.jwt_secret.get_secret_value(), "HS256")
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    async def test_no_subject(self, client, settings):
        token = jwt.encode(_claims(sub=None), settings.jwt_secret.get_secret_value(), "HS256")
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    @pytest.mark.parametrize("claim", [{"sub": "rep\x00x"}, {"dept": "ea\x00st"},
                                       {"name": "张\x00三"}, {"depts": ["east", "\x00"]}])
    async def test_a_nul_in_a_claim(self, client, settings, claim):
        """Claims are stored (actors, owners, idempotency records): a NUL would reach
        PostgreSQL, which refuses it, so the token is refused first."""
        token = jwt.encode(_claims(**claim), settings.jwt_secret.get_secret_value(), "HS256")
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    async def test_roles_not_a_list(self, client, settings):
        token = jwt.encode(_claims(roles="admin"), settings.jwt_secret.get_secret_value(), "HS256")
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    async def test_department_role_without_dept(self, client, settings):
        token = jwt.encode(_claims(dept=None), settings.jwt_secret.get_secret_value(), "HS256")
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    async def test_unknown_roles_grant_nothing(self, client, settings):
        token = jwt.encode(_claims(roles=["superuser"], dept=None),
                           settings.jwt_secret.get_secret_value(), "HS256")
        response = await client.post(CUSTOMERS, json={"name": "X"}, headers=_bearer(token))
        assert response.status_code == 403


class TestTimeClaims:
    """`exp`, `iat` and `nbf` are NumericDates (RFC 7519 §2): a JSON number of seconds."""

    @pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
    @pytest.mark.parametrize("value", ["numeric-string", True, False, None, [1], {"s": 1},
                                       float("inf")],
                             ids=["numeric-string", "true", "false", "null", "list", "object",
                                  "infinity"])
    async def test_not_a_number(self, client, settings, claim, value):
        now = int(time.time())
        if value == "numeric-string":  # the time the claim would rightly carry, quoted
            value = str({"exp": now + 600, "iat": now, "nbf": now - 60}[claim])
        claims = _claims()
        claims[claim] = value  # _claims drops None; null must reach the token
        token = jwt.encode(claims, settings.jwt_secret.get_secret_value(), "HS256")
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    # The checks python-jose made before, now made here: kept as they were.
    async def test_numbers_are_accepted(self, client, settings):
        now = time.time()
        token = jwt.encode(_claims(exp=now + 600.5, iat=int(now), nbf=now - 1.5),
                           settings.jwt_secret.get_secret_value(), "HS256")
        response = await client.get(CUSTOMERS, headers=_bearer(token))
        assert response.status_code == 200, response.text

    async def test_not_valid_yet(self, client, settings):
        token = jwt.encode(_claims(nbf=int(time.time()) + 3600),
                           settings.jwt_secret.get_secret_value(), "HS256")
        await _assert_401(client, _bearer(token), "auth.invalid_token")

    async def test_expiry_within_the_leeway_is_tolerated(self, client, settings):
        token = jwt.encode(_claims(exp=int(time.time()) - settings.jwt_leeway_seconds // 2),
                           settings.jwt_secret.get_secret_value(), "HS256")
        assert (await client.get(CUSTOMERS, headers=_bearer(token))).status_code == 200


class TestIssuerAndAudience:
    @pytest.fixture
    async def strict_client(self, sessionmaker):
        app = create_app(make_settings(jwt_issuer="https://idp.example", jwt_audience="salesflow"))
        app.state.sessionmaker = sessionmaker
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            client.secret = app.state.settings.jwt_secret.get_secret_value()  # type: ignore[attr-defined]
            yield client

    async def test_matching_issuer_and_audience(self, strict_client):
        token = jwt.encode(_claims(iss="https://idp.example", aud="salesflow"),
                           strict_client.secret, "HS256")
        assert (await strict_client.get(CUSTOMERS, headers=_bearer(token))).status_code == 200

    @pytest.mark.parametrize("claims", [
        {"iss": "https://evil.example", "aud": "salesflow"},
        {"iss": "https://idp.example", "aud": "another-service"},
        {"aud": "salesflow"},
        {"iss": "https://idp.example"},
    ])
    async def test_mismatch_is_refused(self, strict_client, claims):
        token = jwt.encode(_claims(**claims), strict_client.secret, "HS256")
        await _assert_401(strict_client, _bearer(token), "auth.invalid_token")


class _JwksHandler(BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(rsa_key) -> Iterator[str]:
    """A real JWKS endpoint on loopback holding one RSA and one EC public key."""
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    rsa_jwk = jwk.construct(public_pem, "RS256").to_dict()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    ec_jwk = jwk.construct(ec_pem, "ES256").to_dict()
    keys = [{**_str_values(rsa_jwk), "kid": "rsa-1", "use": "sig"},
            {**_str_values(ec_jwk), "kid": "ec-1", "use": "sig"}]
    handler = type("Handler", (_JwksHandler,), {"body": json.dumps({"keys": keys}).encode()})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()


def _str_values(d: dict) -> dict:
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in d.items()}


class TestJwks:
    @pytest.fixture
    async def jwks_client(self, sessionmaker, jwks_url):
        app = create_app(make_settings(jwt_jwks_url=jwks_url))
        app.state.sessionmaker = sessionmaker
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            yield client

    def _private_pem(self, key) -> str:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()

    async def test_rs256_signed_by_the_published_key(self, jwks_client, rsa_key):
        token = jwt.encode(_claims(), self._private_pem(rsa_key), algorithm="RS256",
                           headers={"kid": "rsa-1"})
        assert (await jwks_client.get(CUSTOMERS, headers=_bearer(token))).status_code == 200

    async def test_algorithm_confusion_hs256_with_public_key(self, jwks_client, rsa_key):
        public_pem = rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        header = _b64({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"})
        payload = _b64(_claims(roles=["admin"]))
        import hashlib
        import hmac
        signature = base64.urlsafe_b64encode(hmac.new(
            public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()).rstrip(b"=")
        token = f"{header}.{payload}.{signature.decode()}"
        await _assert_401(jwks_client, _bearer(token), "auth.invalid_token")

    async def test_key_not_in_the_set(self, jwks_client):
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode(_claims(), self._private_pem(stranger), algorithm="RS256",
                           headers={"kid": "rsa-1"})
        await _assert_401(jwks_client, _bearer(token), "auth.invalid_token")

    async def test_unknown_kid(self, jwks_client, rsa_key):
        token = jwt.encode(_claims(), self._private_pem(rsa_key), algorithm="RS256",
                           headers={"kid": "rotated-away"})
        await _assert_401(jwks_client, _bearer(token), "auth.invalid_token")

    async def test_rs256_token_against_the_ec_key(self, jwks_client, rsa_key):
        token = jwt.encode(_claims(), self._private_pem(rsa_key), algorithm="RS256",
                           headers={"kid": "ec-1"})
        await _assert_401(jwks_client, _bearer(token), "auth.invalid_token")

    async def test_hs256_tokens_are_not_accepted_in_jwks_mode(self, jwks_client):
        token = jwt.encode(_claims(), "x" * 48, algorithm="HS256")
        await _assert_401(jwks_client, _bearer(token), "auth.invalid_token")
