from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request

from jiuzhu_devtools.testing import free_port
from jiuzhu_kit.observability import request_id_var
from jiuzhu_kit.peers import Peer, PeerUnavailable, forwarded_headers


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "path": "/", "headers": raw, "query_string": b""})


async def test_peer_forwards_credentials_and_request_id(
    kit_app: FastAPI, client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    peer = Peer("kit", "http://peer", transport=httpx.ASGITransport(app=kit_app))
    token = request_id_var.set("rid-peer-1")
    try:
        got = await peer.get(
            "/calendar/working-days", _request(auth()), params={"start": "2026-09-30", "days": 7}
        )
    finally:
        request_id_var.reset(token)
    # The kit_test schema has no calendar seeded: the peer's 4xx problem comes back to interpret,
    # and it carries the request id we forwarded.
    assert got.status == 409 and got.body["code"] == "CALENDAR_YEAR_MISSING"
    assert got.body["request_id"] == "rid-peer-1"
    assert forwarded_headers(_request(auth()))["Authorization"].startswith("Bearer ")
    assert "Authorization" not in forwarded_headers(_request({}))


async def test_peer_down_is_503_problem() -> None:
    peer = Peer("nobody", f"http://127.0.0.1:{free_port()}", timeout=1)
    with pytest.raises(PeerUnavailable) as e:
        await peer.get("/healthz", None)
    assert e.value.status == 503 and "nobody" in e.value.detail("en")
