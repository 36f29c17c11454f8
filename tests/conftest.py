"""Fixtures of the cross-service tests (the root conftest.py loads jiuzhu_devtools.testing)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
import pytest_asyncio

from jiuzhu_devtools.testing import service_client
from tests.fuzzing import SERVICES, make_app


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def clients(database_url: str) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Every service's app in-process on the test database (rate limits opened up), by name."""
    # Evaluation asks procurement about contracts: wire it to the in-process procurement app.
    peer_urls = {"evaluation": {"PROCUREMENT_SERVICE_URL": "http://procurement"}}
    apps = {s.name: make_app(s.name, database_url, **peer_urls.get(s.name, {})) for s in SERVICES}
    apps["evaluation"].state.peer_transports = {
        "procurement": httpx.ASGITransport(app=apps["procurement"], raise_app_exceptions=False)
    }
    async with AsyncExitStack() as stack:
        yield {name: await stack.enter_async_context(service_client(app)) for name, app in apps.items()}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fuzzers' reach (test_fuzz_openapi.py, test_fuzz_gateway.py): operations that answered a 2xx."""
    from tests.fuzzing import SUMMARY

    for line in SUMMARY:
        terminalreporter.write_line(line)
