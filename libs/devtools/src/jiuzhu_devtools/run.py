"""`make run`: database, migrations, reference data, three services and the gateway; Ctrl-C stops all.

Data lives in `.data/pg` (embedded Postgres) unless DATABASE_URL is set, so a second run keeps it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable

from jiuzhu_devtools.migrate import migrate_all
from jiuzhu_devtools.pg import data_dir, dev_database_url, stop_embedded
from jiuzhu_devtools.services import GATEWAY_PORT, SERVICES, UVICORN_HTTP


def service_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url
    env.setdefault("JIUZHU_ENVIRONMENT", "dev")
    # Published links (OCDS package URIs) name the local gateway unless the caller says otherwise.
    env.setdefault("PROCUREMENT_PUBLIC_BASE_URL", f"http://127.0.0.1:{GATEWAY_PORT}/api/procurement")
    for spec in SERVICES:
        env[f"GATEWAY_UPSTREAM_{spec.schema.upper()}"] = f"http://127.0.0.1:{spec.port}"
        env[f"{spec.schema.upper()}_SERVICE_URL"] = f"http://127.0.0.1:{spec.port}"
    return env


def spawn_all(env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    procs = []
    uv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "--host",
        "127.0.0.1",
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "5",
        "--http",
        UVICORN_HTTP,
    ]
    for spec in SERVICES:
        procs.append(subprocess.Popen([*uv, "--port", str(spec.port), spec.app], env=env))
    procs.append(subprocess.Popen([*uv, "--port", str(GATEWAY_PORT), "jiuzhu_gateway.app:create"], env=env))
    return procs


def wait_ready(urls: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        for url in list(pending):
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        pending.remove(url)
            except OSError:
                pass
        time.sleep(0.3)
    if pending:
        raise RuntimeError(f"not ready after {timeout}s: {pending}")


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


def main(after_ready: Callable[[str], None] | None = None) -> None:
    """Start everything and wait for Ctrl-C. `after_ready(gateway_url)` runs once the system answers
    (`make demo` loads its data there); if it raises, everything is stopped."""
    embedded = not os.environ.get("DATABASE_URL")
    if embedded:
        print("starting embedded PostgreSQL in .data/pg …", flush=True)
    database_url = dev_database_url()
    print("migrating and loading reference data …", flush=True)
    migrate_all(database_url)
    env = service_env(database_url)
    procs = spawn_all(env)
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        wait_ready(
            [f"http://127.0.0.1:{s.port}/readyz" for s in SERVICES]
            + [f"http://127.0.0.1:{GATEWAY_PORT}/healthz"]
        )
        base = f"http://127.0.0.1:{GATEWAY_PORT}"
        print(
            f"""
Jiuzhu is running.
  gateway   {base}
  docs      {base}/docs   (merged OpenAPI: {base}/openapi.json)
  services  """
            + "  ".join(f"{s.name} http://127.0.0.1:{s.port}/docs" for s in SERVICES)
            + f"""
  token     make token ROLE=bureau DIV=350802     (roles: admin bureau township finance auditor contractor evaluator portal)
  try       curl -H "Authorization: Bearer $(make -s token)" {base}/api/staffing/healthz
Ctrl-C stops everything; data is kept in {".data/pg" if embedded else "DATABASE_URL"}.
""",
            flush=True,
        )
        if after_ready is not None:
            after_ready(base)
        while not stopping:
            dead = [p for p in procs if p.poll() is not None]
            if dead:
                print(f"a process exited (code {dead[0].returncode}); stopping", file=sys.stderr)
                break
            time.sleep(0.5)
    finally:
        print("stopping …", flush=True)
        stop_all(procs)
        if embedded:
            stop_embedded(data_dir("run"))
        print("stopped.", flush=True)


if __name__ == "__main__":
    main()
