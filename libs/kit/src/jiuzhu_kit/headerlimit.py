"""Bounds on a request's head: header count, total size, size of one header — a 431 problem
(`HEADERS_TOO_LARGE`) instead of buffering, processing and forwarding whatever a client sends.

Two layers, the same limits (`KitSettings.max_header_*`, set by each app factory via `configure`):
- `BoundedHttpToolsProtocol` (run uvicorn with `--http jiuzhu_kit.headerlimit:BoundedHttpToolsProtocol`):
  uvicorn's httptools protocol, which has no limit at all, refusing at the socket while the head
  is still arriving — so a 50 MB header is never held in memory;
- `HeaderLimits.refusal` in the request pipeline (kit middleware, gateway): the same rule for any
  other server or protocol (`--http h11`, in-process tests).

The protocol also lets an app answer a plain GET before any ASGI machinery (`answer_early`): the
gateway's public cache hits (jiuzhu_gateway.cache.early), where the per-request task, scope and
send/receive cost more than the answer itself. Only one request at a time per connection takes that
way (never behind a pipelined request still being answered), only HTTP/1.1, never an upgrade.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope
from uvicorn.middleware.proxy_headers import _TrustedHosts
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from jiuzhu_kit.errors import PROBLEM_JSON, DomainError, problem_body, problem_response


class HeadersTooLarge(DomainError):
    code = "HEADERS_TOO_LARGE"
    status = 431
    zh = "请求头过大（上限 {count} 个、共 {total} 字节、单个 {field} 字节）"
    en = "The request headers are too large (limits: {count} headers, {total} bytes in all, {field} bytes each)"


@dataclass(frozen=True)
class HeaderLimits:
    count: int = 100
    total: int = 16 * 1024  # request target + every header name and value
    field: int = 8 * 1024  # one header's name and value

    def error(self) -> HeadersTooLarge:
        return HeadersTooLarge(count=self.count, total=self.total, field=self.field)

    def exceeded(self, target: bytes, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        total, n = len(target), 0
        for name, value in headers:
            size = len(name) + len(value)
            if size > self.field:
                return True
            total += size
            n += 1
        return n > self.count or total > self.total

    def refusal(self, scope: Scope) -> Response | None:
        """The 431 problem for a request over the limits, else None."""
        if self.exceeded(scope.get("raw_path") or b"", scope["headers"]):
            return problem_response(Request(scope), self.error())
        return None


_limits = HeaderLimits()


def configure(limits: HeaderLimits) -> None:
    """The limits the protocol enforces in this process (the app factory's settings)."""
    global _limits
    _limits = limits


@dataclass(slots=True)
class Head:
    """A request head as the early hook sees it: target, headers lowercased as uvicorn does, and
    `memo` for the hook's own work on it. A head that arrives whole is parsed once and kept
    (`_heads`), memo included: a portal asking for the same page over and over is parsed once."""

    target: bytes
    headers: list[tuple[bytes, bytes]]
    memo: object = None
    # (peer host, the client X-Forwarded-For names for it, None: the peer): see the protocol's
    # _client_as_the_app_sees_it
    seen: tuple[str, tuple[str, int] | None] | None = None


# (the request's head, the client address the app would see) → the answer's status line and headers
# (each line ending in CRLF, no blank line) and its body; None: the app answers as usual.
EarlyAnswer = Callable[[Head, "tuple[str, int] | None"], "tuple[bytes, bytes] | None"]
_early: EarlyAnswer | None = None

# One GET head, whole, that nothing about needs the parser: HTTP/1.1, a target of visible ASCII, each
# field a token, a colon and visible ASCII with inner blanks — stricter than httptools, so whatever
# matches means the same to both. Anything else (obs-text, folding, a body, bare LF) goes the
# parser's way, which answers it fully.
_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_HEAD = re.compile(
    rb"GET (/[!-~]*) HTTP/1\.1\r\n((?:" + _TOKEN + rb":[ \t]*[!-~]*(?:[ \t]+[!-~]+)*[ \t]*\r\n)*)\r\n"
)
_FIELD = re.compile(b"(" + _TOKEN + rb"):[ \t]*([!-~]*(?:[ \t]+[!-~]+)*)[ \t]*\r\n")
# Fields that change how the message is framed or kept: the parser's way decides.
_FRAMING = frozenset({b"connection", b"upgrade", b"expect", b"content-length", b"transfer-encoding"})
HEAD_MEMO_BYTES = 2048  # heads longer than this are not kept (nor taken whole: the parser's way)
HEAD_MEMO_ENTRIES = 1024
_heads: dict[bytes, Head | None] = {}


def _whole_head(data: bytes) -> Head | None:
    """`data` as one GET head the early hook may take without the parser, else None (memoised)."""
    try:
        return _heads[data]
    except KeyError:
        pass
    head = None
    match = _HEAD.fullmatch(data)
    if match is not None:
        fields = [(name.lower(), value) for name, value in _FIELD.findall(match[2])]
        if len(fields) <= _limits.count and all(
            name not in _FRAMING or (name == b"connection" and value.lower() == b"keep-alive")
            for name, value in fields
        ):
            head = Head(match[1], fields)
    if len(_heads) >= HEAD_MEMO_ENTRIES:
        _heads.clear()  # varying heads (a request id each) would only churn it: start again
    _heads[data] = head
    return head


_defaults: tuple[object, bytes] = (None, b"")


def _default_headers(headers: list[tuple[bytes, bytes]]) -> bytes:
    """uvicorn's date and server headers as bytes; uvicorn replaces the list when the second turns."""
    global _defaults
    if _defaults[0] is not headers:
        _defaults = (headers, b"".join(k + b": " + v + b"\r\n" for k, v in headers))
    return _defaults[1]


_trusted: dict[str | tuple[str, ...], _TrustedHosts] = {}


def _trusted_hosts(allowed: str | list[str]) -> _TrustedHosts:
    """uvicorn's own reading of the trusted proxies (private, but the very rule its middleware
    applies to the app's requests: an early answer must see the same client), built once."""
    key = allowed if isinstance(allowed, str) else tuple(allowed)
    hosts = _trusted.get(key)
    if hosts is None:
        hosts = _trusted[key] = _TrustedHosts(allowed)
    return hosts


def answer_early(hook: EarlyAnswer | None) -> None:
    """Let `hook` answer GETs in the protocol, before the app (see the module's docstring)."""
    global _early
    _early = hook


LINGER_BYTES = 1024 * 1024
LINGER_SECONDS = 2.0


class _Refused(Exception):
    pass


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the head bounded while it arrives."""

    _in_head = True
    _head_bytes = 0
    _head_count = 0
    _head_total = 0
    _refused = False
    _discarded = 0
    _answered = False  # this request was answered early: its parser events are none of the app's
    _between = True  # the parser is between messages (none begun, or the last one complete)
    _early_at = float("-inf")  # loop time of the last early answer taken without the parser

    def data_received(self, data: bytes) -> None:
        # A whole GET head at a message boundary, taken without the parser (see _whole_head).
        if (
            _early is not None
            and self._between
            and len(data) <= HEAD_MEMO_BYTES
            and data.startswith(b"GET ")
            and data.endswith(b"\r\n\r\n")
            and not self._refused
        ):
            head = _whole_head(data)
            if head is not None and self._answer_early(_early, head, keep_alive=True, parsed=False):
                return
        if self._refused:  # lingering after the 431 (see _refuse): drain a little, then stop reading
            self._discarded += len(data)
            if self._discarded > LINGER_BYTES:
                self.transport.pause_reading()
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # httptools buffers one header whole before reporting it: refuse a head that keeps growing
        # (the request line and a little framing on top of the total are allowed).
        if self._in_head and not self._refused and self._head_bytes > _limits.total + 1024:
            self._refuse()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes, self._head_count, self._head_total = True, 0, 0, 0
        self._answered = False
        self._between = False

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > _limits.total:
            self._refused = True
            raise _Refused

    def on_header(self, name: bytes, value: bytes) -> None:
        size = len(name) + len(value)
        self._head_count += 1
        self._head_total += size
        if (
            size > _limits.field
            or self._head_count > _limits.count
            or self._head_total + len(self.url) > _limits.total
        ):
            self._refused = True
            raise _Refused  # httptools turns it into HttpParserError → send_400_response
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        parser = self.parser
        if (
            _early is not None
            and parser.get_method() == b"GET"
            and parser.get_http_version() == "1.1"
            and not parser.should_upgrade()
            and not self.expect_100_continue
            and self._answer_early(
                _early, Head(self.url, self.headers), parser.should_keep_alive(), parsed=True
            )
        ):
            self._answered = True
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._answered:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._between = True
        if not self._answered:
            super().on_message_complete()

    def _answer_early(self, hook: EarlyAnswer, request: Head, keep_alive: bool, parsed: bool) -> bool:
        cycle = self.cycle
        if (
            not (cycle is None or cycle.response_complete)  # a request still answered
            or self.pipeline
            or self.flow.write_paused
            or self.transport.is_closing()
        ):
            return False
        answer = hook(request, self._client_as_the_app_sees_it(request))
        if answer is None:
            return False
        head, body = answer
        if parsed:
            self._unset_keepalive_if_required()
        self.transport.write(
            b"".join(
                (
                    head,
                    _default_headers(self.server_state.default_headers),
                    b"\r\n" if keep_alive else b"connection: close\r\n\r\n",
                    body,
                )
            )
        )
        if not parsed:  # keep-alive, nothing paused or queued (see data_received)
            self.server_state.total_requests += 1
            self._early_at = self.loop.time()
            if self.timeout_keep_alive_task is None:
                self.timeout_keep_alive_task = self.loop.call_later(
                    self.timeout_keep_alive, self.timeout_keep_alive_handler
                )
        elif keep_alive:
            self.on_response_complete()  # counts it, arms the keep-alive timer
        else:
            self.server_state.total_requests += 1
            self.transport.close()
        return True

    def _client_as_the_app_sees_it(self, request: Head) -> tuple[str, int] | None:
        """The client address uvicorn's proxy-headers middleware gives the app for this request: the
        X-Forwarded-For hop it trusts when the peer is a trusted proxy (`--forwarded-allow-ips`,
        FORWARDED_ALLOW_IPS), else the peer — so an early answer counts a client behind a load
        balancer as the app would (the gateway's per-address limit)."""
        client = self.client
        if client is None or not self.config.proxy_headers:
            return client
        seen = request.seen  # a kept head from the same peer: worked out already
        if seen is None or seen[0] != client[0]:
            seen = request.seen = (client[0], self._forwarded_client(request, client[0]))
        return seen[1] or client

    def _forwarded_client(self, request: Head, peer: str) -> tuple[str, int] | None:
        """The client X-Forwarded-For names when `peer` is a trusted proxy; None: the peer itself."""
        forwarded = [value for name, value in request.headers if name == b"x-forwarded-for"]
        if not forwarded:
            return None
        trusted = _trusted_hosts(self.config.forwarded_allow_ips)
        if peer not in trusted:
            return None
        host, port = trusted.get_trusted_client_address(b", ".join(forwarded).decode("latin-1"))
        return (host, port) if host else None

    def timeout_keep_alive_handler(self) -> None:
        # An early answer without the parser leaves the idle timer running rather than setting a
        # new one per answer (a timer made and cancelled per request was a measurable share of a
        # cache hit): the connection is idle only since its last answer.
        idle = self.loop.time() - self._early_at
        if idle < self.timeout_keep_alive:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive - idle, self.timeout_keep_alive_handler
            )
            return
        super().timeout_keep_alive_handler()

    def send_400_response(self, msg: str) -> None:
        if self._refused:
            self._refuse()
        else:
            super().send_400_response(msg)

    def _refuse(self) -> None:
        self._refused = True
        err = _limits.error()
        body = json.dumps(problem_body(err, "zh", "", None), ensure_ascii=False).encode()
        head = (
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: " + PROBLEM_JSON.encode() + b"\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n"
        )
        if self.transport.is_closing():
            return
        self.transport.write(head + body)
        # Closing now, with the client's bytes unread, would send a reset that can destroy the
        # answer before the client reads it: half-close, drain a bounded amount, close a little later.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            asyncio.get_running_loop().call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
