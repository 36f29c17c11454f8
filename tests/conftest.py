"""Fixtures of the cross-service tests (the root conftest.py loads jiuzhu_devtools.testing)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
import pytest_asyncio

from jiuzhu_devtools.testing import service_client
from tests.fuzzing import SERVICES, make_app


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def clients(database_url: str) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Every service's app in-process on the test database (rate limits opened up), by name."""
    # Services ask each other (evaluation → procurement's contracts; staffing → procurement's roster
    # and evaluation's assessments): wire each to the in-process peer app. (Procurement's calls to
    # evaluation are exercised through the LiveStack stories.)
    peers = {"evaluation": ("procurement",), "staffing": ("procurement", "evaluation")}
    apps: dict[str, Any] = {}
    for s in SERVICES:
        env = {f"{p.upper()}_SERVICE_URL": f"http://{p}" for p in peers.get(s.name, ())}
        apps[s.name] = make_app(s.name, database_url, **env)
    for name, wanted in peers.items():
        if name in apps:
            apps[name].state.peer_transports = {
                p: httpx.ASGITransport(app=apps[p], raise_app_exceptions=False) for p in wanted if p in apps
            }
    async with AsyncExitStack() as stack:
        yield {name: await stack.enter_async_context(service_client(app)) for name, app in apps.items()}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fuzzers' reach (test_fuzz_openapi.py, test_fuzz_gateway.py): operations that answered a 2xx."""
    from tests.fuzzing import SUMMARY

    for line in SUMMARY:
        terminalreporter.write_line(line)
