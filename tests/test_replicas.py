"""Two replicas of everything behave like one: two gateways, two replicas of each service, one Postgres.

Gateway i routes to replica i of every service (LiveStack(replicas=2)), so a request sent to the
other gateway also meets the other replica of the service.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator

import asyncpg
import httpx
import pytest

from jiuzhu_devtools.testing import LiveStack, asyncpg_dsn, audit_chains, fresh_database, test_today

LIMIT = 120  # per minute, per principal, over both gateways
ERROR = 0.05  # the cluster policy's bound (README): at most LIMIT × (1 + ERROR) in one window
NOTIFY_BOUND = 1.0  # seconds: a revoked key is refused on the other gateway within this
COUNTY = "441521"  # 海丰县 (Guangdong)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """This module's own database: the suite's session stacks (live_stack, the gateway's fault_stack)
    keep their gateways and workers on the shared one, and here two replicas must be alone on theirs —
    the shared limiter counts the gateways it sees, and the connection count counts every process."""
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def pair(database_url: str) -> Iterator[LiveStack]:
    stack = LiveStack(
        database_url,
        {
            "GATEWAY_RATE_LIMIT_PRINCIPAL": f"{LIMIT}/minute",
            "GATEWAY_RATE_LIMIT_CLUSTER_ERROR": str(ERROR),
            # A key's cache outlives the test: a refusal in time can only come from the NOTIFY.
            "GATEWAY_API_KEY_CACHE_SECONDS": "600",
        },
        replicas=2,
    )
    try:
        stack.wait_ready(timeout=240)  # eight processes starting at once on a shared 2-core machine
        yield stack
    finally:
        stack.close()


async def _live_gateways(database_url: str, n: int) -> None:
    """Both gateways have announced themselves to the shared limiter (they heartbeat every 2 s)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        for _ in range(100):
            if await conn.fetchval("SELECT count(*) FROM gateway.rate_limit_replica") >= n:
                await asyncio.sleep(2.5)  # and each has counted the other
                return
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    raise AssertionError("the gateways never synced their rate limits")


async def test_a_limit_holds_across_both_gateways(
    pair: LiveStack, database_url: str, auth: Callable[..., dict[str, str]]
) -> None:
    await _live_gateways(database_url, 2)
    if time.time() % 60 > 30:  # the whole burst in one fixed window (the sliding estimate is exact there)
        await asyncio.sleep(61 - time.time() % 60)
    h = auth("bureau", COUNTY, sub=f"burst-{uuid.uuid4().hex[:8]}")
    async with httpx.AsyncClient(timeout=10) as c:
        sem = asyncio.Semaphore(16)

        async def one(i: int) -> int:
            async with sem:
                r = await c.get(f"{pair.gateways[i % 2]}/api/procurement/projects", headers=h)
                return r.status_code

        codes = await asyncio.gather(*(one(i) for i in range(2 * LIMIT + 60)))
    admitted = sum(1 for code in codes if code == 200)
    assert set(codes) == {200, 429}
    assert LIMIT <= admitted <= LIMIT * (1 + ERROR), admitted
    # Both gateways admitted a share: the limit is one limit, not one per gateway.
    per_gateway = [sum(1 for i, code in enumerate(codes) if code == 200 and i % 2 == g) for g in (0, 1)]
    assert min(per_gateway) > 0 and sum(per_gateway) == admitted


async def test_a_key_revoked_on_one_gateway_is_refused_on_the_other(
    pair: LiveStack, auth: Callable[..., dict[str, str]]
) -> None:
    one, other = pair.gateways
    admin = auth("admin", "440000")
    async with httpx.AsyncClient(timeout=10) as c:
        r = await c.post(
            f"{one}/api/gateway/api-keys",
            json={"name": "省级平台", "roles": ["bureau"], "division": COUNTY},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        key, key_uuid = r.json()["key"], r.json()["id"]
        for g in (one, other):  # each gateway has looked the key up and caches it (600 s)
            r = await c.get(f"{g}/api/procurement/projects", headers={"X-API-Key": key})
            assert r.status_code == 200, r.text
        r = await c.post(
            f"{one}/api/gateway/api-keys/{key_uuid}/revoke", json={"reason": "泄露"}, headers=admin
        )
        assert r.status_code == 200 and r.json()["revoked_at"], r.text
        revoked = time.monotonic()
        r = await c.get(f"{one}/api/procurement/projects", headers={"X-API-Key": key})
        assert r.status_code == 401 and r.json()["code"] == "API_KEY_INVALID"
        while True:
            r = await c.get(f"{other}/api/procurement/projects", headers={"X-API-Key": key})
            took = time.monotonic() - revoked
            if r.status_code == 401:
                break
            assert r.status_code == 200 and took < NOTIFY_BOUND, (r.status_code, took)
            await asyncio.sleep(0.005)
        assert r.json()["code"] == "API_KEY_INVALID"
        assert took < NOTIFY_BOUND


async def _plan(
    c: httpx.AsyncClient, gateway: str, h: dict[str, str], key: str | None = None, div: str = COUNTY
) -> httpx.Response:
    body = {
        "division_code": div,
        "year": test_today().year,
        "title": "年度购买社会救助服务计划",
        "budget_lines": [
            {"funding_source": "working_funds", "amount": "5000000.00", "scope": "社会救助经办服务"}
        ],
    }
    headers = {**h, "Idempotency-Key": key} if key else h
    return await c.post(f"{gateway}/api/procurement/plans", json=body, headers=headers)


async def test_one_idempotency_key_on_two_replicas_is_one_write(
    pair: LiveStack, database_url: str, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("bureau", "441500")  # 汕尾市: one plan a year for the city and each county (else 409)
    async with httpx.AsyncClient(timeout=10) as c:
        for div in ("441500", "441502", "441521", "441523", "441581"):  # both at once: one write
            key = uuid.uuid4().hex
            a, b = await asyncio.gather(*(_plan(c, g, h, key, div) for g in pair.gateways))
            assert (a.status_code, b.status_code) == (201, 201), (a.text, b.text)
            assert a.json()["id"] == b.json()["id"]
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        assert await conn.fetchval("SELECT count(*) FROM procurement.purchase_plan") == 5
        created = await conn.fetchval(
            "SELECT count(*) FROM procurement.audit_event WHERE aggregate_type = 'plan' AND seq = 1"
        )
        assert created == 5
    finally:
        await conn.close()


async def test_two_replicas_racing_one_transition_give_one_success(
    pair: LiveStack, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("bureau", COUNTY)
    finance = auth("finance", COUNTY)
    one, other = pair.gateways
    async with httpx.AsyncClient(timeout=10) as c:
        plan = (await _plan(c, one, h)).json()["id"]
        for to in ("submitted", "approved"):
            who = h if to == "submitted" else finance
            r = await c.post(f"{one}/api/procurement/plans/{plan}/transitions", json={"to": to}, headers=who)
            assert r.status_code == 200, r.text
        body = {
            "plan_id": plan,
            "division_code": COUNTY,
            "title": "购买社会救助经办服务",
            "purchase_form": "service_contract",
            "items": ["AS01", "AS02"],
            "budget": "100000.00",
            "funding_source": "working_funds",
        }
        r = await c.post(f"{other}/api/procurement/projects", json=body, headers=h)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]

        async def approve(gateway: str) -> httpx.Response:
            return await c.post(
                f"{gateway}/api/procurement/projects/{pid}/transitions",
                json={"to": "approved"},
                headers=finance,
            )

        results = await asyncio.gather(*(approve(g) for g in (one, other) * 4))
        assert sorted(r.status_code for r in results) == [200] + [409] * 7
        assert {r.json()["code"] for r in results if r.status_code == 409} == {"TRANSITION_NOT_ALLOWED"}
        events = (await c.get(f"{one}/api/procurement/projects/{pid}/events", headers=h)).json()
        assert len(events) == 2 and events[1]["changes"]["status"] == ["declared", "approved"]
        assert (await c.get(f"{other}/api/procurement/projects/{pid}/events/verify", headers=h)).json()["ok"]


async def test_the_changes_feed_through_both_replicas_shows_each_change_once(
    pair: LiveStack, database_url: str, auth: Callable[..., dict[str, str]]
) -> None:
    """Writers go through both gateways (so both replicas of procurement write) while a consumer
    pages the merged feed, each page from the other gateway (the other replica of every service):
    every change arrives exactly once, each plan's revisions in order, and the copy ends equal to
    the audit log."""
    admin = auth("admin", "000000", sub="replica-sync")
    divisions = ["440103", "440104", "440105", "440106", "440111", "640104", "640105", "640106"]
    seen: dict[tuple[str, str, str], int] = {}
    problems: list[str] = []
    cursor: str | None = None
    pages = 0
    async with httpx.AsyncClient(timeout=30) as c:

        async def page() -> int:
            nonlocal cursor, pages
            params: dict[str, str | int] = {"limit": 7}
            if cursor:
                params["cursor"] = cursor
            r = await c.get(f"{pair.gateways[pages % 2]}/api/changes", params=params, headers=admin)
            assert r.status_code == 200, r.text
            pages += 1
            body = r.json()
            for ch in body["items"]:
                key = (ch["service"], ch["aggregate_type"], ch["aggregate_id"])
                if ch["revision"] != seen.get(key, 0) + 1:
                    problems.append(f"{key}: revision {ch['revision']} after {seen.get(key, 0)}")
                seen[key] = ch["revision"]
            cursor = body["next_cursor"]
            return len(body["items"])

        async def writer(i: int, div: str) -> None:
            h = auth("bureau", div)
            r = await _plan(c, pair.gateways[i % 2], h, div=div)
            assert r.status_code == 201, r.text
            plan = r.json()["id"]
            r = await c.post(  # the next revision through the other gateway and replica
                f"{pair.gateways[(i + 1) % 2]}/api/procurement/plans/{plan}/transitions",
                json={"to": "submitted"},
                headers=h,
            )
            assert r.status_code == 200, r.text

        writers = asyncio.ensure_future(asyncio.gather(*(writer(i, d) for i, d in enumerate(divisions))))
        while not writers.done():
            await page()
            await asyncio.sleep(0.02)
        await writers
        while await page():  # drain what committed after the last page
            pass
    assert pages > 2 and not problems, problems
    source = {
        ("procurement", kind, agg): events[-1]["seq"]
        for kind, chains in (await audit_chains(database_url, "procurement")).items()
        if kind == "plan"
        for agg, events in chains.items()
    }
    assert len(source) == len(divisions)
    assert {k: v for k, v in seen.items() if k[1] == "plan"} == source
    assert set(source.values()) == {2}  # created, submitted: both seen, once each


async def test_each_replica_holds_the_dedicated_connections_the_k8s_sum_counts(
    pair: LiveStack, database_url: str
) -> None:
    """tests/test_deploy_k8s.py adds up connections at full scale-out with a table of what each worker
    holds outside its pools; here the two replicas of every process hold exactly that (the documents
    sweep aside: a test process on the shared local store does not start it)."""
    from tests.test_deploy_k8s import DEDICATED

    await _live_gateways(database_url, 2)  # both shared limiters are syncing by now
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await conn.fetch(
            "SELECT application_name, count(*) AS n FROM pg_stat_activity"
            " WHERE datname = current_database() GROUP BY 1"
        )
    finally:
        await conn.close()
    held = {r["application_name"]: r["n"] for r in rows}
    expected = {
        f"{component}-{suffix}": 2
        for component, suffixes in DEDICATED.items()
        for suffix in suffixes
        if suffix != "documents-sweep"
    }
    assert {name: held.get(name, 0) for name in expected} == expected, held
    # Nothing else outside the pools (`<component>` and the lean write pools, `<component>-write`).
    pools = set(DEDICATED) | {f"{c}-write" for c in DEDICATED}
    others = {
        n
        for n in held
        if n not in expected
        and n not in pools
        and n.split("-")[0] in {"gateway", "staffing", "procurement", "evaluation"}
    }
    assert not others, held
