"""National staffing batch (~2,850 counties, 39,000 townships): in-process vs through the API.

Run: `.venv/bin/python -m bench.staffing_batch`. The API figure is one POST to a real uvicorn
process of the staffing service on loopback (request JSON already encoded; the time covers
sending, parsing, validation, computing, the roll-ups and the response).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from typing import Any

import httpx

from bench.common import SECRET, print_table, row, server_url, stop, uvicorn
from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.testing import free_port

REPEAT = 3


def _median(fn: Any, n: int = REPEAT) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> list[dict[str, Any]]:
    from jiuzhu_kit.auth import issue_token
    from jiuzhu_kit.settings import KitSettings
    from jiuzhu_staffing.batch.sample import national_counties
    from jiuzhu_staffing.batch.schemas import BatchRequest
    from jiuzhu_staffing.batch.service import run_batch
    from jiuzhu_staffing.packs.registry import default_registry
    from jiuzhu_staffing.regions.known import known

    counties = national_counties()
    townships = sum(len(c["townships"]) for c in counties)
    payload = {"on": "2019-06-01", "pack": "gd-city-plan", "counties": counties}
    reg, k = default_registry(), known()
    parsed = BatchRequest.model_validate(payload)
    run_batch(reg, parsed, k)  # warm-up
    compute = _median(lambda: run_batch(reg, parsed, k))
    parse_compute = _median(lambda: run_batch(reg, BatchRequest.model_validate(payload), k))
    own_packs = BatchRequest.model_validate({**payload, "pack": None})
    mixed = _median(lambda: run_batch(reg, own_packs, k))

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": server_url(),
        "JWT_SECRET": SECRET,
        "JIUZHU_ENVIRONMENT": "test",
        "STAFFING_LOG_LEVEL": "WARNING",
    }
    proc = uvicorn("jiuzhu_staffing.app:create", port, env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready([f"{base}/healthz"])
        token = issue_token(KitSettings(JWT_SECRET=SECRET, DATABASE_URL=""), "bench", ["auditor"], "000000")
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with httpx.Client(timeout=60) as client:

            def call() -> None:
                r = client.post(f"{base}/calculations/batch", content=body, headers=headers)
                assert r.status_code == 200, r.text[:500]
                assert r.json()["national"]["townships"] == townships

            call()  # warm-up
            api = _median(call)
    finally:
        stop(proc)

    rows = [
        row(
            f"in-process compute + roll-ups ({len(counties)} counties, {townships} townships)",
            compute * 1000,
            "ms",
            None,
            "< 1000 ms",
            compute < 1.0,
        ),
        row(
            "in-process parse (pydantic) + compute",
            parse_compute * 1000,
            "ms",
            compute * 1000,
            "< 1000 ms",
            parse_compute < 1.0,
        ),
        row("in-process, each county's own pack in force", mixed * 1000, "ms", compute * 1000, "", None),
        row(
            f"through the API (one POST, {len(body) / 1e6:.1f} MB JSON)",
            api * 1000,
            "ms",
            compute * 1000,
            "< 5000 ms",
            api < 5.0,
        ),
    ]
    return rows


if __name__ == "__main__":
    print_table(main(), "staffing batch (ratio = value / in-process compute)")
