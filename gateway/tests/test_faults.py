"""A stopped service (502, then 503 from the breaker, then recovery) and a hung one (504), while
the other routes keep answering; streaming both ways; what is forwarded and what is not."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Callable

import httpx

from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.testing import LiveStack

Token = Callable[..., str]


def bearer(token: Token, sub: str, roles: str = "bureau") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(roles, '350802', sub=sub)}"}


async def test_hung_service_gives_504_in_time_while_others_answer(
    fault_stack: LiveStack, token: Token
) -> None:
    h = bearer(token, "hung-tester")
    async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=10) as c:
        start = time.monotonic()
        hung, other = await asyncio.gather(
            c.get("/api/evaluation/slow", params={"seconds": "20"}, headers=h),
            c.get("/api/procurement/readyz"),
        )
        elapsed = time.monotonic() - start
    assert hung.status_code == 504 and hung.json()["code"] == "UPSTREAM_TIMEOUT", hung.text
    assert hung.headers["content-type"].startswith("application/problem+json")
    assert 1.9 <= elapsed < 4, elapsed  # the route's 2 s timeout, not the upstream's 20 s
    assert other.status_code == 200


async def test_stopped_service_502_then_breaker_503_then_recovers(
    fault_stack: LiveStack, token: Token
) -> None:
    h = bearer(token, "breaker-tester")
    fault_stack.stop("staffing")
    try:
        async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=10) as c:
            for _ in range(3):
                r = await c.get("/api/staffing/healthz", headers=h)
                assert r.status_code == 502 and r.json()["code"] == "UPSTREAM_UNAVAILABLE", r.text
            r = await c.get("/api/staffing/healthz")
            assert r.status_code == 503 and r.json()["code"] == "UPSTREAM_CIRCUIT_OPEN", r.text
            assert 1 <= int(r.headers["retry-after"]) <= 2
            assert (await c.get("/api/procurement/healthz")).status_code == 200  # others unaffected
            r = await c.get("/readyz")
            # The gateway stays in rotation (procurement and evaluation still answer through it);
            # the body says which service is not ready.
            assert r.status_code == 200, r.text
            ready = r.json()
            assert ready["status"] == "degraded" and ready["services"]["staffing"]["circuit"] != "closed"
            assert ready["services"]["staffing"]["status"] == "unavailable"
            assert ready["services"]["procurement"]["status"] == "ready"
            assert (await c.get("/healthz")).status_code == 200  # alive all the same
    finally:
        fault_stack.start("staffing")
        wait_ready([f"{fault_stack.url('staffing')}/readyz"])
    await asyncio.sleep(2.1)  # the breaker's reset time: the next call is the probe
    async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=10) as c:
        assert (await c.get("/api/staffing/healthz")).status_code == 200
        assert (await c.get("/api/staffing/healthz")).status_code == 200
        metrics = (await c.get("/metrics")).text
    assert 'gateway_upstream_failures_total{code="UPSTREAM_UNAVAILABLE",upstream="staffing"} 3.0' in metrics
    assert 'gateway_circuit_open{upstream="staffing"} 0.0' in metrics


async def test_what_is_forwarded(fault_stack: LiveStack, token: Token) -> None:
    h = {
        **bearer(token, "echo-tester"),
        "Cookie": "sid=user-a",
        "Connection": "keep-alive, X-Secret-Hop",
        "X-Secret-Hop": "must-not-pass",
        "X-Forwarded-For": "203.0.113.7",
        "X-Request-ID": "echo-1",
        "Host": "api.jiuzhu.example",
        "X-Jiuzhu-Clock": "2026-12-31T16:30:00Z",  # outside prod: passed on unchanged
    }
    async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=10) as c:
        r = await c.get("/api/evaluation/a%2Fb/echo", params={"q": "中文 x"}, headers=h)
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["raw_path"] == "/a%2Fb/echo" and seen["query"] == "q=%E4%B8%AD%E6%96%87+x"
    hdr = seen["headers"]
    assert "cookie" not in hdr and "x-secret-hop" not in hdr
    assert hdr["x-request-id"] == ["echo-1"]
    # loopback is a trusted proxy by uvicorn's default (FORWARDED_ALLOW_IPS), so the client is the one named
    assert hdr["x-forwarded-for"] == ["203.0.113.7"]
    assert hdr["x-forwarded-host"] == ["api.jiuzhu.example"] and hdr["x-forwarded-proto"] == ["http"]
    assert hdr["x-forwarded-prefix"] == ["/api/evaluation"]
    assert hdr["authorization"] == [h["Authorization"]]
    assert hdr["x-jiuzhu-clock"] == ["2026-12-31T16:30:00Z"]
    assert "set-cookie" not in r.headers and r.headers["x-upstream"] == "fake"


async def test_large_bodies_stream_both_ways(fault_stack: LiveStack, token: Token) -> None:
    h = bearer(token, "stream-tester")
    payload = os.urandom(5 * 1024 * 1024)

    async def chunks() -> object:
        for i in range(0, len(payload), 256 * 1024):
            yield payload[i : i + 256 * 1024]

    async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=30) as c:
        up = await c.post("/api/evaluation/echo", content=chunks(), headers=h)  # chunked upload
        assert up.status_code == 200, up.text
        assert up.json()["body_size"] == len(payload)
        assert up.json()["body_sha256"] == hashlib.sha256(payload).hexdigest()
        start = time.monotonic()
        async with c.stream(
            "GET", "/api/evaluation/large", params={"mb": "32", "pause": "1.5"}, headers=h
        ) as r:
            assert r.status_code == 200
            it = r.aiter_raw()
            first = await it.__anext__()
            first_at = time.monotonic() - start
            size = len(first) + sum([len(b) async for b in it])
        assert first_at < 1.2, first_at  # bytes arrive before the upstream finished
        assert size == 32 * 1024 * 1024


async def test_public_routes_need_no_credential_and_are_rate_limited(fault_stack: LiveStack) -> None:
    async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=10) as c:
        client_a = {"X-Forwarded-For": "198.51.100.10"}
        client_b = {"X-Forwarded-For": "198.51.100.11"}
        r = await c.get("/api/public/evaluation/echo", headers=client_a)
        assert r.status_code == 200 and r.json()["path"] == "/public/echo"
        assert "authorization" not in r.json()["headers"]
        # survey submission: the write budget (2/minute) is tighter than the read budget (5/minute)
        for _ in range(2):
            assert (
                await c.post("/api/public/evaluation/echo", json={"a": 1}, headers=client_a)
            ).status_code == 200
        limited = await c.post("/api/public/evaluation/echo", json={"a": 1}, headers=client_a)
        assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert (
            await c.post("/api/public/evaluation/echo", json={"a": 1}, headers=client_b)
        ).status_code == 200
        for _ in range(4):
            await c.get("/api/public/evaluation/echo", headers=client_a)
        assert (await c.get("/api/public/evaluation/echo", headers=client_a)).status_code == 429


async def test_cache_hits_behind_a_load_balancer_count_against_each_client(fault_stack: LiveStack) -> None:
    """Behind an Ingress every request carries X-Forwarded-For; public cache hits are still answered
    from the cache and limited per client (5/minute here) — the address the trusted hop names, as on
    every other route — never per load balancer."""
    url = "/api/public/procurement/announcements?limit=1&division_code=350802"
    one = {"X-Forwarded-For": "198.51.100.60"}
    other = {"X-Forwarded-For": "203.0.113.9, 198.51.100.61"}  # the rightmost hop not trusted counts
    async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=10) as c:
        # A cold first read may pass this stack's 1 s public timeout: warm up from addresses of its own.
        warm = [(await c.get(url, headers={"X-Forwarded-For": f"192.0.2.{i}"})).status_code for i in range(5)]
        assert 200 in warm, warm
        answers = [await c.get(url, headers=one) for _ in range(6)]
        assert [r.status_code for r in answers] == [200] * 5 + [429], [r.text for r in answers]
        assert answers[5].json()["code"] == "RATE_LIMITED"
        assert [r.headers["x-cache"] for r in answers[1:5]] == ["HIT"] * 4
        r = await c.get(url, headers=other)
        assert (r.status_code, r.headers["x-cache"]) == (200, "HIT"), r.text


async def test_portal_keys_read_public_data_above_the_anonymous_limit(
    fault_stack: LiveStack, auth: Callable[..., dict[str, str]]
) -> None:
    """A portal (e 龙岩) names itself with a `portal` key: limited per key (12/minute here) instead of
    per address (5/minute); anonymous reads from the same address stay possible; a wrong key is
    refused rather than read as anonymous; the public route still receives no credential."""
    admin = auth("admin", "350800", sub="admin-portal-limit")
    async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=10) as c:
        r = await c.post(
            "/api/gateway/api-keys",
            json={"name": "e龙岩", "roles": ["portal"], "division": "350800"},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        where = {"X-Forwarded-For": "198.51.100.40"}
        portal = {**where, "X-API-Key": r.json()["key"]}
        codes = [(await c.get("/api/public/evaluation/echo", headers=portal)).status_code for _ in range(13)]
        assert codes == [200] * 12 + [429], codes
        seen = (await c.get("/api/public/evaluation/echo", headers=where)).json()
        assert "authorization" not in seen["headers"] and "x-api-key" not in seen["headers"]
        anonymous = [
            (await c.get("/api/public/evaluation/echo", headers=where)).status_code for _ in range(5)
        ]
        assert anonymous == [200] * 4 + [429], anonymous
        wrong = await c.get(
            "/api/public/evaluation/echo", headers={**where, "X-API-Key": "jzk_0000000000aa_x"}
        )
        assert wrong.status_code == 401 and wrong.json()["code"] == "API_KEY_INVALID"


async def test_rate_limit_per_token_subject(fault_stack: LiveStack, token: Token) -> None:
    a, b = bearer(token, "limited-a"), bearer(token, "limited-b")
    async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=10) as c:
        # A token-only route: published reads (e.g. the calendar) are limited per address instead.
        codes = [(await c.get("/api/procurement/projects", headers=a)).status_code for _ in range(9)]
        assert 429 not in codes[:8] and codes[8] == 429, codes
        assert (await c.get("/api/procurement/projects", headers=b)).status_code != 429


async def test_cors_for_configured_origins_only(fault_stack: LiveStack) -> None:
    async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=10) as c:
        pre = {"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"}
        ok = await c.options("/api/public/evaluation/echo", headers=pre)
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://portal.example"
        bad = await c.options(
            "/api/public/evaluation/echo", headers={**pre, "Origin": "https://evil.example"}
        )
        assert bad.status_code == 403 and "access-control-allow-origin" not in bad.headers
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.json()["code"] == "CORS_FORBIDDEN" and "origin" in bad.json()["detail"]
        r = await c.get("/api/procurement/healthz", headers={"Origin": "https://portal.example"})
        assert r.headers["access-control-allow-origin"] == "https://portal.example"
        # A preflight to an authenticated route is answered before authentication (never a 401).
        pre_auth = {**pre, "Access-Control-Request-Headers": "authorization,idempotency-key,content-type"}
        ok = await c.options("/api/procurement/projects", headers=pre_auth)
        assert ok.status_code == 200, ok.text
        assert ok.headers["access-control-allow-origin"] == "https://portal.example"
        allowed = {h.strip().lower() for h in ok.headers["access-control-allow-headers"].split(",")}
        assert {"authorization", "idempotency-key", "content-type", "accept-language"} <= allowed
        bad = await c.options("/api/procurement/projects", headers={**pre, "Origin": "https://evil.example"})
        assert bad.status_code == 403 and bad.json()["code"] == "CORS_FORBIDDEN"


async def test_api_key_guessing_is_throttled_per_address(fault_stack: LiveStack) -> None:
    async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=10) as c:
        guesser = {"X-Forwarded-For": "192.0.2.66"}
        for i in range(3):
            r = await c.get(
                "/api/evaluation/echo", headers={**guesser, "X-API-Key": f"jzk_00000000000{i}_guess"}
            )
            assert r.status_code == 401 and r.json()["code"] == "API_KEY_INVALID"
        r = await c.get("/api/evaluation/echo", headers={**guesser, "X-API-Key": "jzk_000000000009_guess"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        other = {"X-Forwarded-For": "192.0.2.67", "X-API-Key": "jzk_000000000009_guess"}
        assert (await c.get("/api/evaluation/echo", headers=other)).status_code == 401
