"""Calls from one Jiuzhu service to another: plain HTTP with timeouts, the caller's credentials.

The caller's `Authorization` and `X-Request-ID` are forwarded, so the peer applies the same
role and jurisdiction rules and the logs of both sides share one request id; a request's clock
override (`X-Jiuzhu-Clock`, never set in prod) too, so both sides agree on "today". A peer that is down,
slow or answers 5xx becomes PEER_UNAVAILABLE (503); its 4xx answers are returned to the caller
to interpret (404 often means "outside your jurisdiction" as well as "absent").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from starlette.requests import Request

from jiuzhu_kit import clock
from jiuzhu_kit.errors import ServiceUnavailable
from jiuzhu_kit.observability import request_id_var


class PeerUnavailable(ServiceUnavailable):
    code = "PEER_UNAVAILABLE"
    zh = "依赖的服务（{peer}）暂时不可用，请稍后重试"
    en = "A service this depends on ({peer}) is temporarily unavailable; retry later"


@dataclass(frozen=True)
class PeerResponse:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def forwarded_headers(caller: Request | str | None) -> dict[str, str]:
    """The caller's `Authorization` (from its request, or the header value itself) and request id."""
    auth = caller.headers.get("authorization") if isinstance(caller, Request) else caller
    headers: dict[str, str] = {}
    if auth:
        headers["Authorization"] = auth
    if rid := request_id_var.get():
        headers["X-Request-ID"] = rid
    if (instant := clock.request_instant()) is not None:
        headers[clock.HEADER] = instant.isoformat()
    return headers


def wired_transport(state: Any, name: str) -> httpx.AsyncBaseTransport | None:
    """The in-process transport a test wired for peer `name` (`app.state.peer_transports`), so a
    suite that runs the services as in-process apps reaches the real peer app; None in a deployment."""
    transports = getattr(state, "peer_transports", None) or {}
    transport = transports.get(name)
    return transport if isinstance(transport, httpx.AsyncBaseTransport) else None


class Peer:
    """One peer service at `base_url`. `transport` lets tests run the real peer app in-process."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: float | httpx.Timeout = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.transport = transport

    async def get(
        self, path: str, caller: Request | str | None, params: dict[str, Any] | None = None
    ) -> PeerResponse:
        """GET with the caller's credentials; `caller` is its request or its Authorization value."""
        try:
            async with httpx.AsyncClient(
                base_url=self.base_url, timeout=self.timeout, transport=self.transport
            ) as client:
                resp = await client.get(path, params=params, headers=forwarded_headers(caller))
        except httpx.HTTPError as exc:
            raise PeerUnavailable(peer=self.name) from exc
        if resp.status_code >= 500:
            raise PeerUnavailable(peer=self.name)
        try:
            body = resp.json()
        except ValueError:
            body = None
        return PeerResponse(resp.status_code, body)
