"""The demo's HTTP client: every write goes through the gateway with a real token and an
`Idempotency-Key`, so a second load replays the stored responses instead of writing again."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from jiuzhu_kit.auth import issue_token
from jiuzhu_kit.settings import KitSettings

# Bump when a request body changes: the services refuse a known key with another body (422).
KEY_PREFIX = "demo-v1"


class DemoLoadError(RuntimeError):
    """A demo request was refused: the message names the request and the problem the service gave."""


@dataclass(frozen=True)
class Persona:
    role: str
    div: str
    org: str | None = None
    name: str | None = None  # a stable `sub`, so idempotency keys (kept per subject) replay

    @property
    def sub(self) -> str:
        return self.name or f"demo-{self.role}-{self.div}" + (f"-{self.org}" if self.org else "")


def token(settings: KitSettings, p: Persona, ttl_seconds: int = 8 * 3600) -> str:
    return issue_token(settings, p.sub, [p.role], p.div, org=p.org, ttl_seconds=ttl_seconds)


# 统一社会信用代码 (GB 32100-2015 5.2): weights 3^(i-1) mod 31, check = (31 − Σ mod 31) mod 31.
_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(prefix: str, div: str, n: int) -> str:
    body = f"{prefix}{div}MA{n:07d}"
    total = sum(_CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + _CHARSET[(31 - total % 31) % 31]


class Api:
    """Synchronous, sequential (the load is a few hundred requests; order matters more than speed)."""

    def __init__(self, base_url: str, settings: KitSettings, *, timeout: float = 30) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout)
        self.settings = settings
        self._tokens: dict[Persona, str] = {}
        self.writes = 0
        self.replayed = 0

    def close(self) -> None:
        self.http.close()

    def headers(self, p: Persona) -> dict[str, str]:
        if p not in self._tokens:
            self._tokens[p] = token(self.settings, p)
        return {"Authorization": f"Bearer {self._tokens[p]}"}

    def get(self, path: str, p: Persona, **params: Any) -> Any:
        r = self._send("GET", path, p, None, params or None, {})
        return r.json()

    def write(
        self,
        method: str,
        path: str,
        p: Persona,
        body: Any = None,
        *,
        again: str = "",
        headers: dict[str, str] | None = None,
    ) -> Any:
        """POST/PUT with an idempotency key derived from the request itself (plus `again` for a
        deliberate repeat of an identical request, e.g. a second announcement after a failure).
        `headers` go along but not into the key (e.g. X-Jiuzhu-Clock, which a replay ignores)."""
        raw = json.dumps(body, ensure_ascii=False, sort_keys=True) if body is not None else ""
        digest = hashlib.sha256(f"{method} {path} {raw} {again}".encode()).hexdigest()[:40]
        extra = {**(headers or {}), "Idempotency-Key": f"{KEY_PREFIX}-{digest}"}
        r = self._send(method, path, p, body, None, extra)
        self.writes += 1
        if r.headers.get("idempotent-replayed") == "true":
            self.replayed += 1
        return r.json() if r.content else None

    def post(
        self,
        path: str,
        p: Persona,
        body: Any = None,
        *,
        again: str = "",
        headers: dict[str, str] | None = None,
    ) -> Any:
        return self.write("POST", path, p, body, again=again, headers=headers)

    def put(self, path: str, p: Persona, body: Any = None) -> Any:
        return self.write("PUT", path, p, body)

    def _send(
        self,
        method: str,
        path: str,
        p: Persona,
        body: Any,
        params: dict[str, Any] | None,
        extra: dict[str, str],
    ) -> httpx.Response:
        headers = {**self.headers(p), **extra}
        for _ in range(5):
            r = self.http.request(method, path, json=body, params=params, headers=headers)
            if r.status_code not in (429, 503):
                break
            time.sleep(min(float(r.headers.get("retry-after", "1") or 1), 5))
        if r.status_code >= 400:
            raise DemoLoadError(f"{method} {path} as {p.role}@{p.div} → {r.status_code}: {r.text[:800]}")
        return r
