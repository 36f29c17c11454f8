"""A list page of 50 with filters on 100,000 projects, through the gateway (records issue: p50 ≤ 20 ms).

Run: `.venv/bin/python -m bench.procurement_lists` (database server as the other benchmarks: a
scratch database migrated for procurement + gateway, dropped afterwards). 100,000 projects (BENCH_
LIST_PROJECTS) are copied in over 20 counties of one city, 5 plan years and 6 statuses; a city
auditor's token pages `GET /api/procurement/projects` with the filters a bureau uses (a county's
subtree and a status; a plan year and words of the title; the first page and a page deep in the
cursor), one request at a time on one keep-alive connection. The same requests straight to the
service are the reference (the gateway's share is the ratio).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import asyncpg

from bench.common import SECRET, RawHTTP, print_table, row, scratch_database, stop, uvicorn
from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.testing import free_port

N = int(os.environ.get("BENCH_LIST_PROJECTS", "100000"))
REQUESTS = int(os.environ.get("BENCH_LIST_REQUESTS", "200"))  # per query and side
CITY = "640100"
COUNTIES = [f"6401{n:02d}" for n in range(1, 21)]
YEARS = [2022, 2023, 2024, 2025, 2026]
STATUSES = ["declared", "approved", "announced", "awarded", "contract_signed", "closed"]


async def _seed(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        plans = {}
        for div in COUNTIES:
            for y in YEARS:
                plans[div, y] = uuid.uuid4()
        await conn.copy_records_to_table(
            "purchase_plan",
            schema_name="procurement",
            columns=[
                "id",
                "division_code",
                "year",
                "title",
                "status",
                "budget_lines",
                "total",
                "created_by",
                "version",
            ],
            records=[
                (pid, d, y, f"{y} 年度计划", "approved", "[]", 0, "bench", 1) for (d, y), pid in plans.items()
            ],
        )
        start = datetime(2022, 1, 1, tzinfo=UTC)
        records = []
        for i in range(N):
            div, y = COUNTIES[i % len(COUNTIES)], YEARS[(i // len(COUNTIES)) % len(YEARS)]
            title = "购买社会救助经办服务" if i % 7 else "困难群众探访关爱服务"
            records.append(
                (
                    uuid.uuid4(),
                    plans[div, y],
                    div,
                    title,
                    "service_contract",
                    '["AS01"]',
                    100000,
                    "working_funds",
                    date(y, 1, 1) + timedelta(days=i % 300),
                    STATUSES[i % len(STATUSES)],
                    "open_tender",
                    1,
                    "bench",
                    1,
                    start + timedelta(seconds=i),
                )
            )
        await conn.copy_records_to_table(
            "project",
            schema_name="procurement",
            columns=[
                "id",
                "plan_id",
                "division_code",
                "title",
                "purchase_form",
                "items",
                "budget",
                "funding_source",
                "declared_on",
                "status",
                "method",
                "round",
                "created_by",
                "version",
                "created_at",
            ],
            records=records,
        )
        await conn.execute("ANALYZE procurement.project; ANALYZE procurement.purchase_plan")
    finally:
        await conn.close()


async def _latencies(port: int, prefix: str, token: str, query: dict[str, str], deep: bool) -> list[float]:
    conn = await RawHTTP.open("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        path = f"{prefix}/projects?{urlencode(query)}"
        if deep:  # a page some way down: follow the cursor 20 pages first
            for _ in range(20):
                status, body = await conn.send(conn.head("GET", path, headers))
                nxt = json.loads(body)["next_cursor"]
                path = f"{prefix}/projects?{urlencode({**query, 'cursor': nxt})}"
        request = conn.head("GET", path, headers)
        for _ in range(20):  # warm-up
            await conn.send(request)
        out = []
        for _ in range(REQUESTS):
            t = time.perf_counter()
            status, body = await conn.send(request)
            out.append((time.perf_counter() - t) * 1000)
            assert status == 200, body[:300]
        return out
    finally:
        conn.close()


def main() -> list[dict[str, Any]]:
    from jiuzhu_kit.auth import issue_token
    from jiuzhu_kit.settings import KitSettings

    svc, gw = free_port(), free_port()
    procs: list[subprocess.Popen[bytes]] = []
    rows: list[dict[str, Any]] = []
    with scratch_database("lists", ["jiuzhu_procurement", "jiuzhu_gateway"]) as url:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "JWT_SECRET": SECRET,
            "JIUZHU_ENVIRONMENT": "test",
            "PROCUREMENT_LOG_LEVEL": "WARNING",
            "GATEWAY_LOG_LEVEL": "WARNING",
            "GATEWAY_UPSTREAM_PROCUREMENT": f"http://127.0.0.1:{svc}",
            "GATEWAY_RATE_LIMIT_PRINCIPAL": "10000000/minute",
        }
        try:
            t = time.perf_counter()
            asyncio.run(_seed(dsn))
            print(f"   seeded {N:,} projects in {time.perf_counter() - t:.1f}s", flush=True)
            procs.append(uvicorn("jiuzhu_procurement.app:create", svc, env, quiet=True))
            procs.append(uvicorn("jiuzhu_gateway.app:create", gw, env, quiet=True))
            wait_ready([f"http://127.0.0.1:{svc}/readyz", f"http://127.0.0.1:{gw}/healthz"], timeout=300)
            token = issue_token(KitSettings(JWT_SECRET=SECRET, DATABASE_URL=""), "bench", ["auditor"], CITY)
            queries = {
                "county + status, first page": (
                    {"division_code": "640105", "status": "announced", "limit": "50"},
                    False,
                ),
                "plan year + title words, first page": ({"year": "2024", "q": "探访", "limit": "50"}, False),
                "county + status, page 21": (
                    {"division_code": "640105", "status": "announced", "limit": "50"},
                    True,
                ),
            }
            for name, (q, deep) in queries.items():
                direct = asyncio.run(_latencies(svc, "", token, q, deep))
                through = asyncio.run(_latencies(gw, "/api/procurement", token, q, deep))
                p50, ref = statistics.median(through), statistics.median(direct)
                rows.append(row(f"{name}: p50 through the gateway", p50, "ms", ref, "≤ 20 ms", p50 <= 20))
        finally:
            for p in procs:
                stop(p)
    return rows


if __name__ == "__main__":
    print_table(main(), f"a list page of 50 with filters on {N:,} projects")
