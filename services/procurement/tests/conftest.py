from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from jiuzhu_devtools.testing import TEST_SECRET, announce_clock, asyncpg_dsn, service_client, test_today
from jiuzhu_procurement.app import create
from jiuzhu_procurement.contractor.uscc import make
from jiuzhu_procurement.settings import Settings

LINGWU = "640181"  # 灵武市 (Ningxia)
GD_COUNTY = "441521"  # 海丰县, 汕尾市 (Guangdong)
SH_DISTRICT = "310104"  # 徐汇区 (Shanghai)


@pytest_asyncio.fixture(loop_scope="session")
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        DATABASE_URL=database_url,
        JWT_SECRET=TEST_SECRET,
        JIUZHU_ENVIRONMENT="test",
        documents_dir=tempfile.mkdtemp(prefix="jiuzhu-test-documents-"),  # not the worktree's .data/
    )
    async with service_client(create(settings)) as c:
        yield c


def code(n: int, prefix: str = "91", div: str = LINGWU) -> str:
    """A valid unified social credit code (check character computed per GB 32100-2015)."""
    return make(prefix, div, f"MA{n:07d}")


class Kit:
    """Small `create_*` helpers plus `jump`, which puts an aggregate in any state (like openprocurement's set_status)."""

    def __init__(
        self, client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
    ) -> None:
        self.c = client
        self.auth = auth
        self.dsn = asyncpg_dsn(database_url)
        self.n = 5000

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.dsn)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    async def jump(self, table: str, entity_id: str, **fields: Any) -> None:
        sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(fields, start=2))
        await self.sql(
            f"UPDATE procurement.{table} SET {sets} WHERE id = $1::uuid", entity_id, *fields.values()
        )

    async def contractor(
        self, n: int, *, prefix: str = "91", name: str | None = None, small: bool = False, div: str = LINGWU
    ) -> str:
        c = code(n, prefix, div)
        body = {
            "uscc": c,
            "name": name or f"承接主体{n}",
            "small_enterprise": small,
            "legal_representative": "张三丰",
            "contact_phone": "13812345678",
            "capacities": {
                "facilities": "办公场所 200 平方米",
                "staff_count": 20,
                "skills": ["社会工作"],
                "finance_system": True,
                "governance": True,
                "independent_liability": True,
            },
        }
        r = await self.c.post("/contractors", json=body, headers=self.auth("contractor", div, org=c))
        assert r.status_code == 201, r.text
        return c

    async def plan(
        self,
        div: str,
        year: int,
        amount: str = "5000000.00",
        source: str = "working_funds",
        approve: bool = True,
    ) -> str:
        body = {
            "division_code": div,
            "year": year,
            "title": f"{year} 年度购买社会救助服务计划",
            "budget_lines": [{"funding_source": source, "amount": amount, "scope": "社会救助经办服务"}],
        }
        r = await self.c.post("/plans", json=body, headers=self.auth("bureau", div))
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        if approve:
            await self.tr("plans", pid, "submitted", "bureau", div)
            await self.tr("plans", pid, "approved", "finance", div)
        return str(pid)

    async def tr(
        self,
        kind: str,
        entity_id: str,
        to: str,
        role: str,
        div: str,
        data: dict[str, Any] | None = None,
        reason: str | None = None,
        expect: int = 200,
        at: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        """One transition. `at` is the X-Jiuzhu-Clock of the request ("" for the suite's now); by
        default a project is announced ANNOUNCE_DAYS_BACK days ago, so that its response period
        has run when the test closes bidding today (the rules keep the law's periods)."""
        body: dict[str, Any] = {"to": to}
        if data is not None:
            body["data"] = data
        if reason is not None:
            body["reason"] = reason
        if at is None and kind == "projects" and to == "announced":
            at = announce_clock()
        headers = self.auth(role, div, **kw)
        if at:
            headers["X-Jiuzhu-Clock"] = at
        r = await self.c.post(f"/{kind}/{entity_id}/transitions", json=body, headers=headers)
        assert r.status_code == expect, r.text
        return r

    async def project(
        self,
        div: str,
        plan_id: str,
        *,
        budget: str = "1500000.00",
        form: str = "service_contract",
        items: list[str] | None = None,
        declared_on: date | None = None,
        expect: int = 201,
        source: str = "working_funds",
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "plan_id": plan_id,
            "division_code": div,
            "title": "购买社会救助经办服务",
            "purchase_form": form,
            "items": items or ["AS01", "AS02"],
            "budget": budget,
            "funding_source": source,
        }
        if declared_on:
            body["declared_on"] = declared_on.isoformat()
        r = await self.c.post("/projects", json=body, headers=self.auth("bureau", div))
        assert r.status_code == expect, r.text
        return r

    async def bid(self, project_id: str, uscc: str, price: str, expect: int = 201) -> httpx.Response:
        r = await self.c.post(
            f"/projects/{project_id}/bids",
            json={"uscc": uscc, "price": price},
            headers=self.auth("contractor", LINGWU, org=uscc),
        )
        assert r.status_code == expect, r.text
        return r

    async def to_scoring(
        self,
        div: str,
        *,
        method: str = "open_tender",
        prices: list[str] | None = None,
        small: list[bool] | None = None,
        budget: str = "3000000.00",
        history_weight: str = "0",
        ground: str | None = None,
        approval: str | None = None,
        plan_amount: str = "10000000.00",
    ) -> tuple[str, list[str]]:
        """Declared → approved → announced → bids → qualification → scoring, through the API."""
        prices = prices or ["2800000.00", "2600000.00", "2900000.00"]
        small = small or [False] * len(prices)
        plan = await self.plan(div, test_today().year, amount=plan_amount)
        pid = (await self.project(div, plan, budget=budget)).json()["id"]
        await self.tr("projects", pid, "approved", "finance", div)
        data: dict[str, Any] = {
            "method": method,
            "scoring": {"price_weight": "30", "history_weight": history_weight},
        }
        if ground:
            data["ground"] = ground
        if approval:
            data["approval"] = approval
        if method == "single_source":
            data["publicity_working_days"] = 5
        await self.tr("projects", pid, "announced", "bureau", div, data)
        bids = []
        for price, sm in zip(prices, small, strict=True):
            self.n += 1
            c = await self.contractor(self.n, small=sm)
            bids.append((await self.bid(pid, c, price)).json()["id"])
        await self.tr("projects", pid, "bidding_closed", "bureau", div)
        await self.tr("projects", pid, "qualification_review", "bureau", div)
        for b in bids:
            r = await self.c.post(
                f"/projects/{pid}/bids/{b}/qualification",
                json={"qualified": True},
                headers=self.auth("bureau", div),
            )
            assert r.status_code == 200, r.text
        await self.tr("projects", pid, "scoring", "bureau", div)
        return pid, bids

    async def score(
        self, div: str, pid: str, bids: list[str], marks: list[str], expect: int = 200, panel: int = 5
    ) -> httpx.Response:
        members = [{"id": f"m{i}", "expert": i > 0} for i in range(panel)]
        scores = [
            {"bid_id": b, "member_id": m["id"], "score": mark}
            for b, mark in zip(bids, marks, strict=True)
            for m in members
        ]
        r = await self.c.post(
            f"/projects/{pid}/scoring",
            json={"members": members, "scores": scores},
            headers=self.auth("bureau", div),
        )
        assert r.status_code == expect, r.text
        return r


@pytest_asyncio.fixture(loop_scope="session")
async def kit(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str) -> Kit:
    return Kit(client, auth, database_url)
