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


class _Conflict(Exception):
    def __init__(self, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("code"))
        self.problem = problem


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
        self.reused = 0  # records someone else had already made under the demo's natural keys
        self.notes: list[str] = []  # what the load did besides writing: reuse, places moved

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
        conflict_ok: bool = False,
    ) -> Any:
        """POST/PUT with an idempotency key derived from the request itself (plus `again` for a
        deliberate repeat of an identical request, e.g. a second announcement after a failure).
        `headers` go along but not into the key (e.g. X-Jiuzhu-Clock, which a replay ignores)."""
        raw = json.dumps(body, ensure_ascii=False, sort_keys=True) if body is not None else ""
        digest = hashlib.sha256(f"{method} {path} {raw} {again}".encode()).hexdigest()[:40]
        extra = {**(headers or {}), "Idempotency-Key": f"{KEY_PREFIX}-{digest}"}
        r = self._send(method, path, p, body, None, extra, conflict_ok=conflict_ok)
        self.writes += 1
        if r.headers.get("idempotent-replayed") == "true":
            self.replayed += 1
        return r.json() if r.content else None

    def create(
        self, path: str, p: Persona, body: Any, method: str = "POST"
    ) -> tuple[Any, dict[str, Any] | None]:
        """POST a record with a natural key (a USCC, a division's year). Returns (the record, None), or
        (None, the 409 problem) when someone else already holds that key: a database with other data
        is not an error, the caller reuses theirs or loads elsewhere and says so (`notes`)."""
        try:
            return self.write(method, path, p, body, conflict_ok=True), None
        except _Conflict as c:
            return None, c.problem

    def reuse(self, problem: dict[str, Any], service: str, p: Persona, what: str) -> Any:
        """The record a 409 `…_EXISTS` names (`existing.href`), read as `p`; None if it names none."""
        href = (problem.get("existing") or {}).get("href")
        self.writes += 1  # a write the demo did not need to make
        self.reused += 1
        self.notes.append(f"{what}: already there ({problem.get('code')}), reused")
        if not href:
            return None
        return self.get(href if href.startswith("/api/") else f"/api/{service}{href}", p)

    def post(
        self,
        path: str,
        p: Persona,
        body: Any = None,
        *,
        again: str = "",
        headers: dict[str, str] | None = None,
        conflict_ok: bool = False,
    ) -> Any:
        return self.write("POST", path, p, body, again=again, headers=headers, conflict_ok=conflict_ok)

    def put(self, path: str, p: Persona, body: Any = None, *, conflict_ok: bool = False) -> Any:
        return self.write("PUT", path, p, body, conflict_ok=conflict_ok)

    def _send(
        self,
        method: str,
        path: str,
        p: Persona,
        body: Any,
        params: dict[str, Any] | None,
        extra: dict[str, str],
        *,
        conflict_ok: bool = False,
    ) -> httpx.Response:
        headers = {**self.headers(p), **extra}
        for _ in range(5):
            r = self.http.request(method, path, json=body, params=params, headers=headers)
            if r.status_code not in (429, 503):
                break
            time.sleep(min(float(r.headers.get("retry-after", "1") or 1), 5))
        if (
            conflict_ok
            and r.status_code == 409
            and r.headers.get("content-type", "").startswith("application/problem")
        ):
            raise _Conflict(r.json())
        if r.status_code >= 400:
            raise DemoLoadError(f"{method} {path} as {p.role}@{p.div} → {r.status_code}: {r.text[:800]}")
        return r
