"""`uvicorn --workers 2` per service: requests spread over both workers, and /metrics — whichever
worker answers it — counts every request of both (Prometheus multiprocess mode)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from jiuzhu_devtools.run import service_env, wait_ready
from jiuzhu_devtools.services import UVICORN_HTTP
from jiuzhu_devtools.testing import SUITE_CLOCK, TEST_SECRET, free_port

SAMPLE = re.compile(r'^http_requests_total\{[^}]*route="/healthz"[^}]*status="200"[^}]*\} ([0-9.e+]+)$', re.M)


def test_two_workers_answer_and_their_metrics_add_up(database_url: str) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="jiuzhu-prom-") as prom:
        env = {
            **service_env(database_url),
            "JWT_SECRET": TEST_SECRET,
            "JIUZHU_ENVIRONMENT": "test",
            "JIUZHU_CLOCK": SUITE_CLOCK,
            "EVALUATION_LOG_LEVEL": "WARNING",
            "PROMETHEUS_MULTIPROC_DIR": prom,
        }
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--http", UVICORN_HTTP, "--workers", "2", "--no-access-log", "--log-level", "warning"]
        proc = subprocess.Popen([*cmd, "jiuzhu_evaluation.app:create"], env={**os.environ, **env})
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready([f"{base}/readyz"], 240)
            n = 60
            for _ in range(n):  # a new connection each: the kernel hands them to either worker
                with httpx.Client(base_url=base, timeout=10) as c:
                    assert c.get("/healthz").status_code == 200
            workers = {f.name.split("_")[-1] for f in Path(prom).glob("counter_*.db")}
            assert len(workers) == 2, workers  # both answered some
            for _ in range(4):  # every scrape, from either worker, sees all n
                with httpx.Client(base_url=base, timeout=10) as c:
                    text = c.get("/metrics").text
                assert sum(float(v) for v in SAMPLE.findall(text)) == n, text[:2000]
        finally:
            proc.terminate()
            proc.wait(timeout=30)
