from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from jiuzhu_devtools.testing import TEST_SECRET, service_client
from jiuzhu_staffing.app import create
from jiuzhu_staffing.settings import Settings


@pytest_asyncio.fixture(loop_scope="session")
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(DATABASE_URL=database_url, JWT_SECRET=TEST_SECRET, JIUZHU_ENVIRONMENT="test")
    async with service_client(create(settings)) as c:
        yield c
