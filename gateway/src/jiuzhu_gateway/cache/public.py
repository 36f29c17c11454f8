"""Answering public reads from memory: lookup, single-flight fill, 304s from the stored ETag, flush."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime

from prometheus_client import Counter, Gauge
from starlette.types import Message, Scope, Send

from jiuzhu_gateway.cache.policy import (
    NOT_MODIFIED_KEEP,
    NOT_STORED,
    PERSONAL,
    etag_matches,
    freshness,
    vary_names,
)
from jiuzhu_gateway.cache.store import Entry, Store
from jiuzhu_gateway.errors import UpstreamUnavailable
from jiuzhu_gateway.settings import GatewaySettings
from jiuzhu_gateway.upstream import BodyStreamed
from jiuzhu_kit.observability import Metrics

# The upstream call with the given `send`; `fill`: without the client's conditional headers (the
# whole answer is wanted, to store), else the request as it came.
Fetch = Callable[[Send, bool], Awaitable[int]]
# The same request again, unconditional, as a new request of the gateway's own (no client): renewal.
Renew = Callable[[Send], Awaitable[int]]
HIT, MISS = b"HIT", b"MISS"
log = logging.getLogger("jiuzhu.gateway.cache")


class PublicCache:
    def __init__(self, settings: GatewaySettings, metrics: Metrics, clock_header: bytes | None) -> None:
        self.max_seconds = settings.cache_max_seconds
        self.max_entry_bytes = settings.cache_max_entry_bytes
        self.enabled = self.max_seconds > 0 and settings.cache_max_entries > 0
        self.store = Store(settings.cache_max_entries, settings.cache_max_bytes)
        # Outside prod a request may name its own clock (jiuzhu_kit.clock): its answer is its own.
        self.clock_header = clock_header
        self.generation = 0  # bumped by every flush: a fill begun before it is not stored
        self.inflight: dict[str, asyncio.Future[None]] = {}
        self._renewals: set[asyncio.Task[None]] = set()
        self.lookups = Counter(
            "gateway_cache_lookups_total",
            "Anonymous public reads by how the cache answered: hit, miss (filled from the upstream)",
            ["result"],
            registry=metrics.registry,
        )
        self.hits, self.misses = self.lookups.labels("hit"), self.lookups.labels("miss")
        self.flushes = Counter(
            "gateway_cache_flushes_total", "Cache flushes after a write", registry=metrics.registry
        )
        Gauge("gateway_cache_entries", "Answers held by the cache", registry=metrics.registry).set_function(
            lambda: len(self.store)
        )
        Gauge(
            "gateway_cache_bytes", "Bytes held by the cache (bodies and headers)", registry=metrics.registry
        ).set_function(lambda: self.store.bytes)

    def usable(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        """An anonymous GET the cache may answer (the caller checked that the route is public)."""
        if not self.enabled or scope["method"] != "GET":
            return False
        if any(h in headers for h in PERSONAL):
            return False
        return self.clock_header is None or self.clock_header not in headers

    def flush(self) -> None:
        self.generation += 1
        if self.store.entries:
            self.store.clear()
        self.flushes.inc()

    async def serve(
        self,
        scope: Scope,
        send: Send,
        headers: dict[bytes, bytes],
        request_id: bytes,
        service: str,
        fetch: Fetch,
        renew: Renew,
    ) -> int:
        qs: bytes = scope["query_string"]
        target: str = scope["path"] + "?" + qs.decode("latin-1") if qs else scope["path"]
        now = time.monotonic()
        refresh = _no_cache(headers)
        if not refresh:
            entry = self._lookup(target, headers, now)
            if entry is not None:
                self.hits.inc()
                self.renew_soon(target, entry, now)
                return await _answer(entry, headers, send, request_id, HIT, now)
            waiting = self.inflight.get(target)
            if waiting is not None:  # another request is filling it: its answer serves this one too
                try:
                    async with asyncio.timeout(30):
                        await asyncio.shield(waiting)
                except TimeoutError:
                    pass
                now = time.monotonic()
                entry = self._lookup(target, headers, now)
                if entry is not None:
                    self.hits.inc()
                    return await _answer(entry, headers, send, request_id, HIT, now)
                return await fetch(_Tagged(send).send, False)  # not storable, or another variant
        self.misses.inc()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        leader = target not in self.inflight
        if leader:
            self.inflight[target] = done
        generation = self.generation
        collector = _Collector(send, self.max_seconds, self.max_entry_bytes)
        try:
            try:
                status = await fetch(collector.send, True)
            except BodyStreamed:
                if collector.passed:
                    raise
                raise UpstreamUnavailable(service=service) from None  # nothing sent to the client yet
            entry = collector.entry
            if entry is None:
                return status  # passed through as it came
            if generation == self.generation and collector.names is not None:
                # what a renewal needs: the request again, and the headers of its key
                entry.renew = ({n: headers[n] for n in collector.names if n in headers}, renew)
                self.store.put(target, collector.names, headers, entry)
            return await _answer(entry, headers, send, request_id, MISS, time.monotonic())
        finally:
            if leader:
                del self.inflight[target]
            done.set_result(None)

    def renew_soon(self, target: str, entry: Entry, now: float) -> None:
        """Read in its last quarter of life, an entry is fetched again in the background, so a
        page read all the time never expires into a gap of misses while the upstream answers. Each
        stored answer still lives its own max-age at most: nothing stale is served."""
        if (
            entry.renew is None
            or entry.expires - now > (entry.expires - entry.stored_at) / 4
            or target in self.inflight
        ):
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.inflight[target] = done
        task = asyncio.get_running_loop().create_task(self._renew(target, entry, done))
        self._renewals.add(task)
        task.add_done_callback(self._renewals.discard)

    async def _renew(self, target: str, entry: Entry, done: asyncio.Future[None]) -> None:
        assert entry.renew is not None
        generation = self.generation
        collector = _Collector(_discard, self.max_seconds, self.max_entry_bytes)
        headers, renew = entry.renew
        try:
            await renew(collector.send)
            fresh_entry = collector.entry
            if fresh_entry is not None and collector.names is not None and generation == self.generation:
                fresh_entry.renew = entry.renew
                self.store.put(target, collector.names, headers, fresh_entry)
        except Exception as exc:  # the entry just expires; the next reader fills it
            log.info("renewing %s failed: %r", target, exc)
        finally:
            del self.inflight[target]
            done.set_result(None)

    def _lookup(self, target: str, headers: dict[bytes, bytes], now: float) -> Entry | None:
        key = self.store.key(target, headers)
        return self.store.get(key, now) if key is not None else None


async def _discard(message: Message) -> None:
    return None


def _no_cache(headers: dict[bytes, bytes]) -> bool:
    """The client asked for an answer from the origin (`Cache-Control: no-cache`/`max-age=0`)."""
    cc = headers.get(b"cache-control")
    if cc is not None:
        cc = cc.lower()
        if b"no-cache" in cc or b"no-store" in cc or b"max-age=0" in cc:
            return True
    return headers.get(b"pragma", b"").lower() == b"no-cache"


class _Tagged:
    """Pass an answer through with `X-Cache: MISS`."""

    def __init__(self, send: Send) -> None:
        self._send = send

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message["headers"], (b"x-cache", MISS)]}
        await self._send(message)


class _Collector:
    """The upstream's answer: kept whole when storable (a 200 with a lifetime and a known, bounded
    length), else passed straight through to the client."""

    def __init__(self, send: Send, max_seconds: float, max_bytes: int) -> None:
        self._send = send
        self.max_seconds = max_seconds
        self.max_bytes = max_bytes
        self.passed = False
        self.names: tuple[bytes, ...] | None = None
        self.entry: Entry | None = None
        self._start: Message | None = None
        self._ttl = 0.0
        self._parts: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if self._storable(message["status"], message["headers"]):
                self._start = message
                return
            self.passed = True
            await _Tagged(self._send).send(message)
            return
        if self.passed:
            await self._send(message)
            return
        self._parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            self._finish()

    def _storable(self, status: int, headers: list[tuple[bytes, bytes]]) -> bool:
        if status != 200:
            return False
        length = cache_control = None
        for k, v in headers:
            if k == b"content-length":
                length = v
            elif k == b"cache-control":
                cache_control = v
        if length is None or not length.isdigit() or int(length) > self.max_bytes:
            return False
        self._ttl = freshness(cache_control, self.max_seconds)
        self.names = vary_names(headers)
        return self._ttl > 0

    def _finish(self) -> None:
        assert self._start is not None
        headers = [(k, v) for k, v in self._start["headers"] if k not in NOT_STORED]
        now = time.monotonic()
        self.entry = Entry(
            status=self._start["status"],
            headers=headers,
            body=b"".join(self._parts),
            etag=next((v for k, v in headers if k == b"etag"), None),
            not_modified=[(k, v) for k, v in headers if k in NOT_MODIFIED_KEEP],
            stored_at=now,
            expires=now + self._ttl,
        )
        if self.names is None:  # Vary: * — answer this request from it, keep nothing
            self.entry.expires = now


async def _answer(
    entry: Entry, headers: dict[bytes, bytes], send: Send, request_id: bytes, state: bytes, now: float
) -> int:
    extra = [(b"x-request-id", request_id), (b"age", b"%d" % (now - entry.stored_at)), (b"x-cache", state)]
    if fresh(entry, headers):
        await send({"type": "http.response.start", "status": 304, "headers": entry.not_modified + extra})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return 304
    await send({"type": "http.response.start", "status": entry.status, "headers": entry.headers + extra})
    await send({"type": "http.response.body", "body": entry.body, "more_body": False})
    return entry.status


def fresh(entry: Entry, headers: dict[bytes, bytes]) -> bool:
    """The client's copy is current (RFC 9110 13.2.2: If-None-Match first, else If-Modified-Since)."""
    inm = headers.get(b"if-none-match")
    if inm is not None:
        return entry.etag is not None and (inm == entry.etag or etag_matches(inm, entry.etag))
    ims = headers.get(b"if-modified-since")
    if ims is None:
        return False
    modified = next((v for k, v in entry.headers if k == b"last-modified"), None)
    if modified is None:
        return False
    try:
        return parsedate_to_datetime(modified.decode("latin-1")) <= parsedate_to_datetime(
            ims.decode("latin-1")
        )
    except (TypeError, ValueError):
        return False
