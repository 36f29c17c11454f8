"""A lean HTTP/1.1 client for the proxy hop: asyncio protocol + httptools (llhttp, the C parser
uvicorn itself uses), a keep-alive pool per upstream, raw header bytes passed straight through.

Why not a general client: measured with bench/gateway_proxy.py once the services got fast (≈5,000
req/s direct on one worker), aiohttp's per-request bookkeeping (URL/cookie/header objects, tracing,
timer handles) was ~35% of the gateway's CPU and the gateway fell to ≈36–48% of direct throughput;
httpx is slower still (≈5%). Forwarding bytes needs none of that. Scope, on purpose: plain HTTP/1.1
to our own services on a private network — no TLS, redirects, cookies, proxies or upgrades.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator

import httptools

HIGH_WATER = 512 * 1024  # pause reading the upstream when this much is waiting for the client
LOW_WATER = 128 * 1024


class UpstreamError(Exception):
    """The connection failed or broke."""


class Connection(asyncio.Protocol):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.lost = False
        self.idle_since = 0.0
        self.reused = False  # taken from the pool: the upstream may have closed it meanwhile
        self._write_paused = False
        self._drain: asyncio.Future[None] | None = None
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.got_head = False
        self.keep_alive = False
        self.complete = False
        self.error: UpstreamError | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.reading_paused = False
        self.waiter: asyncio.Future[None] | None = None
        self.sent = False  # any byte of this request written
        self.received = False  # any byte of this response read

    # -- asyncio protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's TCPTransport is no asyncio.Transport subclass

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamError(f"bad response: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.complete:
            self._fail(UpstreamError("connection closed by the upstream"))
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    # -- httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()  # llhttp forgets it once the message ends
        self.got_head = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and self.transport is not None and not self.reading_paused:
            self.reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        self._wake()

    # -- used by the proxy
    def _fail(self, err: UpstreamError) -> None:
        if self.error is None:
            self.error = err
        self._wake()

    def _wake(self) -> None:
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)

    async def _wait(self) -> None:
        self.waiter = self.loop.create_future()
        try:
            await self.waiter
        finally:
            self.waiter = None

    async def write(self, data: bytes) -> None:
        if self.lost or self.transport is None:
            raise UpstreamError("connection closed")
        self.sent = True
        self.transport.write(data)
        if self._write_paused:  # the upstream reads slower than the client sends: wait
            self._drain = self.loop.create_future()
            await self._drain
            if self.lost:
                raise UpstreamError("connection closed while sending")

    async def head(self) -> None:
        while not self.got_head:
            if self.error is not None:
                raise self.error
            await self._wait()

    async def read(self) -> bytes | None:
        """The next body chunk, None at the end."""
        while True:
            if self.chunks:
                # All that has arrived, in one piece: a streamed download then costs one send to the
                # client per read of the socket's backlog, not one per 64 KiB the parser handed over.
                chunks = self.chunks
                chunk = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
                chunks.clear()
                self.buffered = 0
                if self.reading_paused and self.buffered <= LOW_WATER and self.transport is not None:
                    self.reading_paused = False
                    self.transport.resume_reading()
                return chunk
            if self.complete:
                return None
            if self.error is not None:
                raise self.error
            await self._wait()

    def reusable(self) -> bool:
        """Only after a whole, keep-alive answer below 500: a server answering 5xx may be tearing the
        connection down right behind its answer (uvicorn closes it when the app raised after the 500
        was sent), and the next caller would get that close."""
        return (
            self.complete and self.keep_alive and self.status < 500 and not self.lost and self.error is None
        )

    def close(self) -> None:
        self.lost = True
        if self.transport is not None:
            self.transport.close()


class Pool:
    """Idle keep-alive connections to one upstream, most recently used first."""

    def __init__(self, host: str, port: int, size: int, keepalive: float, connect_timeout: float) -> None:
        self.host, self.port = host, port
        self.host_header = f"{host}:{port}".encode()
        self.size = size
        self.keepalive = keepalive
        self.connect_timeout = connect_timeout
        self.idle: deque[Connection] = deque()

    async def acquire(self, fresh: bool = False) -> Connection:
        """An idle connection still in its keep-alive time (`reused`: it may have been closed
        meanwhile), else — or when `fresh` — a new one."""
        now = time.monotonic()
        while self.idle and not fresh:
            conn = self.idle.pop()
            if not conn.lost and now - conn.idle_since < self.keepalive:
                conn.reused = True
                return conn
            conn.close()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, proto = await loop.create_connection(lambda: Connection(loop), self.host, self.port)
        except (OSError, TimeoutError) as exc:
            raise UpstreamError(f"cannot connect to {self.host}:{self.port}: {exc!r}") from exc
        return proto

    def release(self, conn: Connection) -> None:
        if conn.reusable() and len(self.idle) < self.size:
            conn._reset()
            conn.idle_since = time.monotonic()
            self.idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()


def request_head(method: str, target: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    parts = [method.encode(), b" ", target, b" HTTP/1.1\r\n"]
    for k, v in headers:
        parts += [k, b": ", v, b"\r\n"]
    parts.append(b"\r\n")
    return b"".join(parts)


async def send_stream(conn: Connection, body: AsyncIterator[bytes], chunked: bool) -> None:
    async for chunk in body:
        if chunked:
            await conn.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        else:
            await conn.write(chunk)
    if chunked:
        await conn.write(b"0\r\n\r\n")
