"""Webhook deliveries to a local receiver (records issue): throughput, commit → delivery latency,
and whether a receiver that hangs slows the service's requests.

Run: `python -m jiuzhu_devtools.testdb -- python -m bench.webhook_delivery` (a scratch database
migrated for procurement, dropped afterwards; the service runs as a real uvicorn process with its
sender inside, as in production).

1,000 projects are copied in (bench.procurement_lists' seed) and an integration of the city registers
an endpoint for `bench.*` at a receiver in this process (a raw asyncio HTTP server answering 204).
Events about those projects are then committed into the audit log at BENCH_HOOK_RATE a second (1,250:
above the bar, so the figure is not capped by the offer) for BENCH_HOOK_SECONDS (5), in transactions of 50 (the outbox trigger enqueues them in the same
transaction); the receiver notes when each `webhook-id` arrives. The receiver is nginx when it is
installed (answers 204, logs each `webhook-id` with its time), else, or with
BENCH_HOOK_RECEIVER=python, a Python one in this process: that one shares a core with the writes
and limits the figure from about 1,000/s on the shared 2-core machine (BENCH_HOOK_RATE=2000: nginx
≈1,850/s, Python ≈930/s). Figures: deliveries per second
from the first commit to the last arrival (target ≥ 1,000/s) and commit → delivery p99 (≤ 2 s).
Then a second endpoint whose receiver accepts connections and never answers gets the same traffic
at BENCH_HOOK_HANG_RATE (1,000/s),
while a client measures `GET /projects?limit=50` on the service: its p50 is compared with the
p50 before any webhook traffic (target: unchanged within noise, ratio ≤ 1.25), and with the p50
during the same writes of events no endpoint wants (`bench.none`: committed, put in the outbox
and fanned out, nothing sent), which separates what the hang adds from what the writes cost on a
2-core machine.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import procurement_lists
from bench.common import SECRET, RawHTTP, print_table, row, scratch_database, stop, uvicorn
from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.testing import free_port

# Offered above the bar, so the figure is the sender's rate (the last event's latency included),
# not the offer; the hang is measured at the bar's 1,000/s.
RATE = int(os.environ.get("BENCH_HOOK_RATE", "1250"))
HANG_RATE = int(os.environ.get("BENCH_HOOK_HANG_RATE", "1000"))
RECEIVER = os.environ.get("BENCH_HOOK_RECEIVER") or ("nginx" if shutil.which("nginx") else "python")
SECONDS = float(os.environ.get("BENCH_HOOK_SECONDS", "5"))
TX = 50  # events per committed transaction
PROJECTS = 1000
SEQ_BASE = {"ok": 1_000, "hang": 1_000_000, "none": 2_000_000}


class Receiver:
    """A minimal HTTP/1.1 receiver: reads each request, answers 204 (or never, `hang=True`)."""

    def __init__(self, hang: bool = False) -> None:
        self.hang = hang
        self.arrived: dict[str, float] = {}
        self.port = free_port()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", self.port)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                await reader.readexactly(int(headers.get("content-length", "0")))
                if self.hang:
                    await asyncio.sleep(3600)
                self.arrived.setdefault(headers.get("webhook-id", ""), time.time())
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        self.server.close()


class Nginx:
    """nginx as the receiver: 204 to everything, each request's `webhook-id` and time in its log
    (wall clock, ms), read as it grows."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
        self.arrived: dict[str, float] = {}
        self.read = 0
        self.launch()

    def launch(self) -> None:
        d = self.dir
        (d / "nginx.conf").write_text(
            f"""
            worker_processes 1; daemon off; pid {d}/nginx.pid; error_log {d}/error.log warn;
            events {{ worker_connections 4096; }}
            http {{
              log_format hook '$http_webhook_id $msec';
              access_log off; client_body_temp_path {d}/body;
              keepalive_requests 10000000; keepalive_timeout 120s;
              server {{
                listen 127.0.0.1:{self.port};
                location = /ready {{ return 200; }}
                location / {{ access_log {d}/access.log hook buffer=256k flush=50ms; return 204; }}
              }}
            }}
            """
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-c", str(d / "nginx.conf"), "-p", str(d)])
        (d / "access.log").touch()

    async def start(self) -> None:
        await asyncio.to_thread(wait_ready, [f"http://127.0.0.1:{self.port}/ready"], 30)

    def poll(self) -> None:
        with open(self.dir / "access.log", "rb") as f:
            f.seek(self.read)
            chunk = f.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self.read += len(complete)
        for line in complete.decode().splitlines():
            msg_id, _, at = line.partition(" ")
            self.arrived.setdefault(msg_id, float(at))

    async def close(self) -> None:
        stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


async def _commit_events(dsn: str, label: str, rate: int) -> dict[int, float]:
    """Events about the seeded projects at `rate`/s for SECONDS; each event's commit time."""
    conn = await asyncpg.connect(dsn)
    committed: dict[int, float] = {}
    try:
        projects = await conn.fetch("SELECT id, division_code FROM procurement.project LIMIT $1", PROJECTS)
        n = int(rate * SECONDS)
        start = time.perf_counter()
        for batch in range(0, n, TX):
            due = start + batch / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            async with conn.transaction():
                ids = await conn.fetch(
                    """
                    INSERT INTO procurement.audit_event
                        (aggregate_type, aggregate_id, seq, action, actor, actor_roles, jurisdiction,
                         occurred_at, data, prev_hash, hash)
                    SELECT 'project', p.id::text, $4 + g, $1, 'bench', 'bureau', p.division,
                           now(), '{"status": "bench"}'::jsonb, repeat('0', 64), repeat('0', 64)
                    FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS p(id, division, g)
                    RETURNING id
                    """,
                    f"bench.{label}",
                    [projects[(batch + i) % len(projects)]["id"] for i in range(TX)],
                    [projects[(batch + i) % len(projects)]["division_code"] for i in range(TX)],
                    SEQ_BASE[label] + batch,  # one seq per project and event
                )
            now = time.time()
            committed.update({r["id"]: now for r in ids})
        return committed
    finally:
        await conn.close()


async def _latencies(port: int, token: str, count: int) -> list[float]:
    conn = await RawHTTP.open("127.0.0.1", port)
    req = conn.head("GET", "/projects?limit=50", {"Authorization": f"Bearer {token}"})
    out = []
    try:
        for _ in range(count):
            t = time.perf_counter()
            status, body = await conn.send(req)
            out.append((time.perf_counter() - t) * 1000)
            assert status == 200, body[:200]
            await asyncio.sleep(0.01)
        return out
    finally:
        conn.close()


async def _run(svc: int, dsn: str, token: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    base = f"http://127.0.0.1:{svc}"
    ok: Receiver | Nginx = Nginx() if RECEIVER == "nginx" else Receiver()
    hanging = Receiver(hang=True)
    await ok.start()
    await hanging.start()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await _latencies(svc, token, 20)  # warm-up
        before = await _latencies(svc, token, 200)
        r = await client.post(
            "/webhooks/endpoints",
            json={"url": f"http://127.0.0.1:{ok.port}/hooks", "event_types": ["bench.ok"]},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        committed = await _commit_events(dsn, "ok", RATE)
        async with asyncio.timeout(120):
            while len(ok.arrived) < len(committed):
                await asyncio.sleep(0.05)
                if isinstance(ok, Nginx):
                    ok.poll()
        first = min(committed.values())
        last = max(ok.arrived.values())
        rate = len(committed) / (last - first)
        lat = [(ok.arrived[f"msg_procurement_{i}"] - t) * 1000 for i, t in committed.items()]
        p99 = statistics.quantiles(lat, n=100)[98]
        offered = len(committed) / (max(committed.values()) - first)
        rows.append(
            row(
                f"deliveries/s to a local receiver ({RECEIVER}; {len(committed):,} events)",
                rate,
                "deliveries/s",
                offered,
                "≥ 1,000/s",
                rate >= 1000,
            )
        )
        rows.append(row("commit → delivery p99", p99, "ms", statistics.median(lat), "≤ 2000 ms", p99 <= 2000))

        # The same writes, which no endpoint wants (outbox and fan-out, nothing to send): what the
        # hang below is compared with, to see what a hanging receiver adds beyond the writes.
        writes = asyncio.create_task(_commit_events(dsn, "none", HANG_RATE))
        await asyncio.sleep(0.5)
        quiet = await _latencies(svc, token, 200)
        await writes

        r = await client.post(
            "/webhooks/endpoints",
            json={"url": f"http://127.0.0.1:{hanging.port}/hooks", "event_types": ["bench.hang"]},
            headers=headers,
        )
        assert r.status_code == 201, r.text
        writes = asyncio.create_task(_commit_events(dsn, "hang", HANG_RATE))
        await asyncio.sleep(0.5)
        during = await _latencies(svc, token, 200)
        await writes
        p50, ref = statistics.median(during), statistics.median(before)
        rows.append(
            row(
                "GET /projects p50 while a receiver hangs (reference: before any webhook)",
                p50,
                "ms",
                ref,
                "ratio ≤ 1.25",
                p50 <= 1.25 * ref,
            )
        )
        quiet_p50 = statistics.median(quiet)
        rows.append(
            row(
                "GET /projects p50 while a receiver hangs (reference: the same writes, none sent)",
                p50,
                "ms",
                quiet_p50,
                "ratio ≤ 1.25",
                p50 <= 1.25 * quiet_p50,
            )
        )
    await ok.close()
    await hanging.close()
    return rows


def main() -> list[dict[str, Any]]:
    from jiuzhu_kit.auth import issue_token
    from jiuzhu_kit.settings import KitSettings

    svc = free_port()
    proc: subprocess.Popen[bytes] | None = None
    with scratch_database("hooks", ["jiuzhu_procurement"]) as url:
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "JWT_SECRET": SECRET,
            "JIUZHU_ENVIRONMENT": "test",
            "PROCUREMENT_LOG_LEVEL": "WARNING",
            "JIUZHU_WEBHOOK_POLL_SECONDS": os.environ.get("JIUZHU_WEBHOOK_POLL_SECONDS", "0.05"),
            "JIUZHU_WEBHOOK_TIMEOUT_SECONDS": "5",
        }
        try:
            procurement_lists.N = PROJECTS
            asyncio.run(procurement_lists._seed(dsn))
            proc = uvicorn("jiuzhu_procurement.app:create", svc, env, quiet=True)
            wait_ready([f"http://127.0.0.1:{svc}/readyz"], timeout=300)
            settings = KitSettings(JWT_SECRET=SECRET, DATABASE_URL="")
            token = issue_token(settings, "bench-integration", ["bureau"], procurement_lists.CITY)
            return asyncio.run(_run(svc, dsn, token))
        finally:
            stop(proc)


if __name__ == "__main__":
    print_table(main(), "webhook deliveries")
