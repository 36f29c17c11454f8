"""Cold and warm start of `make run`, and memory of each process at rest and under load.

Cold: a fresh data folder (initdb, migrations, reference data, four processes ready).
Warm: the same folder again (the everyday second `make run`). Memory is each process's RSS,
against a bare uvicorn hello-world app measured in the same run. Uses ports 8000 and 8101-8103.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

from bench.common import print_table, row
from jiuzhu_devtools.testing import free_port

READY_LINE = "Jiuzhu is running."
PORTS = (8000, 8101, 8102, 8103)


def _port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _start_run(data: Path) -> tuple[subprocess.Popen[str], float]:
    env = {**os.environ, "JIUZHU_DATA_DIR": str(data), "JIUZHU_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jiuzhu_devtools.run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if READY_LINE in line:
            return proc, time.perf_counter() - start
        if proc.poll() is not None:
            break
    raise RuntimeError("make run did not become ready")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


def _rss_by_role(proc: subprocess.Popen[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for child in psutil.Process(proc.pid).children(recursive=True):
        cmd = " ".join(child.cmdline())
        for role in ("jiuzhu_staffing", "jiuzhu_procurement", "jiuzhu_evaluation", "jiuzhu_gateway"):
            if role in cmd:
                out[role.removeprefix("jiuzhu_")] = child.memory_info().rss / 2**20
    return out


def _load(n: int) -> None:
    from jiuzhu_kit.auth import issue_token
    from jiuzhu_kit.settings import KitSettings

    # Several callers: the gateway limits each token subject (1,200/minute by default).
    tokens = [issue_token(KitSettings(), f"bench-{k}", ["bureau"], "440103") for k in range(8)]
    # Token routes (published reads like /packs are limited per client address instead).
    paths = ["/api/staffing/scenarios", "/api/evaluation/templates", "/api/procurement/projects", "/healthz"]
    for i in range(n):
        req = urllib.request.Request(f"http://127.0.0.1:8000{paths[i % len(paths)]}")
        req.add_header("Authorization", f"Bearer {tokens[i % len(tokens)]}")
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()


def _bare_uvicorn_rss() -> float:
    port = free_port()
    code = "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/')\nasync def hello():\n    return {'hello': 'world'}\n"
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "hello_app.py").write_text(code)
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "hello_app:app", "--port", str(port), "--log-level", "warning"],
            cwd=tmp,
        )
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)
            return float(psutil.Process(proc.pid).memory_info().rss / 2**20)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> list[dict[str, Any]]:
    busy = [p for p in PORTS if _port_busy(p)]
    if busy:
        print(f"ports {busy} are in use (is `make run` running?); skipping start-up benchmark")
        return []
    rows: list[dict[str, Any]] = []
    bare = _bare_uvicorn_rss()
    with tempfile.TemporaryDirectory(prefix="jiuzhu-bench-") as tmp:
        data = Path(tmp)
        proc, cold = _start_run(data)
        _stop(proc)
        proc, warm = _start_run(data)
        try:
            rest = _rss_by_role(proc)
            _load(2000)
            loaded = _rss_by_role(proc)
        finally:
            _stop(proc)
    rows.append(row("make run, cold (fresh data folder)", cold, "s", warm, "warm = reference"))
    rows.append(row("make run, warm (existing data)", warm, "s"))
    for role in sorted(rest):
        rows.append(row(f"RSS at rest: {role}", rest[role], "MiB", bare, "bare uvicorn = reference"))
        rows.append(
            row(
                f"RSS after 2,000 requests: {role}",
                loaded.get(role, 0.0),
                "MiB",
                rest[role],
                "at rest = reference",
            )
        )
    return rows


if __name__ == "__main__":
    print_table(main(), "start-up and memory")
