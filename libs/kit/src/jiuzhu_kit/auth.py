"""JWT bearer authentication and role + jurisdiction authorisation, verified by every service.

Tokens carry `sub`, `roles`, `div` (the jurisdiction's division code) and optionally `org`
(a contractor's unified social credit code). HS256 with a shared secret by default; RS256 with a
public key as an option. The gateway may also vouch for API-key callers (see gateway issue) by
minting a short-lived token signed the same way.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from jiuzhu_kit import divisions
from jiuzhu_kit.errors import Forbidden, Unauthorized
from jiuzhu_kit.settings import KitSettings


class Role(StrEnum):
    """角色 A caller role."""

    ADMIN = "admin"  # platform administrator (reference data, calendar, keys)
    BUREAU = "bureau"  # civil-affairs bureau staff: the purchaser
    TOWNSHIP = "township"  # township government / street office
    FINANCE = "finance"  # finance bureau: approves budgets and plans
    AUDITOR = "auditor"  # audit bureau: read-only oversight
    CONTRACTOR = "contractor"  # 承接主体
    EVALUATOR = "evaluator"  # third-party evaluator
    PORTAL = "portal"  # citizen portal / provincial system integration


class TokenInvalid(Unauthorized):
    code = "TOKEN_INVALID"
    zh = "身份凭证无效"
    en = "The token is invalid"


class TokenExpired(Unauthorized):
    code = "TOKEN_EXPIRED"
    zh = "身份凭证已过期"
    en = "The token has expired"


class RoleForbidden(Forbidden):
    code = "ROLE_FORBIDDEN"
    zh = "当前角色无权执行此操作"
    en = "Your role may not do this"


class JurisdictionForbidden(Forbidden):
    code = "JURISDICTION_FORBIDDEN"
    zh = "超出本辖区范围（{division}）"
    en = "Outside your jurisdiction ({division})"


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: frozenset[str]
    division: str
    org: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def covers(self, division: str) -> bool:
        return divisions.covers(self.division, division)

    def ensure_covers(self, division: str) -> None:
        if not self.covers(division):
            raise JurisdictionForbidden(division=division)


class TokenVerifier:
    def __init__(self, settings: KitSettings) -> None:
        self.algorithm = settings.jwt_algorithm
        self.key = settings.jwt_public_key if self.algorithm == "RS256" else settings.jwt_secret
        self.issuer = settings.jwt_issuer
        self._cache: dict[str, tuple[Principal, float]] = {}

    _CACHE_MAX = 4096

    def verify(self, token: str) -> Principal:
        """Verify a token; a verified token is remembered until it expires (HMAC/RSA per request is
        measurable on the hot path, and a token's claims cannot change before `exp`)."""
        hit = self._cache.get(token)
        if hit is not None and hit[1] > time.time():
            return hit[0]
        principal = self._verify(token)
        if len(self._cache) >= self._CACHE_MAX:
            self._cache.clear()
        self._cache[token] = (principal, float(principal.claims["exp"]))
        return principal

    def _verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[self.algorithm],
                issuer=self.issuer,
                options={"require": ["sub", "exp", "iat"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except jwt.PyJWTError as exc:
            raise TokenInvalid() from exc
        roles = claims.get("roles") or []
        div = claims.get("div")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise TokenInvalid()
        if not isinstance(div, str):
            raise TokenInvalid()
        try:
            divisions.validate_division_code(div)
        except divisions.InvalidDivisionCode as exc:
            raise TokenInvalid() from exc
        org = claims.get("org")
        return Principal(
            sub=str(claims["sub"]),
            roles=frozenset(roles),
            division=div,
            org=org if isinstance(org, str) else None,
            claims=claims,
        )


def issue_token(
    settings: KitSettings,
    sub: str,
    roles: Iterable[str],
    division: str,
    *,
    org: str | None = None,
    ttl_seconds: int = 8 * 3600,
    private_key: str | None = None,
    now: float | None = None,
) -> str:
    """Mint a token (development, tests, and the gateway's API-key exchange)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "roles": sorted(roles),
        "div": divisions.validate_division_code(division),
        "iat": issued,
        "exp": issued + ttl_seconds,
        "iss": settings.jwt_issuer,
    }
    if org:
        claims["org"] = org
    key = private_key if settings.jwt_algorithm == "RS256" else settings.jwt_secret
    if key is None:
        raise ValueError("RS256 needs a private key to sign")
    return jwt.encode(claims, key, algorithm=settings.jwt_algorithm)


_bearer = HTTPBearer(auto_error=False, description="JWT from your identity provider or `make token`")


def _verifier(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):  # pragma: no cover - wiring error
        raise RuntimeError("token verifier not configured")
    return verifier


# Async on purpose: sync dependencies cost a threadpool hop per request, and these do no I/O.
async def optional_principal(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal | None:
    if creds is None:
        return None
    principal = _verifier(request).verify(creds.credentials)
    request.scope.setdefault("state", {})["principal_sub"] = principal.sub
    return principal


async def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise Unauthorized()
    return principal


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency factory: the caller must hold one of `roles` (admin always passes)."""
    allowed = frozenset(roles) | {Role.ADMIN}

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.roles & allowed:
            raise RoleForbidden()
        return principal

    dependency.__name__ = "require_" + "_".join(sorted(str(r) for r in roles))
    return dependency


PrincipalDep = Annotated[Principal, Depends(current_principal)]
