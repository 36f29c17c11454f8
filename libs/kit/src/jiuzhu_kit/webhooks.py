"""Webhooks: every committed change an endpoint's owner may read, POSTed to the endpoint as
Standard Webhooks (https://www.standardwebhooks.com: `webhook-id`, `webhook-timestamp`,
`webhook-signature`, HMAC-SHA256 with the endpoint's own secret, signed by the `standardwebhooks`
library).

- Outbox: a trigger on the audit log writes each event's id to `webhook_outbox` in the writing
  transaction (tables.webhook_outbox_ddl), so a rolled-back write leaves nothing to send and a
  committed one cannot be lost.
- Sender: a task inside every service process (no server of its own). It takes outbox rows and
  due deliveries with `SELECT … FOR UPDATE SKIP LOCKED`, so replicas share the work; a delivery is
  claimed in a short transaction and sent outside it, so no request, and not the changes feed's
  horizon, waits on a slow receiver.
- Fan-out decides each event for each endpoint with the feed's decision (jiuzhu_kit.feed: the
  aggregate's read policy, for the endpoint's owner as a reader), so a payload shows only what its
  owner may read. The event name must match one of the endpoint's filters (shell patterns).
- Retries: exponential backoff with full jitter, capped, for `webhook_retry_window_seconds` (a
  day); then the delivery fails and the endpoint is disabled with the reason stored for its owner.
  Every attempt is logged (status, response time). `webhook-id` is the event's own (`msg_<service>_
  <event id>`): stable across retries and replays, so receivers can deduplicate (at least once).
- Targets (DNS rebinding): http/https only; in `prod` the host is resolved again at every attempt,
  every address it resolves to must be public (no private, loopback, link-local, multicast,
  reserved or unspecified address, IPv4-mapped ones included), and the connection goes to the
  address just checked (`pin`: the URL's host replaced by it, `Host` and the TLS server name kept),
  so a name that answered with a public address at registration cannot point the sender at an
  internal one later. Redirects are not followed. In `dev`/`test` local receivers are allowed.
"""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import ipaddress
import logging
import random
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from sqlalchemy import ARRAY, BigInteger, Text, any_, bindparam, cast, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks.webhooks import Webhook

from jiuzhu_kit import waiting
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.db import Dedicated, listen, plain_dsn
from jiuzhu_kit.feed import Feed, to_json
from jiuzhu_kit.settings import KitSettings
from jiuzhu_kit.tables import WebhookTables

log = logging.getLogger("jiuzhu.webhooks")

BATCH = 500  # outbox rows fanned out per round
IN_FLIGHT = 32  # deliveries being sent to one endpoint at once (its connections)
AHEAD = 256  # deliveries claimed for one endpoint and not yet recorded (sending or waiting their turn)
PRUNE_BATCH = 5_000  # finished deliveries dropped from the log per transaction
PRUNE_SECONDS = 3_600  # how often a sender prunes the log
CLAIM_SECONDS = 60  # a claimed delivery is another replica's to take again after this (at least)
RESPONSE_BYTES = 64 * 1024  # read of a receiver's answer at most (it is not kept)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def owner(endpoint: Any) -> Principal:
    """The endpoint's owner as the reader its payloads are decided for."""
    roles = frozenset(r for r in endpoint.owner_roles.split(",") if r)
    return Principal(
        sub=endpoint.owner_sub, roles=roles, division=endpoint.owner_division, org=endpoint.owner_org
    )


def matches(patterns: list[str], event: str) -> bool:
    return any(fnmatch.fnmatchcase(event, p) for p in patterns)


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds before the next attempt: exponential, capped, full jitter (AWS's advice)."""
    return random.uniform(base / 2, min(cap, base * 2 ** max(0, attempts - 1)))


@lru_cache(maxsize=1024)
def signer(secret: str) -> Webhook:
    """The library's signer for one endpoint's secret, made once (it decodes the secret)."""
    return Webhook(secret)


def sign(secret: str, msg_id: str, at: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signer(secret).sign(msg_id, at, body),
        "content-type": "application/json",
    }


# ---- targets: checked at registration and again, with the address pinned, at every attempt ----

Resolver = Callable[[str, int], Awaitable[list[str]]]


class TargetRefused(Exception):
    """A webhook target the sender will not connect to; the message says why."""


async def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to now (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address on the public internet: not private, loopback, link-local, multicast, reserved,
    unspecified or shared (100.64/10), nor an IPv6 form of one (IPv4-mapped, 6to4 of a private)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True)
class Target:
    """Where one attempt connects: `url` with its host replaced by the address checked, the
    original `Host` header and, for https, the server name sent (SNI) and the certificate is
    verified for."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    server_hostname: str | None = None


def check_scheme(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http/https URL with a host, else TargetRefused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("only http:// and https:// URLs with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused("the port is not a number from 0 to 65535") from exc
    return parts.scheme, parts.hostname, port


async def pin(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> Target:
    """Resolve the target now and decide on every address it gives (all must be public unless
    `allow_private`); connect to the first one, keeping the name for `Host` and TLS."""
    scheme, host, port = check_scheme(url)
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = await resolver(host, port)
        except OSError as exc:
            raise TargetRefused(f"{host} does not resolve") from exc
        if not addresses:
            raise TargetRefused(f"{host} does not resolve")
    if not allow_private:
        for a in addresses:
            if not is_public(ipaddress.ip_address(a.split("%", 1)[0])):
                raise TargetRefused(f"{host} resolves to {a}, which is not a public address")
    if literal is not None:
        return Target(url)
    address = addresses[0]
    parts = urlsplit(url)
    at = f"[{address}]" if ":" in address else address
    netloc = at if parts.port is None else f"{at}:{parts.port}"
    if parts.username or parts.password:
        raise TargetRefused("credentials in the URL are not sent")
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    return Target(
        urlunsplit((scheme, netloc, parts.path or "/", parts.query, "")),
        headers={"host": host_header},
        server_hostname=host if scheme == "https" else None,
    )


class Webhooks:
    """One service's webhooks: fan-out, delivery, replay, on its tables and its feed's decisions."""

    def __init__(self, service: str, tables: WebhookTables, feed: Feed, settings: KitSettings) -> None:
        self.service = service
        self.t = tables
        self.feed = feed
        self.settings = settings
        # Internal addresses are refused outside dev/test, at registration and at every attempt.
        self.allow_private = settings.environment != "prod"
        self.resolver: Resolver = resolve
        # A claim outlives several attempts' timeouts, so one waiting its turn behind a slow
        # receiver is rarely given up (`Sender._deliver`) and never sent twice at once.
        self.claim_seconds = max(CLAIM_SECONDS, 3 * settings.webhook_timeout_seconds)

    def msg_id(self, event_id: int) -> str:
        return f"msg_{self.service}_{event_id}"

    async def enqueue(self, session: AsyncSession, endpoints: list[Any], events: list[dict[str, Any]]) -> int:
        """Deliveries of these audit events to these endpoints, as each endpoint's owner may see
        them (the feed's decision, as plain rows), written in one statement."""
        cols: dict[str, list[Any]] = {
            "endpoint_id": [],
            "event_id": [],
            "msg_id": [],
            "event_type": [],
            "payload": [],
        }
        for ep in endpoints:
            wanted = [e for e in events if matches(ep.event_types, e["action"])]
            if not wanted:
                continue
            ids = {(e["aggregate_type"], e["aggregate_id"], e["seq"]): e["id"] for e in wanted}
            for change in await self.feed.decide(session, owner(ep), wanted, expand=True):
                event_id = ids[change["aggregate_type"], change["aggregate_id"], change["revision"]]
                payload = {
                    "type": change["event"],
                    "timestamp": change["occurred_at"].isoformat(),
                    "data": {"service": self.service, **change},
                }
                cols["endpoint_id"].append(ep.id)
                cols["event_id"].append(event_id)
                cols["msg_id"].append(self.msg_id(event_id))
                cols["event_type"].append(change["event"])
                cols["payload"].append(to_json(payload).decode())
        if cols["event_id"]:
            d = self.t.delivery
            await session.execute(
                text(
                    f"""
                    INSERT INTO {d.fullname} (endpoint_id, event_id, msg_id, event_type, payload)
                    SELECT e, v, m, t, p::jsonb FROM unnest(
                        CAST(:endpoint_id AS uuid[]), CAST(:event_id AS bigint[]), CAST(:msg_id AS text[]),
                        CAST(:event_type AS text[]), CAST(:payload AS text[])
                    ) AS u(e, v, m, t, p)
                    """  # noqa: S608 - the table is the service's own
                ),
                cols,
            )
        return len(cols["event_id"])

    async def _events(self, session: AsyncSession, ids: list[int]) -> list[dict[str, Any]]:
        a = self.feed.table
        result = await session.execute(
            select(
                a.c.id, a.c.xid, a.c.aggregate_type, a.c.aggregate_id, a.c.seq, a.c.action,
                a.c.occurred_at, a.c.jurisdiction, a.c.data,
            ).where(a.c.id.in_(ids)).order_by(a.c.id)
        )  # fmt: skip
        return [dict(r) for r in result.mappings()]

    async def fan_out(self, session: AsyncSession) -> int:
        """Turn a batch of outbox rows into deliveries (one transaction; replicas skip locked rows)."""
        o = self.t.outbox
        picked = (
            await session.execute(
                select(o.c.id, o.c.event_id).order_by(o.c.id).limit(BATCH).with_for_update(skip_locked=True)
            )
        ).all()
        if not picked:
            return 0
        await session.execute(delete(o).where(o.c.id.in_([p.id for p in picked])))
        endpoints = (
            await session.execute(select(self.t.endpoint).where(self.t.endpoint.c.status == "active"))
        ).all()
        events = await self._events(session, [p.event_id for p in picked])
        await self.enqueue(session, list(endpoints), events)
        return len(picked)

    async def replay(self, session: AsyncSession, endpoint: Any, since: datetime) -> int:
        """Deliver again every event since `since` (same `webhook-id`s): a receiver that lost data."""
        a = self.feed.table
        ids = (
            await session.scalars(
                select(a.c.id).where(a.c.occurred_at >= since).order_by(a.c.id).limit(10_000)
            )
        ).all()
        events = await self._events(session, list(ids))
        return await self.enqueue(session, [endpoint], events)

    async def prune(self, session: AsyncSession, now: datetime | None = None) -> int:
        """Drop finished deliveries (delivered or failed) older than `webhook_log_days`, with their
        attempts, oldest first, at most PRUNE_BATCH: the log would otherwise grow with every change
        forever. Pending ones stay whatever their age; replicas skip each other's rows."""
        d, a = self.t.delivery, self.t.attempt
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.settings.webhook_log_days)
        ids = (
            await session.scalars(
                select(d.c.id)
                .where(d.c.status != "pending", d.c.created_at < cutoff)
                .order_by(d.c.created_at)
                .limit(PRUNE_BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if ids:
            await session.execute(delete(a).where(a.c.delivery_id.in_(ids)))
            await session.execute(delete(d).where(d.c.id.in_(ids)))
            log.info("webhook log pruned: %d deliveries before %s", len(ids), cutoff.isoformat())
        return len(ids)

    async def claim(self, session: AsyncSession, busy: Mapping[Any, int] | None = None) -> list[Any]:
        """Due deliveries, claimed for `claim_seconds` (short transaction; sent after it commits):
        at most AHEAD per endpoint counting the `busy` ones this process has not yet recorded, so
        a receiver that hangs holds only its own and never the others' turn."""
        d, e = self.t.delivery, self.t.endpoint
        busy = busy or {}
        now = datetime.now(UTC)
        active = (await session.scalars(select(e.c.id).where(e.c.status == "active"))).all()
        rooms = {i: AHEAD - busy.get(i, 0) for i in active}
        rooms = {i: r for i, r in rooms.items() if r > 0}
        if not rooms:
            return []
        # One statement for every endpoint: a LATERAL pick of each one's due rows, oldest first,
        # skipping rows another replica holds (SKIP LOCKED), then marked claimed.
        claimed = await session.execute(
            text(
                f"""
                WITH picked AS (
                    SELECT c.id FROM unnest(CAST(:eids AS uuid[]), CAST(:rooms AS int[])) AS r(eid, room)
                    CROSS JOIN LATERAL (
                        SELECT d.id FROM {d.fullname} d
                        WHERE d.endpoint_id = r.eid AND d.status = 'pending' AND d.next_attempt_at <= :now
                          AND (d.claimed_until IS NULL OR d.claimed_until < :now)
                        ORDER BY d.next_attempt_at LIMIT r.room
                        FOR UPDATE SKIP LOCKED
                    ) c
                )
                UPDATE {d.fullname} d SET claimed_until = :until FROM picked WHERE d.id = picked.id
                RETURNING d.id
                """  # noqa: S608 - the table is the service's own
            ),
            {
                "eids": list(rooms),
                "rooms": list(rooms.values()),
                "now": now,
                "until": now + timedelta(seconds=self.claim_seconds),
            },
        )
        ids = [r[0] for r in claimed.all()]
        if not ids:
            return []
        rows = await session.execute(
            select(
                d.c.id,
                d.c.endpoint_id,
                d.c.msg_id,
                d.c.attempts,
                d.c.created_at,
                d.c.next_attempt_at,
                cast(d.c.payload, Text).label("body"),
                e.c.url,
                e.c.secret,
            )
            .join(e, e.c.id == d.c.endpoint_id)
            .where(d.c.id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger))))
            .order_by(d.c.next_attempt_at, d.c.id)
        )
        return list(rows.all())

    async def send(self, client: aiohttp.ClientSession, delivery: Any) -> tuple[int | None, int, str | None]:
        body = delivery.body  # the payload as Postgres writes its JSON: not decoded to be encoded again
        headers = sign(delivery.secret, delivery.msg_id, datetime.now(UTC), body)
        start = time.perf_counter()
        try:
            target = await pin(delivery.url, allow_private=self.allow_private, resolver=self.resolver)
        except TargetRefused as exc:  # nothing is sent; retried (the name may resolve well again)
            return None, round((time.perf_counter() - start) * 1000), f"target refused: {exc}"[:500]
        try:
            async with client.post(
                target.url,
                data=body.encode(),
                headers={**headers, **target.headers},
                server_hostname=target.server_hostname,
                allow_redirects=False,
            ) as r:
                await r.content.read(RESPONSE_BYTES)  # what the receiver says is not kept
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return None, round((time.perf_counter() - start) * 1000), f"{type(exc).__name__}: {exc}"[:500]
        ms = round((time.perf_counter() - start) * 1000)
        return status, ms, None if 200 <= status < 300 else f"HTTP {status}"

    async def record_all(
        self, session: AsyncSession, results: list[tuple[Any, tuple[int | None, int, str | None]]]
    ) -> None:
        """A round's attempts in the log and its deliveries done, in three statements whatever the
        round's size (a thousand deliveries a second are a thousand bookkeeping writes otherwise);
        an attempt that failed is rescheduled or fails the delivery one by one (`record`)."""
        if not results:
            return
        d = self.t.delivery
        await session.execute(
            insert(self.t.attempt),
            [
                {"delivery_id": dl.id, "status": status, "response_ms": ms, "error": error}
                for dl, (status, ms, error) in results
            ],
        )
        done = [dl.id for dl, (_, _, error) in results if error is None]
        if done:
            await session.execute(
                update(d)
                .where(d.c.id == any_(bindparam("ids", done, type_=ARRAY(BigInteger))))
                .values(
                    status="delivered",
                    delivered_at=datetime.now(UTC),
                    attempts=d.c.attempts + 1,
                    claimed_until=None,
                )
            )
        for dl, (status, ms, error) in results:
            if error is not None:
                await self.record(session, dl, status, ms, error, logged=True)

    async def record(
        self,
        session: AsyncSession,
        delivery: Any,
        status: int | None,
        ms: int,
        error: str | None,
        *,
        logged: bool = False,
    ) -> None:
        """The attempt in the log; the delivery done, rescheduled, or failed (its endpoint disabled)."""
        d, s = self.t.delivery, self.settings
        now = datetime.now(UTC)
        if not logged:
            await session.execute(
                insert(self.t.attempt).values(
                    delivery_id=delivery.id, status=status, response_ms=ms, error=error
                )
            )
        attempts = delivery.attempts + 1
        if error is None:
            values: dict[str, Any] = {"status": "delivered", "delivered_at": now}
        elif (now - delivery.created_at).total_seconds() >= s.webhook_retry_window_seconds:
            values = {"status": "failed"}
            reason = (
                f"delivery {delivery.msg_id} failed for {s.webhook_retry_window_seconds:.0f} s "
                f"({attempts} attempts); last: {error}"
            )
            await session.execute(
                update(self.t.endpoint)
                .where(self.t.endpoint.c.id == delivery.endpoint_id)
                .values(status="disabled", disabled_reason=reason)
            )
        else:
            wait = backoff(attempts, s.webhook_retry_base_seconds, s.webhook_retry_cap_seconds)
            values = {"next_attempt_at": now + timedelta(seconds=wait)}
        await session.execute(
            update(d).where(d.c.id == delivery.id).values(attempts=attempts, claimed_until=None, **values)
        )


class Sender:
    """The background task: fan out, claim, and deliver concurrently, until stopped.

    Deliveries are sent by tasks of their own over one shared keep-alive client, so a round never
    waits for a slow receiver: the loop keeps fanning out and claiming for the other endpoints
    while they run. Up to AHEAD deliveries per endpoint are claimed ahead and sent IN_FLIGHT at a
    time (a gate per endpoint), so an endpoint's throughput is not one claim round per IN_FLIGHT
    deliveries. A round is one transaction: the outcomes since the last one (`record_all`), the
    fan-out, and the next claims (which see the deliveries just fanned out). The loop sleeps
    `webhook_poll_seconds` only when a round found nothing to do and nothing finished meanwhile;
    a finished delivery wakes it at once, and so does a commit that wrote the outbox (the
    trigger's NOTIFY, on a connection of the sender's own: `listen`). The poll remains for
    retries coming due and for a listener that lost its connection.
    """

    def __init__(self, hooks: Webhooks) -> None:
        self.hooks = hooks
        self.task: asyncio.Task[None] | None = None
        self.listener: asyncio.Task[None] | None = None
        self.client: aiohttp.ClientSession | None = None
        self.sending: dict[Any, int] = {}  # endpoint id → deliveries claimed and not yet recorded
        self.gates: dict[Any, asyncio.Semaphore] = {}  # endpoint id → its IN_FLIGHT connections
        self.tasks: set[asyncio.Task[None]] = set()
        self.done: list[tuple[Any, tuple[int | None, int, str | None]]] = []
        self.wake = asyncio.Event()

    def start_with(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self.maker = maker
        # aiohttp, not httpx: httpx's pool scans every connection (a readability check each) at
        # every request, which capped the sender near 400 deliveries/s; aiohttp's pool does not.
        # Connections are kept alive between deliveries (each endpoint's IN_FLIGHT bounds them);
        # no cookies are kept (a receiver's would go to the next one).
        self.client = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=30),
            timeout=aiohttp.ClientTimeout(total=self.hooks.settings.webhook_timeout_seconds),
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        self.task = asyncio.create_task(self.run(), name="webhook-sender")
        self.listener = asyncio.create_task(self.listen(), name="webhook-listener")

    async def listen(self) -> None:
        """Wake the loop at each commit that wrote the outbox; connect again when the connection
        is lost (meanwhile the loop polls)."""
        settings = self.hooks.settings
        channel = f"{self.hooks.t.outbox.schema}_webhook_outbox"
        db = Dedicated(
            plain_dsn(settings.database_url),
            {"timeout": 5, "server_settings": {"application_name": f"{self.hooks.service}-webhooks"}},
        )
        await listen(
            db,
            channel,
            lambda *_: self.wake.set(),
            listening=self.wake.set,  # what was written before listening
            retry_seconds=max(1.0, settings.webhook_poll_seconds),
        )

    async def stop(self) -> None:
        background = [t for t in (self.task, self.listener) if t is not None]
        for t in [*self.tasks, *background]:
            t.cancel()
        for t in [*self.tasks, *background]:
            try:
                await t
            except asyncio.CancelledError:
                pass
        if self.client is not None:
            await self.client.close()

    async def _deliver(self, delivery: Any, claimed: float) -> None:
        client = self.client
        assert client is not None
        gate = self.gates.setdefault(delivery.endpoint_id, asyncio.Semaphore(IN_FLIGHT))
        # Given up, unsent and unrecorded, if its claim could lapse before this attempt ends: the
        # claim runs out and the delivery is taken again (here or by a replica), never sent twice
        # at once.
        stale = self.hooks.claim_seconds - 2 * self.hooks.settings.webhook_timeout_seconds
        try:
            async with gate:
                if time.monotonic() - claimed > stale:
                    return
                try:
                    result = await self.hooks.send(client, delivery)
                except Exception as exc:
                    result = (None, 0, f"{type(exc).__name__}: {exc}"[:500])
                self.done.append((delivery, result))
        finally:
            self.sending[delivery.endpoint_id] -= 1
            self.wake.set()

    async def once(self) -> int:
        finished, self.done = self.done, []
        try:
            async with self.maker() as session, session.begin():
                await self.hooks.record_all(session, finished)
                fanned = await self.hooks.fan_out(session)
                due = await self.hooks.claim(session, self.sending)
        except BaseException:  # written next round (the claims stand until then)
            self.done[:0] = finished
            raise
        claimed = time.monotonic()
        for d in due:
            self.sending[d.endpoint_id] = self.sending.get(d.endpoint_id, 0) + 1
            task = asyncio.create_task(self._deliver(d, claimed), name=f"webhook {d.msg_id}")
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return fanned + len(due) + len(finished)

    async def run(self) -> None:
        pruned_at = float("-inf")
        while True:
            self.wake.clear()
            try:
                if time.monotonic() - pruned_at >= PRUNE_SECONDS:
                    pruned_at = time.monotonic()
                    async with self.maker() as session, session.begin():
                        await self.hooks.prune(session)
                busy = await self.once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the sender outlives a failed round (database restart, …)
                log.exception("webhook round failed")
                busy = 0
            if not busy and not self.done:
                await waiting.wait(self.wake, self.hooks.settings.webhook_poll_seconds)
            else:
                await asyncio.sleep(0)  # let the deliveries just started run before the next round
