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
    async with AsyncExitStack() as stack:
        yield {
            s.name: await stack.enter_async_context(service_client(make_app(s.name, database_url)))
            for s in SERVICES
        }


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fuzzers' reach (test_fuzz_openapi.py, test_fuzz_gateway.py): operations that answered a 2xx."""
    from tests.fuzzing import SUMMARY

    for line in SUMMARY:
        terminalreporter.write_line(line)
