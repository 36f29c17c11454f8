"""Attack-run findings against the whole system as processes (live_stack): no trailing-slash redirect
leaks a service's address, a double-encoded path never reaches a service's /metrics, and readiness
is a 503 while a database is down (liveness stays 200)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable, Iterator

import httpx
import pytest

from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.services import UVICORN_HTTP
from jiuzhu_devtools.testing import LiveStack, free_port

Auth = Callable[..., dict[str, str]]


@pytest.mark.parametrize(
    "path", ["/api/procurement/projects/", "/api/staffing/scenarios/", "/api/evaluation/templates/"]
)
async def test_trailing_slash_is_a_404_problem_not_a_redirect(
    live_stack: LiveStack, auth: Auth, path: str
) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10, follow_redirects=False) as c:
        r = await c.get(path, headers=auth("bureau"))
    assert r.status_code == 404, (r.status_code, r.headers)
    assert "location" not in r.headers
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "NOT_FOUND"
    for port in live_stack.ports.values():
        assert f":{port}" not in r.text


async def test_double_encoded_path_never_reaches_service_metrics(live_stack: LiveStack, auth: Auth) -> None:
    token = auth("bureau")["Authorization"]
    reader, writer = await asyncio.open_connection("127.0.0.1", live_stack.gateway_port)
    request = (
        "GET /api/procuremen%74/%256detrics HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n"
        f"Authorization: {token}\r\n\r\n"
    )
    writer.write(request.encode())
    data = await asyncio.wait_for(reader.read(-1), 10)
    writer.close()
    status = int(data.split(b" ", 2)[1])
    assert status == 404, data[:300]
    assert b"process_cpu" not in data and b"_requests_total" not in data


# ---- readiness while a database is down ----------------------------------------------------


@pytest.fixture(scope="module")
def dead_db_gateway(live_stack: LiveStack) -> Iterator[tuple[str, str]]:
    """evaluation on a database URL nobody listens on, behind a gateway of its own whose other
    services (and its own store) are the live stack's, all healthy. Yields (gateway, evaluation)."""
    ev_port, gw_port = free_port(), free_port()
    dead = f"postgresql://jiuzhu:x@127.0.0.1:{free_port()}/nowhere"
    ev_env = {**live_stack.env, "DATABASE_URL": dead}
    gw_env = {**live_stack.env, "GATEWAY_UPSTREAM_EVALUATION": f"http://127.0.0.1:{ev_port}"}
    base = [sys.executable, "-m", "uvicorn", "--factory", "--host", "127.0.0.1", "--log-level", "critical"]
    base += ["--http", UVICORN_HTTP]
    procs = [
        subprocess.Popen([*base, "--port", str(ev_port), "jiuzhu_evaluation.app:create"], env=ev_env),
        subprocess.Popen([*base, "--port", str(gw_port), "jiuzhu_gateway.app:create"], env=gw_env),
    ]
    try:
        gateway, evaluation = f"http://127.0.0.1:{gw_port}", f"http://127.0.0.1:{ev_port}"
        wait_ready([f"{gateway}/healthz", f"{evaluation}/healthz"])
        yield gateway, evaluation
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)


async def test_readyz_while_a_service_database_is_down(dead_db_gateway: tuple[str, str]) -> None:
    gateway, evaluation = dead_db_gateway
    async with httpx.AsyncClient(timeout=15) as c:
        svc_ready, svc_alive = await c.get(f"{evaluation}/readyz"), await c.get(f"{evaluation}/healthz")
        via_gw = await c.get(f"{gateway}/api/evaluation/readyz")
        gw_ready, gw_alive = await c.get(f"{gateway}/readyz"), await c.get(f"{gateway}/healthz")
    assert svc_ready.status_code == 503 and svc_ready.json()["code"] == "DATABASE_UNAVAILABLE"
    assert svc_alive.status_code == 200 and svc_alive.json()["status"] == "ok"
    assert via_gw.status_code == 503 and via_gw.json()["code"] == "DATABASE_UNAVAILABLE"
    assert gw_alive.status_code == 200
    # One service's database down does not take the gateway out of rotation: the others still
    # answer through it. The body says which is not ready.
    assert gw_ready.status_code == 200, gw_ready.text
    body = gw_ready.json()
    assert body["status"] == "degraded" and body["database"] == "ok"
    assert body["services"]["evaluation"]["status"] == "not_ready"
    assert body["services"]["evaluation"]["http_status"] == 503
    assert body["services"]["procurement"]["status"] == "ready"


def test_gateway_readyz_is_503_while_its_own_store_is_down(live_stack: LiveStack) -> None:
    """The gateway's readiness is its own Postgres (API keys, shared limits): with that away it is
    `not_ready` (503), while its services, on theirs, are reported ready in the body."""
    port = free_port()
    dead = f"postgresql://jiuzhu:x@127.0.0.1:{free_port()}/nowhere"
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "--host", "127.0.0.1", "--log-level", "critical"]
    cmd += ["--http", UVICORN_HTTP, "--port", str(port), "jiuzhu_gateway.app:create"]
    proc = subprocess.Popen(cmd, env={**live_stack.env, "DATABASE_URL": dead})
    try:
        gateway = f"http://127.0.0.1:{port}"
        wait_ready([f"{gateway}/healthz"])
        with httpx.Client(timeout=30) as c:
            r = c.get(f"{gateway}/readyz")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["status"] == "not_ready" and body["database"] == "unavailable"
    assert body["services"]["procurement"]["status"] == "ready"


async def test_readyz_is_200_when_everything_is_ready(live_stack: LiveStack) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=15) as c:
        r = await c.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready", r.text


# ---- header limits, enforced by the processes' protocol while the head arrives -----------------


async def _send_head(port: int, head: bytes) -> tuple[int, bytes, int]:
    """Send `head` in 64 KiB pieces, reading concurrently; stop sending once an answer came.
    (status, body, bytes sent)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    got = bytearray()

    async def read_all() -> bytes:
        try:
            while chunk := await reader.read(65536):
                got.extend(chunk)
        except OSError:  # the rest of what we were still sending was refused: a reset
            pass
        return bytes(got)

    answer = asyncio.ensure_future(read_all())
    sent = 0
    try:
        while sent < len(head) and not got:
            writer.write(head[sent : sent + 65536])
            await writer.drain()
            sent += 65536
    except OSError:
        pass
    try:
        data = await asyncio.wait_for(answer, 30)
    finally:
        writer.close()
    status = int(data.split(b" ", 2)[1]) if data else 0
    return status, data.partition(b"\r\n\r\n")[2], sent


def _head(target: str, headers: list[str]) -> bytes:
    return ("\r\n".join([f"GET {target} HTTP/1.1", "Host: t", *headers]) + "\r\n\r\n").encode()


async def test_a_50_mb_header_is_refused_before_it_is_read(live_stack: LiveStack) -> None:
    huge = _head("/api/procurement/projects", ["X-Huge: " + "a" * (50 * 1024 * 1024)])
    for port in (live_stack.gateway_port, live_stack.ports["procurement"]):
        status, body, sent = await _send_head(port, huge)
        assert status == 431, (port, status, body[:200])
        assert b'"code": "HEADERS_TOO_LARGE"' in body
        assert sent < 20 * 1024 * 1024  # answered while arriving (kernel buffers hold a few MB)


@pytest.mark.parametrize("count", [5000, 150])
async def test_thousands_of_headers_are_refused(live_stack: LiveStack, count: int) -> None:
    head = _head("/api/procurement/projects", [f"X-H{i}: v" for i in range(count)])
    status, body, _ = await _send_head(live_stack.gateway_port, head)
    assert status == 431 and b'"code": "HEADERS_TOO_LARGE"' in body, body[:200]
    direct = _head("/projects", [f"X-H{i}: v" for i in range(count)])
    status, body, _ = await _send_head(live_stack.ports["procurement"], direct)
    assert status == 431 and b'"code": "HEADERS_TOO_LARGE"' in body, body[:200]


async def test_a_full_head_the_gateway_accepts_is_accepted_by_the_service(
    live_stack: LiveStack, auth: Auth
) -> None:
    # Just under the gateway's limits (100 headers, 16 KiB): the gateway's own additions
    # (X-Forwarded-*, X-Request-ID) must not push it over the service's.
    pad = [f"X-P{i:02d}: " + "d" * 165 for i in range(90)]  # + httpx's own 6 and Authorization
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        r = await c.get(
            "/api/procurement/projects", headers={**auth("bureau"), **dict(p.split(": ") for p in pad)}
        )
    assert r.status_code == 200, r.text[:300]
