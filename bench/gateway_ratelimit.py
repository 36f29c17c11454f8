"""What sharing the rate limits between gateway replicas costs: policy `cluster` vs `local`.

Run: `.venv/bin/python -m bench.gateway_ratelimit` (≈ 40 s; loopback only; database server as in
bench/gateway_proxy.py). One staffing-calc worker behind two gateways on the same scratch database,
one with `GATEWAY_RATE_LIMIT_POLICY=local` (per process), one with `cluster` (counted locally,
synced to Postgres every 0.2 s); the same authenticated call (JWT verified, principal limit counted,
the service's 404 without the database) through each, interleaved, median of rounds.
Bar (issue 19): cluster ≥ 0.90 of local.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from bench.common import SECRET, print_table, row, scratch_database, uvicorn
from bench.gateway_proxy import CONNECTIONS, ROUNDS, _measure
from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.testing import free_port


def main() -> list[dict[str, Any]]:
    from jiuzhu_kit.auth import issue_token
    from jiuzhu_kit.settings import KitSettings

    tool = "wrk" if shutil.which("wrk") else "python loader (wrk missing)"
    procs: list[subprocess.Popen[bytes]] = []
    with scratch_database("rl", ["jiuzhu_staffing", "jiuzhu_gateway"]) as url:
        try:
            svc, local, cluster = free_port(), free_port(), free_port()
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "JWT_SECRET": SECRET,
                "JIUZHU_ENVIRONMENT": "test",
                "STAFFING_LOG_LEVEL": "WARNING",
                "GATEWAY_UPSTREAM_STAFFING": f"http://127.0.0.1:{svc}",
                "GATEWAY_LOG_LEVEL": "WARNING",
                # High enough never to refuse: what is measured is the counting, not the 429s.
                "GATEWAY_RATE_LIMIT_PRINCIPAL": "10000000/minute",
            }
            procs.append(uvicorn("jiuzhu_staffing.app:create", svc, env, quiet=True))
            procs.append(
                uvicorn(
                    "jiuzhu_gateway.app:create",
                    local,
                    {**env, "GATEWAY_RATE_LIMIT_POLICY": "local"},
                    quiet=True,
                )
            )
            procs.append(
                uvicorn(
                    "jiuzhu_gateway.app:create",
                    cluster,
                    {**env, "GATEWAY_RATE_LIMIT_POLICY": "cluster"},
                    quiet=True,
                )
            )
            wait_ready([f"http://127.0.0.1:{p}/healthz" for p in (svc, local, cluster)])
            token = issue_token(
                KitSettings(JWT_SECRET=SECRET, DATABASE_URL=""), "bench", ["bureau"], "350802"
            )
            auth = {"Authorization": f"Bearer {token}"}
            targets = {
                "local": f"http://127.0.0.1:{local}/api/staffing/nonexistent",
                "cluster": f"http://127.0.0.1:{cluster}/api/staffing/nonexistent",
            }
            _measure(targets, CONNECTIONS, auth, 1)  # warm-up
            got = _measure(targets, CONNECTIONS, auth, ROUNDS)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
    lo, cl = got["local"][0], got["cluster"][0]
    c = f"{CONNECTIONS} conns, {tool}"
    return [
        row(f"gateway, per-process limiter ({c})", lo, "req/s"),
        row(f"gateway, shared limiter ({c})", cl, "req/s", lo, "≥ 0.90 of per-process", cl / lo >= 0.9),
        row("gateway median latency, per-process limiter", got["local"][1], "ms"),
        row("gateway median latency, shared limiter", got["cluster"][1], "ms", got["local"][1]),
    ]


if __name__ == "__main__":
    print_table(main(), "shared vs per-process rate limiter")
