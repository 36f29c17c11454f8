"""The changes feed through the gateway (issue 14): a synchroniser keeps a copy of every aggregate.

Four clients write through the gateway (plans in two counties, scenarios, indicator templates)
while a consumer pages `GET /api/changes?expand=true` and applies each change to its copy; a fifth
transaction writes a plan's change early and commits late (after dozens of later writes have
committed). The copy must end equal to the source — every aggregate's latest revision and its
data — and each aggregate's revisions must arrive exactly once, in order (1, 2, 3, … without a
gap or a repeat). An id-ordered feed would skip the late commit: the consumer reads past its id
while it is still open.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx

from jiuzhu_devtools.testing import LiveStack, asyncpg_dsn, audit_chains, test_today
from jiuzhu_kit.audit import SYSTEM, AuditLog
from jiuzhu_procurement.db import kit as procurement_kit
from tests.fuzzing.world import template_body
from tests.stories import Walk, uscc

LINES = [{"funding_source": "assistance_subsidy_funds", "amount": "300000.00", "scope": "入户核查"}]
COUNTY = {"division_code": "440103", "townships": [{"name": "甲镇", "assisted_households": 301}]}
FEED_TYPES = {
    "procurement": {"project", "challenge", "complaint", "plan", "contract", "payment", "contractor"}
    | {"debarment", "expert"},
    "staffing": {"scenario", "compliance_report"},
    "evaluation": {"evaluation_round", "survey", "staff_assessment", "indicator_template"},
}
GUANGZHOU = ["440103", "440104", "440105", "440106", "440111"]
YINCHUAN = ["640104", "640105", "640106", "640121", "640122"]
Key = tuple[str, str, str]  # service, aggregate type, id


async def _source(database_url: str) -> dict[Key, tuple[int, Any]]:
    """Every aggregate's latest revision and data, straight from each service's audit log."""
    out: dict[Key, tuple[int, Any]] = {}
    for service, kinds in FEED_TYPES.items():
        for kind, chains in (await audit_chains(database_url, service)).items():
            if kind in kinds:
                for agg_id, events in chains.items():
                    out[(service, kind, agg_id)] = (events[-1]["seq"], events[-1]["data"])
    return out


class Consumer:
    """A synchroniser: pages the merged feed and applies each change to its copy."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers
        self.cursor: str | None = None
        self.copy: dict[Key, tuple[int, Any]] = {}
        self.problems: list[str] = []
        self.pages = 0

    async def page(self) -> int:
        params: dict[str, Any] = {"expand": "true", "limit": 25}
        if self.cursor:
            params["cursor"] = self.cursor
        r = await self.client.get("/api/changes", params=params, headers=self.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        self.pages += 1
        for ch in body["items"]:
            key = (ch["service"], ch["aggregate_type"], ch["aggregate_id"])
            had = self.copy.get(key, (0, None))[0]
            if ch["revision"] != had + 1:
                self.problems.append(f"{key}: revision {ch['revision']} after {had}")
            self.copy[key] = (ch["revision"], ch["aggregate"])
        self.cursor = body["next_cursor"]
        return len(body["items"])

    async def drain(self) -> None:
        while await self.page():
            pass


async def test_a_synchroniser_copies_every_aggregate_exactly_once_under_concurrent_writers(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    year = test_today().year
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=30) as client:
        walk = Walk(client, token)
        late_plan = await walk.plan("310104", year, LINES, "徐汇区（长事务）购买服务计划")
        consumer = Consumer(client, walk.h("admin", "000000", sub="provincial-sync"))
        await consumer.drain()
        assert consumer.copy[("procurement", "plan", late_plan)][0] == 3  # created, submitted, approved

        async def plans(divs: list[str]) -> None:  # one plan per purchaser and year
            for div in divs:
                await walk.plan(div, year, LINES, f"{div} 购买服务计划")

        async def scenarios(n: int) -> None:
            for i in range(n):
                body = {
                    "division_code": "440103",
                    "name": f"测算-{i}",
                    "inputs": {"on": "2019-06-01", "county": COUNTY},
                }
                await walk.call(
                    "POST", "/api/staffing/scenarios", ("bureau", "440103"), json=body, expect=201
                )

        async def templates(n: int) -> None:
            stamp = int(time.time() * 1000)
            for i in range(n):
                body = template_body(f"feed-{stamp}-{i}")
                await walk.call(
                    "POST", "/api/evaluation/templates", ("bureau", "640181"), json=body, expect=201
                )

        async def late_writer(started: asyncio.Event, release: asyncio.Event) -> tuple[int, int]:
            """A transaction that writes the plan's next change first and commits last."""
            con = await asyncpg.connect(asyncpg_dsn(database_url))
            try:
                tx = con.transaction()
                await tx.start()
                await con.execute(
                    "UPDATE procurement.purchase_plan SET title = $2 WHERE id = $1::uuid",
                    late_plan,
                    "改名（长事务）",
                )
                await AuditLog(procurement_kit.audit).append(
                    con,
                    aggregate_type="plan",
                    aggregate_id=late_plan,
                    action="plan.renamed",
                    actor=SYSTEM,
                    data={"id": late_plan, "title": "改名（长事务）"},
                    jurisdiction="310104",
                )
                mine = await con.fetchval("SELECT max(id) FROM procurement.audit_event")
                started.set()
                await release.wait()
                await tx.commit()
                return int(mine), int(
                    await con.fetchval("SELECT count(*) FROM procurement.audit_event WHERE id > $1", mine)
                )
            finally:
                await con.close()

        started, release = asyncio.Event(), asyncio.Event()
        late = asyncio.create_task(late_writer(started, release))
        await started.wait()
        stop = asyncio.Event()

        async def consume() -> None:
            while not stop.is_set():
                if not await consumer.page():
                    await asyncio.sleep(0.05)

        reader = asyncio.create_task(consume())
        writers = asyncio.gather(plans(GUANGZHOU), plans(YINCHUAN), scenarios(12), templates(12))
        await asyncio.sleep(1.5)  # the others commit while the early transaction stays open
        release.set()
        late_id, committed_after = await late
        await writers
        stop.set()
        await reader
        assert committed_after > 0  # later ids committed before it: an id cursor would have passed it

        source = await _source(database_url)
        deadline = time.monotonic() + 10
        while True:
            await consumer.drain()
            if consumer.copy == source or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        assert consumer.problems == []
        missing = sorted(set(source) - set(consumer.copy))
        assert missing == []
        stale = [k for k in source if consumer.copy[k] != source[k]]
        assert stale == []
        assert consumer.copy == source
        assert consumer.copy[("procurement", "plan", late_plan)] == (
            4,
            {"id": late_plan, "title": "改名（长事务）"},
        )
        assert len([k for k in source if k[1] == "plan"]) == 11
        assert len([k for k in source if k[1] == "scenario"]) == 12
        assert len([k for k in source if k[1] == "indicator_template"]) == 12
        assert late_id > 0


async def test_the_feed_is_scoped_by_each_aggregates_read_policy(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    year = test_today().year
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=30) as client:
        walk = Walk(client, token)
        liwan = await walk.plan("440103", year, LINES, "荔湾区购买服务计划")
        lingwu = await walk.plan("640181", year, LINES, "灵武市购买服务计划")
        code = uscc("52", "440103", 10)
        await walk.register(code, "荔湾区测试社工服务社", "440103")

        async def feed(who: tuple[str, ...], path: str = "/api/changes", **params: Any) -> httpx.Response:
            role, div, *org = who
            return await client.get(
                path,
                params={"expand": "true", "limit": 1000, **params},
                headers=walk.h(role, div, org=org[0] if org else None),
            )

        r = await feed(("bureau", "440103"))
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        plans = {i["aggregate_id"] for i in items if i["aggregate_type"] == "plan"}
        assert plans == {liwan}
        assert {i["division"] for i in items if i["aggregate_type"] == "plan"} == {"440103"}
        assert [i["revision"] for i in items if i["aggregate_id"] == liwan] == [1, 2, 3]
        assert [i["event"] for i in items if i["aggregate_id"] == liwan] == [
            "plan.created",
            "plan.submit",
            "plan.approve",
        ]
        contractor = [i for i in items if i["aggregate_type"] == "contractor"]
        assert [c["aggregate"]["legal_representative"] for c in contractor] == ["张建国"]

        # The registry is national, its personal data masked for a portal (contractor policy).
        r = await feed(("portal", "640181"))
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert {i["aggregate_type"] for i in items} == {"contractor"}
        assert [i["aggregate"]["legal_representative"] for i in items] == ["张**"]
        assert lingwu not in r.text

        # A role that reads none of a service's aggregates: 403 from that service's feed.
        r = await feed(("contractor", "440103", code), "/api/staffing/changes")
        assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")
        r = await feed(("bureau", "440103"), "/api/procurement/changes", cursor="not-a-cursor")
        assert (r.status_code, r.json()["code"]) == (400, "CURSOR_INVALID")
        r = await feed(("bureau", "440103"), cursor="not-a-cursor")
        assert (r.status_code, r.json()["code"]) == (400, "CURSOR_INVALID")
        assert json.loads(r.text)["status"] == 400


async def test_postgres_writes_a_change_as_python_does(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    """A page mixes changes Postgres decides and writes (plans: their policy decides on the
    jurisdiction alone) with changes Python decides (contractors): both carry the position and the
    time exactly as jiuzhu_kit.feed writes them from the audit row, and the same fields."""
    from jiuzhu_kit.feed import _iso, position

    year = test_today().year
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=30) as client:
        walk = Walk(client, token)
        plan = await walk.plan("440103", year, LINES, "荔湾区购买服务计划")
        await walk.register(uscc("52", "440103", 11), "荔湾区测试社工服务社二", "440103")
        r = await client.get(
            "/api/procurement/changes", params={"limit": 1000}, headers=walk.h("bureau", "440103")
        )
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        # `expand=0` is declined by the lean route (jiuzhu_kit.feed.changes_lean_route): the FastAPI
        # route, the reference, answers it — with the same bytes.
        ref = await client.get(
            "/api/procurement/changes",
            params={"limit": 1000, "expand": "0"},
            headers=walk.h("bureau", "440103"),
        )
        assert (ref.status_code, ref.content) == (200, r.content)
        bad = await client.get(
            "/api/procurement/changes", params={"limit": 1001}, headers=walk.h("bureau", "440103")
        )
        assert (bad.status_code, bad.json()["code"]) == (422, "REQUEST_INVALID")
    con = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        events = {
            (e["aggregate_type"], e["aggregate_id"], e["seq"]): e
            for e in await con.fetch(
                "SELECT id, xid, aggregate_type, aggregate_id, seq, occurred_at FROM procurement.audit_event"
            )
        }
    finally:
        await con.close()
    kinds = {i["aggregate_type"] for i in items}
    assert {"plan", "contractor"} <= kinds, kinds
    assert any(i["aggregate_id"] == plan for i in items)
    for i in items:
        e = events[(i["aggregate_type"], i["aggregate_id"], i["revision"])]
        assert i["position"] == position(e["xid"], e["id"])
        assert i["occurred_at"] == _iso(e["occurred_at"])
        assert list(i) == [
            "position",
            "aggregate_type",
            "aggregate_id",
            "revision",
            "event",
            "occurred_at",
            "division",
            "aggregate",
        ]
