"""A second live stack for the gateway's fault tests: its evaluation route points at our own fake
upstream (hung answers, echo, slow streams), with short timeouts, a quick breaker and low limits."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.testing import LiveStack, free_port

HERE = Path(__file__).parent

FAULT_ENV = {
    "GATEWAY_TIMEOUT_EVALUATION": "2",
    "GATEWAY_TIMEOUT_PUBLIC": "1",
    "GATEWAY_BREAKER_FAILURES": "3",
    "GATEWAY_BREAKER_RESET_SECONDS": "2",
    "GATEWAY_RATE_LIMIT_PUBLIC": "5/minute",
    "GATEWAY_RATE_LIMIT_PUBLIC_WRITE": "2/minute",
    "GATEWAY_RATE_LIMIT_PRINCIPAL": "8/minute",
    "GATEWAY_RATE_LIMIT_PORTAL": "12/minute",
    "GATEWAY_RATE_LIMIT_API_KEY_FAILURES": "3/minute",
    "GATEWAY_CORS_ORIGINS": '["https://portal.example"]',
}


class FaultStack(LiveStack):
    fake_url: str


@pytest.fixture(scope="session")
def fault_stack(database_url: str) -> Iterator[FaultStack]:
    port = free_port()
    fake = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(HERE),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "fake_upstream:app",
        ]
    )
    fake_url = f"http://127.0.0.1:{port}"
    stack = FaultStack(database_url, {**FAULT_ENV, "GATEWAY_UPSTREAM_EVALUATION": fake_url})
    stack.fake_url = fake_url
    try:
        wait_ready([f"{fake_url}/healthz"])
        stack.wait_ready()
        yield stack
    finally:
        stack.close()
        fake.terminate()
        fake.wait(timeout=10)
