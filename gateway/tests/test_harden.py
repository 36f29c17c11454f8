"""Findings of the attack run, each through a real gateway process in front of a real upstream
server (fake_upstream.py, on every route): one caller's 500 never fails another's request, paths
are decoded once, header limits, no upstream address leaks in a Location."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.testing import TEST_SECRET, free_port

HERE = Path(__file__).parent
Token = Callable[..., str]


@dataclass
class Pair:
    gateway: str
    fake: str
    gateway_port: int
    fake_port: int


def _uvicorn(port: int, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "critical",
        *args,
    ]


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """The gateway (no database: bearer tokens only) with all three services on one fake upstream."""
    fp, gp = free_port(), free_port()
    fake_url = f"http://127.0.0.1:{fp}"
    env = {
        **os.environ,
        "JWT_SECRET": TEST_SECRET,
        "JIUZHU_ENVIRONMENT": "test",
        "DATABASE_URL": "",
        "GATEWAY_LOG_LEVEL": "WARNING",
        "GATEWAY_ACCESS_LOG": "false",
        "GATEWAY_RATE_LIMIT_PRINCIPAL": "100000/minute",
        "GATEWAY_RATE_LIMIT_PUBLIC": "100000/minute",
        "GATEWAY_BREAKER_FAILURES": "100000",
        **{f"GATEWAY_UPSTREAM_{s}": fake_url for s in ("STAFFING", "PROCUREMENT", "EVALUATION")},
    }
    fake = subprocess.Popen(_uvicorn(fp, "--app-dir", str(HERE), "fake_upstream:app"), env=env)
    # uvicorn's stock protocol here: the limits below are the gateway's own ASGI check (the bounded
    # protocol, which refuses while the head arrives, is tested on the live stack).
    gw = subprocess.Popen(_uvicorn(gp, "--factory", "jiuzhu_gateway.app:create"), env=env)
    try:
        wait_ready([f"{fake_url}/healthz", f"http://127.0.0.1:{gp}/healthz"])
        yield Pair(f"http://127.0.0.1:{gp}", fake_url, gp, fp)
    finally:
        for p in (gw, fake):
            p.terminate()
            p.wait(timeout=10)


def bearer(token: Token, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token('bureau', '350802', sub=sub)}"}


# ---- 5: an upstream's 500 (and its close) never fails another caller's request ---------------


async def test_a_500_and_its_close_never_fail_other_callers(pair: Pair, token: Token) -> None:
    attacker, user = bearer(token, "attacker"), bearer(token, "bystander")
    # Few gateway→upstream connections, so pooled ones are reused between the two callers.
    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(base_url=pair.gateway, timeout=30, limits=limits) as c:

        async def boom(i: int) -> int:
            close = "1" if i % 2 else "0"  # a 500 the upstream closes behind, and one it keeps
            return (
                await c.get("/api/evaluation/boom", params={"close": close}, headers=attacker)
            ).status_code

        async def normal(i: int) -> httpx.Response:
            if i % 3 == 0:  # a POST without Idempotency-Key is never replayed: it must not need to be
                return await c.post("/api/evaluation/echo", json={"i": i}, headers=user)
            return await c.get("/api/evaluation/echo", params={"i": str(i)}, headers=user)

        for _ in range(5):  # in sequence first: 500, normal, 500, normal …
            assert await boom(1) == 500
            assert (await normal(0)).status_code == 200
        results: list[int | httpx.Response] = []
        for _ in range(4):  # 4 floods of 200 interleaved requests
            results += await asyncio.gather(*(boom(i) if i % 2 else normal(i) for i in range(200)))
    failed = [r.text for r in results if isinstance(r, httpx.Response) and r.status_code != 200]
    assert failed == [], failed[:3]
    assert all(r == 500 for r in results if isinstance(r, int))


async def raw_request(port: int, head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """One request sent byte for byte (no client normalising `..` or encoding); status, headers, body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head + body)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(-1), 30)
    except ConnectionResetError:
        data = b""
    finally:
        writer.close()
    head_part, _, rest = data.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines[0] else 0
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, rest


def get(target: str, *extra: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: gateway.test", "Connection: close", *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# ---- 7: a path is decoded once, routed on, and forwarded as exactly that -----------------------


async def test_double_encoded_metrics_does_not_reach_the_upstream_metrics(pair: Pair, token: Token) -> None:
    auth = f"Authorization: Bearer {token('bureau', '350802', sub='path-tester')}"
    for target in (
        "/api/procuremen%74/%256detrics",
        "/api/procurement/%256detrics",
        "/api/procurement/%6detrics",
    ):
        status, _, body = await raw_request(pair.gateway_port, get(target, auth))
        assert b"secret" not in body, (target, body)
        assert status == 404, (target, status, body)
    status, _, body = await raw_request(pair.gateway_port, get("/api/procurement/%256detrics", auth))
    assert b'"NOT_FOUND"' in body  # the upstream's own 404 for the path `/%6detrics`


@pytest.mark.parametrize(
    ("target", "upstream_path"),
    [
        ("/api/procuremen%74/x%256d/echo", "/x%6d/echo"),
        ("/api/evaluation/a%2Fb/echo", "/a/b/echo"),
        ("/api/evaluatio%6E/a%2Fb/echo", "/a/b/echo"),
        ("/api/evaluatio%6E/a%252Fb/echo", "/a%2Fb/echo"),
        ("/api/evaluation%2Fa/echo", "/a/echo"),
        ("/api/evaluation/a%252Fb/echo", "/a%2Fb/echo"),
        ("/api/evaluation/%E4%B9%9D%25%3F%23/echo", "/九%?#/echo"),
        ("/api/public/evaluation/a%252Fb/echo", "/public/a%2Fb/echo"),
    ],
)
async def test_upstream_decodes_to_the_path_the_gateway_routed_on(
    pair: Pair, token: Token, target: str, upstream_path: str
) -> None:
    auth = f"Authorization: Bearer {token('bureau', '350802', sub='path-tester')}"
    status, _, body = await raw_request(pair.gateway_port, get(target + "?q=%25", auth))
    assert status == 200, body
    echoed = json.loads(body)
    assert echoed["path"] == upstream_path
    assert echoed["query"] == "q=%25"


@pytest.mark.parametrize(
    "target",
    [
        "/api/evaluation/../staffing/echo",
        "/api/evaluation/x/../metrics",
        "/api/evaluation/x/%2e%2e/metrics",
        "/api/evaluation/x/..%2Fmetrics",
        "/api/evaluation/./metrics",
        "/api/evaluation//metrics",
        "/api/evaluation/x%2F%2Fmetrics",
        "/api/public/evaluation/%2E%2E/metrics",
    ],
)
async def test_dot_and_empty_segments_are_refused(pair: Pair, token: Token, target: str) -> None:
    auth = f"Authorization: Bearer {token('bureau', '350802', sub='path-tester')}"
    status, headers, body = await raw_request(pair.gateway_port, get(target, auth))
    assert status == 400, (target, status, body)
    assert b'"code": "PATH_INVALID"' in body and headers["content-type"].startswith(
        "application/problem+json"
    )


# ---- 10: no upstream address leaves the gateway in a Location ---------------------------------


@pytest.mark.parametrize(
    ("gateway_path", "to", "expected"),
    [
        ("/api/procurement/redirect", None, "/api/procurement/items/7?x=1"),
        ("/api/public/evaluation/redirect", None, "/api/public/evaluation/echo?x=1"),
        ("/api/evaluation/redirect", "/projects/7#top", "/api/evaluation/projects/7#top"),
        ("/api/evaluation/redirect", "/public/echo", "/api/public/evaluation/echo"),
        ("/api/evaluation/redirect", "https://portal.example/x", "https://portal.example/x"),
        ("/api/evaluation/redirect", "next", "next"),
        ("/api/evaluation/redirect", "/api/evaluation/x", "/api/evaluation/x"),
    ],
)
async def test_location_never_names_an_upstream(
    pair: Pair, token: Token, gateway_path: str, to: str | None, expected: str
) -> None:
    params = {"to": to} if to else {}
    async with httpx.AsyncClient(base_url=pair.gateway, timeout=10) as c:
        r = await c.get(gateway_path, params=params, headers=bearer(token, "redirect-tester"))
    assert r.status_code == 307, r.text
    location = r.headers["location"]
    assert f":{pair.fake_port}" not in location and "127.0.0.1" not in location
    assert location == expected


async def test_location_with_the_upstream_origin_is_mapped(pair: Pair, token: Token) -> None:
    own = f"{pair.fake}/projects/9?a=b"
    async with httpx.AsyncClient(base_url=pair.gateway, timeout=10) as c:
        r = await c.get(
            "/api/evaluation/redirect", params={"to": own}, headers=bearer(token, "redirect-tester")
        )
    assert r.headers["location"] == "/api/evaluation/projects/9?a=b"


# ---- 9: header count and size are bounded ------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        [f"X-Pad-{i}: v" for i in range(101)],  # 101 headers, with Host 102
        ["X-Big: " + "a" * (8 * 1024)],  # one header over 8 KiB
        [f"X-Pad-{i}: " + "b" * 4000 for i in range(5)],  # 20 KB in all
    ],
    ids=["count", "one-header", "total"],
)
async def test_oversized_heads_get_431_and_are_not_forwarded(pair: Pair, extra: list[str]) -> None:
    status, headers, body = await raw_request(pair.gateway_port, get("/api/evaluation/echo", *extra))
    assert status == 431, (status, body[:200])
    assert json.loads(body)["code"] == "HEADERS_TOO_LARGE"
    assert headers["content-type"].startswith("application/problem+json")


async def test_a_head_within_the_limits_passes(pair: Pair, token: Token) -> None:
    auth = f"Authorization: Bearer {token('bureau', '350802', sub='header-tester')}"
    extra = [f"X-Pad-{i}: " + "c" * 100 for i in range(90)]  # 91 headers + Host, ≈10 KB
    status, _, body = await raw_request(pair.gateway_port, get("/api/evaluation/echo", auth, *extra))
    assert status == 200, body[:300]
    assert json.loads(body)["headers"]["x-pad-89"] == ["c" * 100]
