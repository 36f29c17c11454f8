"""The gateway's cost: the same route direct to a service, through the gateway, through nginx.

Run: `.venv/bin/python -m bench.gateway_proxy` (≈ 75 s; loopback only). Database server from
BENCH_DATABASE_URL, else TEST_DATABASE_URL, else the machine's Postgres on 127.0.0.1:5432 (a
scratch database is created, migrated for staffing + gateway, and dropped).

One uvicorn worker for the staffing-calc service, one for the gateway (access log on, written to
/dev/null so its cost counts), nginx with one worker and upstream keep-alive; wrk with 32
connections. Targets are measured interleaved, several rounds, median taken (the machine is noisy):
1. a small JSON GET (`/healthz`), no credential — throughput at 32 connections and median latency;
2. the median latency with one connection — what a hop adds to a single request;
3. an authenticated call (JWT verified, rate limit counted) answered by the service without the
   database (its 404 problem): the gateway's full private-route path.
Bars (issue 6): gateway ≥ 60% of direct throughput and ≤ +2 ms median latency.
A missing wrk falls back to a Python load generator (said in the row names); missing nginx is
reported and its rows skipped.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import SECRET, RawHTTP, print_table, row, scratch_database, uvicorn
from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.testing import free_port

SECONDS = float(os.environ.get("BENCH_GATEWAY_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_GATEWAY_ROUNDS", "3"))
CONNECTIONS = 32


NGINX_CONF = """
worker_processes 1;
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream staffing {{ server 127.0.0.1:{upstream}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{port};
        location /api/staffing/ {{
            proxy_pass http://staffing/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $remote_addr;
        }}
    }}
}}
"""


def _nginx(tmp: Path, port: int, upstream: int) -> subprocess.Popen[bytes] | None:
    exe = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if exe is None:
        return None
    conf = tmp / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(user + NGINX_CONF.format(tmp=tmp, port=port, upstream=upstream))
    return subprocess.Popen(
        [exe, "-p", str(tmp), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _wrk(url: str, connections: int, seconds: float, headers: dict[str, str]) -> tuple[float, float]:
    """(requests/s, median latency ms) from wrk."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    assert m, out
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx and "nonexistent" not in url:
        raise RuntimeError(f"{url}: {non2xx.group(1)} error responses")
    return rps, float(m.group(1)) * _UNITS[m.group(2)]


def _pyload(url: str, connections: int, seconds: float, headers: dict[str, str]) -> tuple[float, float]:
    """Fallback when wrk is missing: keep-alive connections on asyncio streams (bench.common.RawHTTP)
    in one Python process; slower than wrk, so compare its figures with each other only."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)

    async def run() -> tuple[float, float]:
        lat: list[float] = []
        conns = [
            await RawHTTP.open(parts.hostname or "127.0.0.1", parts.port or 80) for _ in range(connections)
        ]
        request = conns[0].head("GET", parts.path or "/", headers)
        stop = time.perf_counter() + seconds

        async def worker(conn: RawHTTP) -> None:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                await conn.send(request)
                lat.append(time.perf_counter() - t)

        start = time.perf_counter()
        try:
            await asyncio.gather(*(worker(c) for c in conns))
        finally:
            for c in conns:
                c.close()
        return len(lat) / (time.perf_counter() - start), statistics.median(lat) * 1000

    return asyncio.run(run())


def _measure(
    targets: dict[str, str], connections: int, headers: dict[str, str], rounds: int
) -> dict[str, tuple[float, float]]:
    load = _wrk if shutil.which("wrk") else _pyload
    got: dict[str, list[tuple[float, float]]] = {k: [] for k in targets}
    for _ in range(rounds):
        for name, url in targets.items():  # interleaved: noise hits every target alike
            got[name].append(load(url, connections, SECONDS, headers))
    return {
        k: (statistics.median(r for r, _ in v), statistics.median(lat for _, lat in v))
        for k, v in got.items()
    }


def main() -> list[dict[str, Any]]:
    from jiuzhu_kit.auth import issue_token
    from jiuzhu_kit.settings import KitSettings

    notes = []
    tool = "wrk" if shutil.which("wrk") else "python loader (wrk missing)"
    if tool != "wrk":
        notes.append("wrk not installed (apt-get install -y wrk): using a Python load generator")
    procs: list[subprocess.Popen[bytes]] = []
    tmp = Path(tempfile.mkdtemp(prefix="jiuzhu-bench-nginx-"))
    with scratch_database("gw", ["jiuzhu_staffing", "jiuzhu_gateway"]) as url:
        try:
            svc, gw, ngx = free_port(), free_port(), free_port()
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "JWT_SECRET": SECRET,
                "JIUZHU_ENVIRONMENT": "test",
                "STAFFING_LOG_LEVEL": "WARNING",
                "GATEWAY_UPSTREAM_STAFFING": f"http://127.0.0.1:{svc}",
                "GATEWAY_LOG_LEVEL": "INFO",  # access log on: its cost is part of the gateway's
                "GATEWAY_RATE_LIMIT_PRINCIPAL": "10000000/minute",
            }
            procs.append(uvicorn("jiuzhu_staffing.app:create", svc, env, quiet=True))
            procs.append(uvicorn("jiuzhu_gateway.app:create", gw, env, quiet=True))
            nginx = _nginx(tmp, ngx, svc)
            if nginx is None:
                notes.append("nginx not installed (apt-get install -y nginx): nginx rows skipped")
            else:
                procs.append(nginx)
            wait_ready([f"http://127.0.0.1:{svc}/healthz", f"http://127.0.0.1:{gw}/healthz"])
            targets = {
                "direct": f"http://127.0.0.1:{svc}/healthz",
                "gateway": f"http://127.0.0.1:{gw}/api/staffing/healthz",
            }
            if nginx is not None:
                wait_ready([f"http://127.0.0.1:{ngx}/api/staffing/healthz"])
                targets["nginx"] = f"http://127.0.0.1:{ngx}/api/staffing/healthz"
            for u in targets.values():  # warm-up: pools, JITs of the mind
                _wrk(u, CONNECTIONS, 1, {}) if tool == "wrk" else _pyload(u, CONNECTIONS, 1, {})
            loaded = _measure(targets, CONNECTIONS, {}, ROUNDS)
            single = _measure(targets, 1, {}, 2)
            token = issue_token(
                KitSettings(JWT_SECRET=SECRET, DATABASE_URL=""), "bench", ["bureau"], "350802"
            )
            auth = {"Authorization": f"Bearer {token}"}
            private = _measure(
                {
                    "direct": f"http://127.0.0.1:{svc}/nonexistent",
                    "gateway": f"http://127.0.0.1:{gw}/api/staffing/nonexistent",
                },
                CONNECTIONS,
                auth,
                2,
            )
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
            shutil.rmtree(tmp, ignore_errors=True)

    d_rps, d_lat = loaded["direct"]
    g_rps, g_lat = loaded["gateway"]
    added = single["gateway"][1] - single["direct"][1]
    c = f"{CONNECTIONS} conns, {tool}"
    rows = [
        row(f"direct GET /healthz ({c})", d_rps, "req/s"),
        row(
            f"gateway GET /api/staffing/healthz ({c})",
            g_rps,
            "req/s",
            d_rps,
            "≥ 0.60 of direct",
            g_rps / d_rps >= 0.6,
        ),
        row(f"direct median latency ({c})", d_lat, "ms"),
        row(f"gateway median latency ({c})", g_lat, "ms", d_lat),
        row("direct median latency (1 conn)", single["direct"][1], "ms"),
        row("gateway added median latency (1 conn)", added, "ms", None, "≤ +2 ms", added <= 2.0),
    ]
    if "nginx" in loaded:
        n_rps, n_lat = loaded["nginx"]
        n_added = single["nginx"][1] - single["direct"][1]
        rows += [
            row(f"nginx GET /api/staffing/healthz ({c})", n_rps, "req/s", d_rps, "reference (≈0.85–1.10)"),
            row(f"nginx median latency ({c})", n_lat, "ms", d_lat),
            row("nginx added median latency (1 conn)", n_added, "ms"),
            row("gateway throughput vs nginx", g_rps, "req/s", n_rps, "info"),
        ]
    pd, pg = private["direct"][0], private["gateway"][0]
    rows.append(
        row(f"gateway, JWT-authenticated call ({c})", pg, "req/s", pd, "≥ 0.60 of direct", pg / pd >= 0.6)
    )
    for n in notes:
        print("note:", n)
    return rows


if __name__ == "__main__":
    print_table(main(), "gateway vs direct vs nginx")
