from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio

from jiuzhu_devtools.seeds import EVIDENCE as EVIDENCE
from jiuzhu_devtools.seeds import FULL_MARKS as FULL_MARKS
from jiuzhu_devtools.seeds import LINGWU_PARTIES
from jiuzhu_devtools.seeds import STAFF_GOOD as STAFF_GOOD
from jiuzhu_devtools.seeds import TOWNSHIP_SHEET as TOWNSHIP_SHEET
from jiuzhu_devtools.testing import TEST_SECRET, service_client, test_today
from jiuzhu_evaluation.app import create
from jiuzhu_evaluation.settings import Settings
from jiuzhu_evaluation.template.builtin import builtin_id

LINGWU = "640181"  # 灵武市 (seed 002)
USCC = "91640181MA7F3K2P1X"
COMPREHENSIVE = str(builtin_id("social-assistance-comprehensive"))
# Shared with the whole-story tests and `make demo` (jiuzhu_devtools.seeds); the test files take
# them from here: EVIDENCE, FULL_MARKS (full marks on the comprehensive template), TOWNSHIP_SHEET,
# STAFF_GOOD (a qualified annual staff assessment).
RECIPIENT_VALUES = {"overall_satisfaction": "5", "service_attitude": "5"}


@pytest_asyncio.fixture(loop_scope="session")
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(DATABASE_URL=database_url, JWT_SECRET=TEST_SECRET, JIUZHU_ENVIRONMENT="test")
    async with service_client(create(settings)) as c:
        yield c


def round_body(**over: Any) -> dict[str, Any]:
    """Lingwu-style half-yearly round: bureau, township, recipients (seed 002 六(二))."""
    body: dict[str, Any] = {
        "contract_id": str(uuid.uuid4()),
        "period_kind": "half_yearly",
        "period": "2019-H1",
        "contractor_uscc": USCC,
        "purchaser_division": LINGWU,
        "template_id": COMPREHENSIVE,
        "parties": copy.deepcopy(LINGWU_PARTIES),  # a copy: tests change the weights
    }
    body.update(over)
    return body


@pytest.fixture
def make_round_body() -> Callable[..., dict[str, Any]]:
    return round_body


@pytest.fixture
def open_round(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def make(**over: Any) -> dict[str, Any]:
        r = await client.post("/rounds", json=round_body(**over), headers=auth("bureau", LINGWU))
        assert r.status_code == 201, r.text
        return dict(r.json())

    return make


@pytest.fixture
def survey_with_codes(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> Callable[..., Awaitable[tuple[str, list[str]]]]:
    async def make(round_id: str, n: int, **over: Any) -> tuple[str, list[str]]:
        body = {"round_id": round_id, **over}
        r = await client.post("/surveys", json=body, headers=auth("bureau", LINGWU))
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        c = await client.post(f"/surveys/{sid}/codes", json={"count": n}, headers=auth("bureau", LINGWU))
        assert c.status_code == 201, c.text
        return sid, c.json()["codes"]

    return make


@pytest_asyncio.fixture(loop_scope="session")
async def calendar_ready(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    """Publication counts the appeal window on the kit calendar; near year end it needs next year."""

    nxt = test_today().year + 1
    if (await client.get(f"/calendar/{nxt}")).status_code != 200:
        body = {"notice": "test: New Year only", "holidays": [{"date": f"{nxt}-01-01", "name": "元旦"}]}
        r = await client.put(f"/admin/calendar/{nxt}", json=body, headers=auth("admin", "000000"))
        assert r.status_code == 200, r.text
