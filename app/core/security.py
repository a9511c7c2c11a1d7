"""Bearer JWT verification (python-jose): HS256 with a shared secret, or RS256/ES256
against a cached JWKS. Claims become a frozen Principal; no user lookup per request."""

import math
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import JWTError, jwt

from app.core.config import Settings
from app.core.errors import Forbidden, Unauthorized, errors_doc
from app.core.permissions import (
    DEPARTMENT_SCOPED_ROLES,
    OPERATION_CAPABILITIES,
    Role,
    parse_roles,
    require_operation,
)

HS_ALGORITHMS = ("HS256",)
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256")
TIME_CLAIMS = ("exp", "iat", "nbf")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class MissingToken(Unauthorized):
    code = "auth.missing_token"
    title = "A bearer token is required"


class InvalidToken(Unauthorized):
    code = "auth.invalid_token"
    title = "The bearer token is invalid"


class ExpiredToken(Unauthorized):
    code = "auth.token_expired"
    title = "The bearer token has expired"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as the token says."""

    sub: str
    roles: frozenset[Role]
    dept: str | None = None
    depts: frozenset[str] = field(default_factory=frozenset)
    name: str | None = None

    def has(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise InvalidToken("The token has no `sub` claim.")
    raw_roles = claims.get("roles", [])
    if not isinstance(raw_roles, list) or not all(isinstance(r, str) for r in raw_roles):
        raise InvalidToken("The `roles` claim must be a list of strings.")
    dept = claims.get("dept")
    if dept is not None and not isinstance(dept, str):
        raise InvalidToken("The `dept` claim must be a string.")
    depts = claims.get("depts", [])
    if not isinstance(depts, list) or not all(isinstance(d, str) for d in depts):
        raise InvalidToken("The `depts` claim must be a list of strings.")
    roles = parse_roles(raw_roles)
    if roles & DEPARTMENT_SCOPED_ROLES and not dept:
        raise InvalidToken("The `dept` claim is required for department-scoped roles.")
    name = claims.get("name")
    # What the token says is stored (as actors, owners, idempotency keys): a NUL would be
    # refused by PostgreSQL far from here, so a token carrying one is not a valid token.
    if any("\x00" in value for value in (sub, dept or "", name if isinstance(name, str) else "",
                                          *raw_roles, *depts)):
        raise InvalidToken("The token's claims contain a NUL character.")
    return Principal(
        sub=sub, roles=roles, dept=dept or None, depts=frozenset(depts),
        name=name if isinstance(name, str) else None,
    )


class JwksCache:
    """Signing keys fetched from a JWKS URL, kept for a while and refetched on an unknown
    `kid` (key rotation), at most once per `min_refresh_seconds`."""

    def __init__(self, url: str, ttl_seconds: int, *, min_refresh_seconds: float = 30.0) -> None:
        self.url = url
        self.ttl_seconds = ttl_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = 0.0

    async def _refresh(self) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(self.url)
            response.raise_for_status()
            keys = response.json().get("keys", [])
        self._keys = {k.get("kid", ""): k for k in keys if isinstance(k, dict)}
        self._fetched_at = time.monotonic()

    async def key_for(self, kid: str | None) -> dict[str, Any]:
        age = time.monotonic() - self._fetched_at
        stale = age > self.ttl_seconds
        unknown = (kid or "") not in self._keys and age > self.min_refresh_seconds
        if stale or unknown or not self._keys:
            try:
                await self._refresh()
            except (httpx.HTTPError, ValueError) as exc:
                if not self._keys:
                    raise InvalidToken("The signing keys could not be fetched.") from exc
        key = self._keys.get(kid or "")
        if key is None and kid is None and len(self._keys) == 1:
            key = next(iter(self._keys.values()))
        if key is None:
            raise InvalidToken("The token is signed with an unknown key.")
        return key


class TokenVerifier:
    """Verifies tokens per the settings; remembers recent good tokens until they expire."""

    def __init__(self, settings: Settings, *, cache_size: int = 4096) -> None:
        self.settings = settings
        self.jwks = (
            JwksCache(settings.jwt_jwks_url, settings.jwt_jwks_cache_seconds)
            if settings.jwt_jwks_url else None
        )
        self.algorithms = ASYMMETRIC_ALGORITHMS if self.jwks else HS_ALGORITHMS
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size

    async def verify(self, token: str) -> Principal:
        cached = self._cache.get(token)
        if cached is not None:
            principal, expires_at = cached
            if time.time() < expires_at + self.settings.jwt_leeway_seconds:
                return principal
            del self._cache[token]
            raise ExpiredToken()
        claims = await self._decode(token)
        principal = principal_from_claims(claims)
        self._remember(token, principal, float(claims["exp"]))
        return principal

    def _remember(self, token: str, principal: Principal, expires_at: float) -> None:
        self._cache[token] = (principal, expires_at)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def _decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise InvalidToken("The token is not a well-formed JWT.") from exc
        algorithm = header.get("alg")
        # Only the algorithms this deployment is configured for: `none`, and HS256 signed
        # with a public key (algorithm confusion), never reach signature checking.
        if not isinstance(algorithm, str) or algorithm not in self.algorithms:
            raise InvalidToken(f"Tokens signed with {algorithm!r} are not accepted.")
        key: Any
        if self.jwks is not None:
            key = await self.jwks.key_for(header.get("kid"))
            if key.get("alg") not in (None, algorithm):
                raise InvalidToken("The token's algorithm does not match its key.")
        else:
            key = self.settings.jwt_secret.get_secret_value()
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={
                    # python-jose reads the time claims with int(), which takes "9999999999"
                    # and True and fails on null; they are checked below instead (and
                    # `require_exp` would turn its check back on).
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require_sub": True,
                    "verify_aud": self.settings.jwt_audience is not None,
                    "require_aud": self.settings.jwt_audience is not None,
                    "require_iss": self.settings.jwt_issuer is not None,
                },
            )
        except JWTError as exc:
            raise InvalidToken(f"The token was rejected: {exc}.") from exc
        self._check_times(claims)
        return claims

    def _check_times(self, claims: dict[str, Any]) -> None:
        """`exp`, `iat` and `nbf` are NumericDates (RFC 7519 §2): JSON numbers, finite."""
        if "exp" not in claims:
            raise InvalidToken("The token has no `exp` claim.")
        for name in TIME_CLAIMS:
            value = claims.get(name)
            if name in claims and not _is_numeric_date(value):
                raise InvalidToken(f"The `{name}` claim must be a number of seconds.")
        now, leeway = time.time(), self.settings.jwt_leeway_seconds
        if claims["exp"] < now - leeway:
            raise ExpiredToken()
        if "nbf" in claims and claims["nbf"] > now + leeway:
            raise InvalidToken("The token is not valid yet (nbf).")


def _is_numeric_date(value: object) -> bool:
    # bool is an int in Python, and JSON parsers let Infinity and NaN through.
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def mint_token(
    settings: Settings,
    *,
    sub: str,
    roles: list[str],
    dept: str | None = None,
    depts: list[str] | None = None,
    name: str | None = None,
    ttl: timedelta = timedelta(hours=8),
) -> str:
    """A development token signed with the HS256 secret (`salesflow token`, tests)."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": sub, "roles": roles, "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    if dept:
        claims["dept"] = dept
    if depts:
        claims["depts"] = depts
    if name:
        claims["name"] = name
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


_bearer = HTTPBearer(auto_error=False, description="JWT issued by your identity provider")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise MissingToken()
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def authorize_write(request: Request, principal: CurrentPrincipal) -> None:
    """The role gate of every write operation (permissions.OPERATION_CAPABILITIES), as a
    dependency so that it answers before the request body is validated."""
    if request.method in WRITE_METHODS:
        route = request.scope.get("route")
        require_operation(principal, getattr(route, "name", ""))


def document_role_gate(routes: Iterable[object]) -> None:
    """Declare the gate's 403 on every write operation it guards, so the OpenAPI document
    lists it beside the route's own refusals."""
    gate = errors_doc(Forbidden)[403]
    for route in routes:
        if not isinstance(route, APIRoute) or not (route.methods or set()) & WRITE_METHODS:
            continue
        if route.name in OPERATION_CAPABILITIES and OPERATION_CAPABILITIES[route.name] is None:
            continue
        documented = route.responses.get(403)
        if documented is None:
            route.responses = {**route.responses, 403: gate}
        elif f"`{Forbidden.code}`" not in documented.get("description", ""):
            route.responses = {**route.responses, 403: {
                **documented, "description": f"{gate['description']}; "
                                             f"{documented.get('description', '')}"}}
