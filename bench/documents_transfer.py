"""A 100 MiB document up and down, through the gateway and direct to the service, and the memory
the transfer costs each process (issue 15).

Run: `.venv/bin/python -m bench.documents_transfer` (≈ 1–2 min; loopback only). Database server as
the other benchmarks (bench/common.py: a scratch database migrated for procurement + gateway).

One uvicorn worker for procurement (documents on a local store in a temporary directory), one for
the gateway. The client streams the upload from a file in 1 MiB chunks with its Content-Length and
reads the download in chunks, discarding them, so neither side holds the file. Each upload sends
other bytes (content addressing would store the same bytes once and skip the write). Direct and
gateway are interleaved, ROUNDS rounds, best taken (the machine is shared and noisy). The RSS of
each server process is sampled every 20 ms from /proc while it transfers; growth = the peak minus
the RSS just before. Bars: gateway ≥ 0.8 × direct MiB/s both ways; growth < 20 MiB per process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.common import SECRET, print_table, row, scratch_database, uvicorn
from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.testing import free_port
from jiuzhu_kit.auth import issue_token
from jiuzhu_kit.settings import KitSettings

MIB = 1024 * 1024
SIZE = int(os.environ.get("BENCH_DOCUMENTS_MIB", "100")) * MIB
ROUNDS = int(os.environ.get("BENCH_DOCUMENTS_ROUNDS", "2"))
DIV = "640181"


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Peak:
    """The highest RSS of some processes while a transfer runs (sampled on a thread)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.before = {k: _rss(p) for k, p in pids.items()}
        self.peak = dict(self.before)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for k, p in self.pids.items():
                self.peak[k] = max(self.peak[k], _rss(p))
            time.sleep(0.02)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()

    def growth(self) -> dict[str, float]:
        return {k: (self.peak[k] - self.before[k]) / MIB for k in self.pids}


def _payload(path: Path, salt: int) -> None:
    """A PDF-shaped file of SIZE bytes, different for each salt."""
    block = os.urandom(MIB)
    with path.open("wb") as f:
        f.write(b"%PDF-1.7\n%" + str(salt).encode() + b"\n")
        written = f.tell()
        while written < SIZE - 7:
            n = min(MIB, SIZE - 7 - written)
            f.write(block[:n])
            written += n
        f.write(b"\n%%EOF\n")


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(MIB):
            yield chunk


def _upload(base: str, plan: str, path: Path, headers: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    with httpx.Client(timeout=300) as c:
        r = c.post(
            f"{base}/plans/{plan}/documents",
            params={"document_type": "procurementPlan", "title": "bench"},
            content=_chunks(path),
            headers=headers | {"Content-Type": "application/pdf", "Content-Length": str(path.stat().st_size)},
        )
    elapsed = time.perf_counter() - start
    assert r.status_code == 201, r.text
    return elapsed, str(r.json()["url"])


def _download(base: str, url: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    n = 0
    with httpx.Client(timeout=300) as c, c.stream("GET", f"{base}{url}", headers=headers) as r:
        assert r.status_code == 200, r.status_code
        for chunk in r.iter_raw(MIB):
            n += len(chunk)
    assert n == SIZE, n
    return time.perf_counter() - start


def main() -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="jiuzhu-bench-docs-"))
    procs: list[subprocess.Popen[bytes]] = []
    up: dict[str, list[float]] = {"direct": [], "gateway": []}
    down: dict[str, list[float]] = {"direct": [], "gateway": []}
    growth: dict[str, float] = {"gateway": 0.0, "procurement": 0.0}
    with scratch_database("docs", ["jiuzhu_procurement", "jiuzhu_gateway"]) as url:
        try:
            svc, gw = free_port(), free_port()
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "JWT_SECRET": SECRET,
                "JIUZHU_ENVIRONMENT": "test",
                "PROCUREMENT_LOG_LEVEL": "WARNING",
                "PROCUREMENT_DOCUMENTS_DIR": str(tmp / "store"),
                "PROCUREMENT_DOCUMENTS_MAX_BYTES": str(SIZE + MIB),
                "GATEWAY_UPSTREAM_PROCUREMENT": f"http://127.0.0.1:{svc}",
                "GATEWAY_LOG_LEVEL": "WARNING",
                "GATEWAY_RATE_LIMIT_PRINCIPAL": "10000000/minute",
            }
            procs.append(uvicorn("jiuzhu_procurement.app:create", svc, env, quiet=True))
            procs.append(uvicorn("jiuzhu_gateway.app:create", gw, env, quiet=True))
            wait_ready([f"http://127.0.0.1:{svc}/healthz", f"http://127.0.0.1:{gw}/healthz"])
            settings = KitSettings(JWT_SECRET=SECRET, DATABASE_URL="")
            auth = {"Authorization": f"Bearer {issue_token(settings, 'bench', ['bureau'], DIV)}"}
            bases = {"direct": f"http://127.0.0.1:{svc}", "gateway": f"http://127.0.0.1:{gw}/api/procurement"}
            body = {
                "division_code": DIV,
                "year": 2019,
                "title": "bench",
                "budget_lines": [{"funding_source": "working_funds", "amount": "1.00", "scope": "bench"}],
            }
            r = httpx.post(f"{bases['direct']}/plans", json=body, headers=auth, timeout=30)
            assert r.status_code == 201, r.text
            plan = r.json()["id"]
            pids = {"procurement": procs[0].pid, "gateway": procs[1].pid}
            files = [tmp / f"payload-{i}.pdf" for i in range(2 * ROUNDS + 1)]
            for i, f in enumerate(files):
                _payload(f, i)
            _, warm = _upload(bases["direct"], plan, files[-1], auth)  # warm-up: imports, pools
            _download(bases["direct"], warm, auth)
            n = 0
            for _ in range(ROUNDS):
                for target, base in bases.items():
                    with Peak(pids) as peak:
                        t, doc = _upload(base, plan, files[n], auth)
                        n += 1
                        up[target].append(SIZE / MIB / t)
                        down[target].append(
                            SIZE / MIB / _download(base, doc.removeprefix("/api/procurement"), auth)
                        )
                    for k, v in peak.growth().items():
                        growth[k] = max(growth[k], v)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
            shutil.rmtree(tmp, ignore_errors=True)
    mib = SIZE // MIB
    du, gu, dd, gd = max(up["direct"]), max(up["gateway"]), max(down["direct"]), max(down["gateway"])
    return [
        row(f"direct upload {mib} MiB", du, "MiB/s"),
        row(f"gateway upload {mib} MiB", gu, "MiB/s", du, "≥ 0.8 of direct", gu / du >= 0.8),
        row(f"direct download {mib} MiB", dd, "MiB/s"),
        row(f"gateway download {mib} MiB", gd, "MiB/s", dd, "≥ 0.8 of direct", gd / dd >= 0.8),
        row(
            "gateway RSS growth during transfers",
            growth["gateway"],
            "MiB",
            None,
            "< 20 MiB",
            growth["gateway"] < 20,
        ),
        row(
            "procurement RSS growth during transfers",
            growth["procurement"],
            "MiB",
            None,
            "< 20 MiB",
            growth["procurement"] < 20,
        ),
    ]


if __name__ == "__main__":
    print_table(main(), f"documents: {SIZE // MIB} MiB through the gateway vs direct")
