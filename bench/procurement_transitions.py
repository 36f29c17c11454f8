"""Project transitions per second: through the API vs the same SQL run directly with asyncpg.

Run: `.venv/bin/python -m bench.procurement_transitions` (server from BENCH_DATABASE_URL, else
TEST_DATABASE_URL, else the machine's Postgres on 127.0.0.1:5432; a scratch database is created and
dropped). Both sides move distinct projects bidding_closed → qualification_review with 16 concurrent
clients. One transition = BEGIN, lock the row (SELECT … FOR UPDATE), update it, append the
hash-chained audit event (read the chain head, insert; the row lock serialises the chain, as in the
kit's `AuditLog.append(row_locked=True)`), COMMIT: the statements the API sends, in the same order.
The API additionally parses HTTP, authenticates the JWT, checks the body (strict JSON, schema),
role/jurisdiction/table, renders the project, logs and counts the request, and commits before
answering. It serves this route as a lean route (jiuzhu_kit.lean: the kit's request pipeline
without FastAPI's routing and dependency solving, on the kit's bare asyncpg write pool), which is
how the service runs by default; a second server with `PROCUREMENT_LEAN_ROUTES=false` (every
request through the FastAPI route) is measured in the same rounds, for reference.
Each API runs as a real uvicorn server on loopback (2 workers, one per core; BENCH_WORKERS to change),
driven by 16 keep-alive HTTP/1.1 connections on plain asyncio streams. API and direct rounds
alternate (3 × 1,000 each by default) and the medians are reported, to damp the noise of a shared
2-core machine.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import statistics
import subprocess
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from bench.common import SECRET, RawHTTP, print_table, row, scratch_database, stop, uvicorn
from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.testing import free_port

N = int(os.environ.get("BENCH_TRANSITIONS", "1000"))  # per side and round
ROUNDS = 3  # alternate API and direct rounds; medians damp a noisy shared machine
CONCURRENCY = 16
DIV = "640181"


async def _seed(dsn: str, n: int) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        plan = await conn.fetchval(
            "INSERT INTO procurement.purchase_plan (id, division_code, year, title, status, budget_lines, total,"
            " created_by, version) VALUES ($1, $2, 2024, 'bench', 'approved', '[]', 0, 'bench', 1)"
            " ON CONFLICT (division_code, year) DO UPDATE SET title = EXCLUDED.title RETURNING id",
            uuid.uuid4(),
            DIV,
        )
        ids = [uuid.uuid4() for _ in range(n)]
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
            ],
            records=[
                (
                    i,
                    plan,
                    DIV,
                    "bench",
                    "service_contract",
                    '["AS01"]',
                    100000,
                    "working_funds",
                    date(2024, 1, 2),
                    "bidding_closed",
                    "open_tender",
                    1,
                    "bench",
                    1,
                )
                for i in ids
            ],
        )
        return [str(i) for i in ids]
    finally:
        await conn.close()


def _hash(prev: str, fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(prev.encode() + b"\n" + body).hexdigest()


async def _direct(dsn: str, ids: list[str]) -> float:
    """The API's statements, in one transaction per transition, from a 16-connection asyncpg pool."""
    pool = await asyncpg.create_pool(dsn, min_size=CONCURRENCY, max_size=CONCURRENCY)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in ids:
        queue.put_nowait(i)

    async def one(conn: asyncpg.Connection, pid: str) -> None:
        async with conn.transaction():
            r = await conn.fetchrow("SELECT * FROM procurement.project WHERE id = $1::uuid FOR UPDATE", pid)
            assert r is not None and r["status"] == "bidding_closed"
            await conn.execute(
                "UPDATE procurement.project SET status = $2, version = version + 1, updated_at = now() "
                "WHERE id = $1::uuid",
                pid,
                "qualification_review",
            )
            last = await conn.fetchrow(
                "SELECT seq, hash FROM procurement.audit_event WHERE aggregate_type = 'project' "
                "AND aggregate_id = $1 ORDER BY seq DESC LIMIT 1",
                pid,
            )
            seq, prev = (last["seq"] + 1, last["hash"]) if last else (1, "0" * 64)
            data = {k: str(v) for k, v in dict(r).items()}
            after = {**data, "status": "qualification_review", "version": str(r["version"] + 1)}
            changes = {k: [data.get(k), after[k]] for k in after if data.get(k) != after[k]}
            at = datetime.now(UTC)
            fields = {
                "aggregate_type": "project",
                "aggregate_id": pid,
                "seq": seq,
                "action": "project.start_qualification_review",
                "actor": "bench",
                "actor_roles": "bureau",
                "jurisdiction": DIV,
                "request_id": None,
                "reason": None,
                "occurred_at": at.isoformat(),
                "data": after,
                "changes": changes,
            }
            await conn.execute(
                "INSERT INTO procurement.audit_event (aggregate_type, aggregate_id, seq, action, actor, actor_roles,"
                " jurisdiction, request_id, reason, occurred_at, data, changes, prev_hash, hash)"
                " VALUES ('project', $1, $2, $3, 'bench', 'bureau', $4, NULL, NULL, $5, $6::jsonb, $7::jsonb, $8, $9)",
                pid,
                seq,
                fields["action"],
                DIV,
                at,
                json.dumps(after),
                json.dumps(changes),
                prev,
                _hash(prev, fields),
            )

    async def worker() -> None:
        async with pool.acquire() as conn:
            while not queue.empty():
                await one(conn, queue.get_nowait())

    t = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - t
    await pool.close()
    return len(ids) / elapsed


async def _client(host: str, port: int, token: str) -> Any:
    conn = await RawHTTP.open(host, port)
    body = b'{"to":"qualification_review"}'
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def post(pid: str) -> int:
        path = f"/projects/{pid}/transitions"
        return (await conn.send(conn.head("POST", path, headers, body) + body))[0]

    return post, conn


async def _api(host: str, port: int, token: str, ids: list[str]) -> tuple[float, int]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in ids:
        queue.put_nowait(i)
    bad = 0
    clients = [await _client(host, port, token) for _ in range(CONCURRENCY)]

    async def worker(post: Any) -> None:
        nonlocal bad
        while not queue.empty():
            bad += await post(queue.get_nowait()) != 200

    try:
        t = time.perf_counter()
        await asyncio.gather(*(worker(post) for post, _ in clients))
        return len(ids) / (time.perf_counter() - t), bad
    finally:
        for _, conn in clients:
            conn.close()


def main() -> list[dict[str, Any]]:
    from jiuzhu_kit.auth import issue_token
    from jiuzhu_kit.settings import KitSettings

    ports = free_port(), free_port()
    procs: list[subprocess.Popen[bytes]] = []
    with scratch_database("proc", ["jiuzhu_procurement"]) as url:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "JWT_SECRET": SECRET,
            "JIUZHU_ENVIRONMENT": "test",
            "PROCUREMENT_LOG_LEVEL": "WARNING",
            "PROCUREMENT_DB_POOL_SIZE": str(CONCURRENCY),
        }
        try:
            warm = [asyncio.run(_seed(dsn, 400)) for _ in ports]
            batches = [[asyncio.run(_seed(dsn, N)) for _ in range(3)] for _ in range(ROUNDS)]
            # One worker per core, as deployed; the second server is the same service with its lean
            # routes off (every request through FastAPI), for reference.
            workers = int(os.environ.get("BENCH_WORKERS", "2"))
            for port, lean in zip(ports, ("true", "false"), strict=True):
                procs.append(
                    uvicorn(
                        "jiuzhu_procurement.app:create",
                        port,
                        {**env, "PROCUREMENT_LEAN_ROUTES": lean},
                        workers=workers,
                    )
                )
            wait_ready([f"http://127.0.0.1:{port}/readyz" for port in ports])
            token = issue_token(KitSettings(JWT_SECRET=SECRET, DATABASE_URL=""), "bench", ["bureau"], DIV)
            # Warm-up: connections, prepared statements, both workers.
            for port, ids in zip(ports, warm, strict=True):
                asyncio.run(_api("127.0.0.1", port, token, ids))
            apis, fastapis, directs, bad = [], [], [], 0
            for api_ids, fastapi_ids, sql_ids in batches:
                a, b = asyncio.run(_api("127.0.0.1", ports[0], token, api_ids))
                apis.append(a)
                bad += b
                a, b = asyncio.run(_api("127.0.0.1", ports[1], token, fastapi_ids))
                fastapis.append(a)
                bad += b
                directs.append(asyncio.run(_direct(dsn, sql_ids)))
            ratios = sorted(a / d for a, d in zip(apis, directs, strict=True))
            api, direct, ratio = statistics.median(apis), statistics.median(directs), ratios[len(ratios) // 2]
        finally:
            for proc in procs:
                stop(proc)
    return [
        row(
            f"project transitions through the API ({ROUNDS}×{N}, {CONCURRENCY} clients, {bad} non-200; "
            f"median ratio of rounds {ratio:.2f})",
            api,
            "/s",
            direct,
            ">= 0.5 × direct",
            ratio >= 0.5 and bad == 0,
        ),
        row(
            "  the same with lean routes off (FastAPI route)",
            statistics.median(fastapis),
            "/s",
            direct,
            "",
            None,
        ),
        row("same SQL directly with asyncpg (reference)", direct, "/s", None, "", None),
    ]


if __name__ == "__main__":
    print_table(main(), "procurement transitions")
