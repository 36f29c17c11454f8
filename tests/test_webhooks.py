"""Webhooks through the gateway (issue 14), to a real HTTP receiver in this test.

An integration (an API key of 广州市, 440100) registers an endpoint for `plan.*`. Its receiver fails
the first two requests, then accepts: the sender retries with backoff until every change of the
integration's jurisdiction has arrived once, each verified with the `standardwebhooks` verifier
and the endpoint's secret. A plan of another province and a rolled-back write send nothing. The
delivery log shows every attempt; a replay sends the same `webhook-id`s again; an endpoint whose
receiver never answers is disabled after the retry window (6 s in the test stack, a day by
default) and says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from types import SimpleNamespace
from typing import Any

import aiohttp
import asyncpg
import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from jiuzhu_devtools.testing import LiveStack, asyncpg_dsn, free_port, test_today
from jiuzhu_kit.audit import SYSTEM, AuditLog
from jiuzhu_kit.feed import Feed
from jiuzhu_kit.settings import KitSettings, to_async_url
from jiuzhu_kit.webhooks import Sender, TargetRefused, Webhooks, pin
from jiuzhu_procurement.db import kit as procurement_kit
from tests.stories import Walk

LINES = [{"funding_source": "assistance_subsidy_funds", "amount": "300000.00", "scope": "入户核查"}]


class Receiver:
    """A webhook receiver: answers 500 to its first `failures` requests, then 204; keeps what came."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.accepted: list[tuple[dict[str, str], bytes]] = []
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                lifespan="off",
                interface="asgi3",
            )
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/jiuzhu"

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.calls += 1
        status = 500 if self.calls <= self.failures else 204
        if status == 204:
            self.accepted.append(({k.decode(): v.decode() for k, v in scope["headers"]}, body))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def __aenter__(self) -> Receiver:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:  # noqa: ASYNC110 - polling another process
            await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        await self.task


async def _until(check: Callable[[], Any], within: float = 60) -> None:
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - polling another process
            await asyncio.sleep(0.1)


async def _integration(walk: Walk, name: str, division: str) -> dict[str, str]:
    """A provincial system's API key (role bureau, over `division`), as headers."""
    key = await walk.call(
        "POST",
        "/api/gateway/api-keys",
        ("admin", "000000"),
        json={"name": name, "roles": ["bureau"], "division": division},
        expect=201,
    )
    return {"X-API-Key": key["key"]}


@pytest.mark.slow
async def test_webhooks_are_signed_retried_logged_replayed_and_disabled(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    year = test_today().year
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=30) as client, Receiver(2) as rx:
        walk = Walk(client, token)
        h = await _integration(walk, "广州市社会救助信息系统", "440100")
        hooks = "/api/procurement/webhooks/endpoints"

        r = await client.post(hooks, json={"url": "ftp://127.0.0.1/x"}, headers=h)
        assert (r.status_code, r.json()["code"]) == (422, "WEBHOOK_TARGET_REFUSED")
        r = await client.post(hooks, json={"url": rx.url, "event_types": ["plan.*"]}, headers=h)
        assert r.status_code == 201, r.text
        endpoint = r.json()
        assert endpoint["secret"].startswith("whsec_") and endpoint["status"] == "active"

        # A write rolled back after its audit event: its outbox row goes with it.
        con = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            tx = con.transaction()
            await tx.start()
            await AuditLog(procurement_kit.audit).append(
                con,
                aggregate_type="plan",
                aggregate_id="00000000-0000-0000-0000-000000000001",
                action="plan.rolled_back",
                actor=SYSTEM,
                jurisdiction="440103",
            )
            queued = await con.fetchval(
                "SELECT count(*) FROM procurement.webhook_outbox o JOIN procurement.audit_event a"
                " ON a.id = o.event_id WHERE a.action = 'plan.rolled_back'"
            )
            assert queued == 1  # in the writing transaction
            await tx.rollback()
        finally:
            await con.close()

        liwan = await walk.plan("440103", year, LINES, "荔湾区购买服务计划")
        await walk.plan(
            "640181", year, LINES, "灵武市购买服务计划"
        )  # another province: not the integration's
        await _until(lambda: len(rx.accepted) >= 3)
        await asyncio.sleep(1.5)  # anything more that would come (it must not)
        assert rx.calls == 5  # two refused, then three accepted
        verifier = Webhook(endpoint["secret"])
        payloads = []
        for headers, body in rx.accepted:
            payloads.append(verifier.verify(body, headers))
            with pytest.raises(WebhookVerificationError):
                Webhook("whsec_" + "QUJD" * 8).verify(body, headers)
        assert sorted(p["type"] for p in payloads) == ["plan.approve", "plan.created", "plan.submit"]
        assert {p["data"]["aggregate_id"] for p in payloads} == {liwan}
        assert {p["data"]["division"] for p in payloads} == {"440103"}
        assert sorted(p["data"]["revision"] for p in payloads) == [1, 2, 3]
        assert [
            p["data"]["aggregate"]["status"] for p in sorted(payloads, key=lambda p: p["data"]["revision"])
        ] == [
            "draft",
            "submitted",
            "approved",
        ]
        ids = sorted(h["webhook-id"] for h, _ in rx.accepted)
        assert len(set(ids)) == 3 and all(i.startswith("msg_procurement_") for i in ids)

        log = await walk.client.get(f"{hooks}/{endpoint['id']}/deliveries", headers=h)
        assert log.status_code == 200, log.text
        deliveries = log.json()
        assert sorted(d["msg_id"] for d in deliveries) == ids
        assert {d["status"] for d in deliveries} == {"delivered"}
        attempts = [a for d in deliveries for a in d["log"]]
        assert sorted(a["status"] for a in attempts) == [204, 204, 204, 500, 500]
        assert all(a["response_ms"] >= 0 for a in attempts)
        # Another integration does not see this endpoint.
        r = await client.get(
            f"{hooks}/{endpoint['id']}", headers=walk.h("bureau", "440100", sub="someone-else")
        )
        assert (r.status_code, r.json()["code"]) == (404, "WEBHOOK_ENDPOINT_NOT_FOUND")

        # Replay from a point: the same ids again.
        # Events carry the business clock's time (the suite's, not the machine's).
        since = datetime.combine(test_today() - timedelta(days=1), dtime(), tzinfo=UTC).isoformat()
        r = await client.post(f"{hooks}/{endpoint['id']}/replay", json={"since": since}, headers=h)
        assert (r.status_code, r.json()) == (200, {"enqueued": 3})
        await _until(lambda: len(rx.accepted) >= 6)
        assert sorted(h["webhook-id"] for h, _ in rx.accepted[3:]) == ids

        # A receiver that never answers: retried for the window, then the endpoint is disabled.
        dead = f"http://127.0.0.1:{free_port()}/hooks"
        r = await client.post(hooks, json={"url": dead, "event_types": ["plan.created"]}, headers=h)
        gone = r.json()["id"]
        await walk.call("POST", "/api/procurement/plans", ("bureau", "440104"), json={
            "division_code": "440104", "year": year, "title": "海珠区购买服务计划", "budget_lines": LINES,
        }, expect=201)  # fmt: skip

        async def state() -> dict[str, Any]:
            out: dict[str, Any] = (await client.get(f"{hooks}/{gone}", headers=h)).json()
            return out

        async with asyncio.timeout(60):
            while (s := await state())["status"] != "disabled":  # noqa: ASYNC110 - polling another process
                await asyncio.sleep(0.3)
        assert "failed for 6 s" in s["disabled_reason"] and "Cannot connect to host" in s["disabled_reason"]
        failed = (await client.get(f"{hooks}/{gone}/deliveries", headers=h)).json()
        assert [d["status"] for d in failed] == ["failed"]
        assert failed[0]["attempts"] >= 3 and all(a["status"] is None for a in failed[0]["log"])
        assert json.loads(rx.accepted[-1][1])["type"] == "plan.created"  # the live endpoint got it too

        # Turned on again once the receiver is fixed.
        r = await client.post(f"{hooks}/{gone}/enable", headers=h)
        assert (r.status_code, r.json()["status"]) == (200, "active"), r.text
        # Every service offers the same endpoints (jiuzhu_kit.webhooks_api).
        for prefix in ("staffing", "evaluation"):
            other = f"/api/{prefix}/webhooks/endpoints"
            r = await client.post(other, json={"url": rx.url, "event_types": ["plan.*"]}, headers=h)
            assert r.status_code == 201, r.text
            eid = r.json()["id"]
            for path in (f"{other}/{eid}", f"{other}/{eid}/deliveries"):
                r = await client.get(path, headers=h)
                assert r.status_code == 200, r.text
            r = await client.post(f"{other}/{eid}/enable", headers=h)
            assert (r.status_code, r.json()["status"]) == (200, "active"), r.text
            r = await client.post(f"{other}/{eid}/replay", json={"since": since}, headers=h)
            assert (r.status_code, r.json()) == (200, {"enqueued": 0}), r.text


class Resolver:
    """A name server that answers what the test says, in turn (DNS rebinding: a public address
    first, an internal one the next time)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


async def test_webhook_targets_are_resolved_at_every_attempt_and_internal_addresses_refused() -> None:
    """In prod the sender resolves the target again at each attempt, refuses a name that now points
    inside (loopback, private, link-local, IPv4-mapped), and connects to the address it checked."""
    rebinding = Resolver(["93.184.216.34"], ["127.0.0.1"])
    first = await pin("https://hooks.example.org/in", allow_private=False, resolver=rebinding)
    assert first.url == "https://93.184.216.34/in"
    assert first.headers == {"host": "hooks.example.org"}
    assert first.server_hostname == "hooks.example.org"
    with pytest.raises(TargetRefused, match=r"resolves to 127\.0\.0\.1"):
        await pin("https://hooks.example.org/in", allow_private=False, resolver=rebinding)
    assert rebinding.asked == [("hooks.example.org", 443), ("hooks.example.org", 443)]

    for answer in (["10.1.2.3"], ["169.254.169.254"], ["::ffff:192.168.0.1"], ["93.184.216.34", "fe80::1"]):
        with pytest.raises(TargetRefused, match="not a public address"):
            await pin("http://sync.example.org:8080/x", allow_private=False, resolver=Resolver(answer))
    for url in ("http://127.0.0.1/x", "http://[::1]:9000/x", "http://0.0.0.0/x", "http://100.64.0.1/x"):
        with pytest.raises(TargetRefused, match="not a public address"):
            await pin(url, allow_private=False)
    with pytest.raises(TargetRefused, match="only http"):
        await pin("file:///etc/passwd", allow_private=False)
    v6 = await pin(
        "http://sync.example.org:8080/x?a=1", allow_private=False, resolver=Resolver(["2606:4700:4700::1111"])
    )
    assert (v6.url, v6.headers) == (
        "http://[2606:4700:4700::1111]:8080/x?a=1",
        {"host": "sync.example.org:8080"},
    )
    # dev/test: local receivers are allowed, still pinned.
    local = await pin("http://receiver.test:8080/x", allow_private=True, resolver=Resolver(["127.0.0.1"]))
    assert local.url == "http://127.0.0.1:8080/x"


async def test_a_delivery_goes_to_the_pinned_address_and_never_to_a_rebound_one() -> None:
    """The sender's own attempt (Webhooks.send) through a real receiver: it connects to the address
    it resolved (the receiver sees the name in `Host`); once the name resolves to loopback in prod,
    nothing is sent and the attempt says why."""
    settings = KitSettings(
        JWT_SECRET="x" * 40, DATABASE_URL="postgresql://unused/x", JIUZHU_ENVIRONMENT="test"
    )
    assert procurement_kit.webhooks is not None
    hooks = Webhooks("procurement", procurement_kit.webhooks, Feed(procurement_kit.audit, {}), settings)
    async with Receiver(0) as rx, aiohttp.ClientSession() as client:
        names = Resolver(["127.0.0.1"])
        hooks.resolver = names
        delivery = SimpleNamespace(
            url=f"http://receiver.invalid:{rx.port}/hooks/jiuzhu",
            body=json.dumps({"type": "plan.created"}),
            secret="whsec_" + "QUJD" * 8,
            msg_id="msg_procurement_1",
        )
        status, _, error = await hooks.send(client, delivery)
        assert (status, error) == (204, None)
        headers, _ = rx.accepted[0]
        assert headers["host"] == f"receiver.invalid:{rx.port}"
        assert names.asked == [("receiver.invalid", rx.port)]

        hooks.allow_private = False  # as in prod
        status, ms, error = await hooks.send(client, delivery)
        assert status is None and ms >= 0 and error is not None
        assert error.startswith("target refused: receiver.invalid resolves to 127.0.0.1")
        assert rx.calls == 1  # nothing reached the receiver


async def test_a_commit_that_writes_the_outbox_wakes_the_sender_and_a_rollback_does_not(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    """The sender sleeps `webhook_poll_seconds` when idle (a minute here): what wakes it sooner is
    the outbox trigger's NOTIFY, on the sender's own listening connection (Sender.listen),
    delivered at commit only."""
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=30) as client, Receiver(0) as rx:
        h = await _integration(Walk(client, token), "南宁市社会救助信息系统", "450100")
        r = await client.post(
            "/api/procurement/webhooks/endpoints", json={"url": rx.url, "event_types": ["plan.*"]}, headers=h
        )
        assert r.status_code == 201, r.text  # an active endpoint: the trigger writes the outbox

        settings = KitSettings(
            JWT_SECRET="x" * 40,
            DATABASE_URL=database_url,
            JIUZHU_ENVIRONMENT="test",
            JIUZHU_WEBHOOK_POLL_SECONDS=60,
        )
        assert procurement_kit.webhooks is not None
        hooks = Webhooks("procurement", procurement_kit.webhooks, Feed(procurement_kit.audit, {}), settings)
        sender = Sender(hooks)
        listening = asyncio.create_task(sender.listen())
        con = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            await asyncio.wait_for(sender.wake.wait(), 10)  # listening (it wakes once on connecting)
            sender.wake.clear()

            async def write(commit: bool) -> None:
                tx = con.transaction()
                await tx.start()
                await AuditLog(procurement_kit.audit).append(
                    con,
                    aggregate_type="plan",
                    aggregate_id="00000000-0000-0000-0000-000000000002",
                    action="plan.notify_probe",
                    actor=SYSTEM,
                    jurisdiction="450102",
                )
                await (tx.commit() if commit else tx.rollback())

            await write(commit=False)
            await asyncio.sleep(1.0)
            assert not sender.wake.is_set()  # a rolled-back write notifies no one
            await write(commit=True)
            await asyncio.wait_for(sender.wake.wait(), 5)  # ≪ the 60 s poll
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
            await con.close()


async def test_the_delivery_log_keeps_its_days_and_every_pending_delivery(database_url: str) -> None:
    """Webhooks.prune (the sender runs it hourly): finished deliveries older than
    `webhook_log_days`, and their attempts, leave the log; a pending one stays whatever its age."""
    settings = KitSettings(
        JWT_SECRET="x" * 40, DATABASE_URL=database_url, JIUZHU_ENVIRONMENT="test", JIUZHU_WEBHOOK_LOG_DAYS=30
    )
    assert procurement_kit.webhooks is not None
    hooks = Webhooks("procurement", procurement_kit.webhooks, Feed(procurement_kit.audit, {}), settings)
    # Far ahead of any real date: the live stack's own sender prunes against the real clock.
    now = datetime(2199, 3, 1, 12, tzinfo=UTC)
    endpoint = uuid.uuid4()
    con = await asyncpg.connect(asyncpg_dsn(database_url))
    engine = create_async_engine(to_async_url(database_url))
    try:
        ids = {}
        for name, status, age in [
            ("old delivered", "delivered", 31),
            ("old failed", "failed", 40),
            ("old pending", "pending", 60),
            ("recent delivered", "delivered", 29),
        ]:
            ids[name] = await con.fetchval(
                "INSERT INTO procurement.webhook_delivery (endpoint_id, event_id, msg_id, event_type, payload,"
                " status, created_at) VALUES ($1, 1, $2, 'plan.created', '{}', $3, $4) RETURNING id",
                endpoint,
                f"msg_prune_{name}",
                status,
                now - timedelta(days=age),
            )
            await con.execute(
                "INSERT INTO procurement.webhook_attempt (delivery_id, status, response_ms) VALUES ($1, 500, 3)",
                ids[name],
            )
        async with async_sessionmaker(engine)() as session, session.begin():
            assert await hooks.prune(session, now) == 2
        kept = await con.fetch(
            "SELECT id FROM procurement.webhook_delivery WHERE endpoint_id = $1 ORDER BY id", endpoint
        )
        assert [r["id"] for r in kept] == [ids["old pending"], ids["recent delivered"]]
        attempts = await con.fetch(
            "SELECT delivery_id FROM procurement.webhook_attempt WHERE delivery_id = ANY($1::bigint[])"
            " ORDER BY delivery_id",
            list(ids.values()),
        )
        assert [r["delivery_id"] for r in attempts] == [ids["old pending"], ids["recent delivered"]]
    finally:
        await con.execute(
            "DELETE FROM procurement.webhook_attempt WHERE delivery_id IN"
            " (SELECT id FROM procurement.webhook_delivery WHERE endpoint_id = $1)",
            endpoint,
        )
        await con.execute("DELETE FROM procurement.webhook_delivery WHERE endpoint_id = $1", endpoint)
        await con.close()
        await engine.dispose()
