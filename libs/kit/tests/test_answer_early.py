"""The kit protocol's early answers (jiuzhu_kit.headerlimit.answer_early, the gateway's cache hits)
against a real uvicorn server: keep-alive, pipelining in order, HEAD, `Connection: close`, HTTP/1.0
and bodies all still behave as HTTP says."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httptools
import pytest

from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.services import UVICORN_HTTP
from jiuzhu_devtools.testing import free_port

HERE = Path(__file__).parent


def _serve(*extra: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "--app-dir", str(HERE), "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--http", UVICORN_HTTP, "--log-level", "warning", *extra, "early_app:create"]
    proc = subprocess.Popen(cmd)
    try:
        wait_ready([f"http://127.0.0.1:{port}/ready"], timeout=60)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    yield from _serve()


@pytest.fixture(scope="module")
def idle_server() -> Iterator[tuple[str, int]]:
    yield from _serve("--timeout-keep-alive", "1")


class _Responses:
    """Responses parsed off one connection, in order (no HEAD among them: a parser can't know)."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.done: list[tuple[int, dict[bytes, bytes], bytes]] = []
        self._headers: dict[bytes, bytes] = {}
        self._body = b""

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.lower()] = value

    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        self.done.append((self.parser.get_status_code(), self._headers, self._body))
        self._headers, self._body = {}, b""


def _exchange(
    addr: tuple[str, int], raw: bytes, count: int
) -> tuple[list[tuple[int, dict[bytes, bytes], bytes]], bool]:
    """Send `raw` in one write; the first `count` responses, and whether the server then closed."""
    got = _Responses()
    with socket.create_connection(addr, timeout=5) as s:
        s.sendall(raw)
        while len(got.done) < count:
            data = s.recv(65536)
            assert data, f"closed after {len(got.done)} responses"
            got.parser.feed_data(data)
        s.settimeout(0.5)
        try:
            closed = s.recv(1) == b""
        except TimeoutError:
            closed = False
    return got.done, closed


def _get(path: str, extra: bytes = b"") -> bytes:
    return b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n" + extra + b"\r\n"


def test_keep_alive_and_pipelining_keep_order(server: tuple[str, int]) -> None:
    # An early answer never overtakes a request before it that the app is still answering: behind
    # /slow, the rest of the batch is the app's, in order.
    raw = _get("/early/1") + _get("/early/2") + _get("/slow") + _get("/early/3") + _get("/other")
    done, closed = _exchange(server, raw, 5)
    assert [b for _, _, b in done] == [
        b"early /early/1",
        b"early /early/2",
        b"asgi GET /slow",
        b"asgi GET /early/3",
        b"asgi GET /other",
    ]
    assert all(status == 200 for status, _, _ in done) and not closed
    assert all(b"date" in h and b"server" in h for _, h, _ in done)  # as uvicorn's own answers


def test_connection_close_is_honoured(server: tuple[str, int]) -> None:
    done, closed = _exchange(server, _get("/early/x", b"Connection: close\r\n"), 1)
    assert done[0][2] == b"early /early/x" and done[0][1][b"connection"] == b"close"
    assert closed


def test_head_http10_and_bodies_go_to_the_app(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=5) as s:
        s.sendall(b"HEAD /early/h HTTP/1.1\r\nHost: t\r\n\r\n")
        head = s.recv(65536)
    assert head.startswith(b"HTTP/1.1 200") and head.endswith(b"\r\n\r\n")  # no body after a HEAD
    assert b"content-length: 18" in head.lower()  # the app answered it: "asgi HEAD /early/h"
    done, closed = _exchange(server, b"GET /early/10 HTTP/1.0\r\nHost: t\r\n\r\n", 1)
    assert done[0][2] == b"asgi GET /early/10" and closed
    body = b"GET /early/b HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
    done, _ = _exchange(server, body + _get("/early/after"), 2)
    # the early hook answers a GET with a body too (the gateway's refuses those); the body is
    # consumed, not read as the next request
    assert [b for _, _, b in done] == [b"early /early/b", b"early /early/after"]


def test_whole_heads_taken_without_the_parser_keep_order_and_framing(server: tuple[str, int]) -> None:
    # One head per write, at a message boundary: the protocol's own reading (headerlimit._whole_head),
    # the same answers as the parser's way, in turn with the app's on one connection.
    got = _Responses()
    with socket.create_connection(server, timeout=5) as s:
        for path in ("/early/w1", "/other", "/early/w2", "/early/w1", "/slow", "/early/w3"):
            s.sendall(_get(path, b"Connection: keep-alive\r\n"))
            want = len(got.done) + 1
            while len(got.done) < want:
                got.parser.feed_data(s.recv(65536))
    assert [b for _, _, b in got.done] == [
        b"early /early/w1",
        b"asgi GET /other",
        b"early /early/w2",
        b"early /early/w1",
        b"asgi GET /slow",
        b"early /early/w3",
    ]


def test_a_head_the_strict_reading_refuses_goes_the_parsers_way(server: tuple[str, int]) -> None:
    # a space before the colon is not a field (RFC 9112 5.1): httptools answers 400, as without the hook
    done, closed = _exchange(server, b"GET /early/s HTTP/1.1\r\nHost : t\r\n\r\n", 1)
    assert done[0][0] == 400 and closed
    # a value with obs-text is not taken whole, yet answered by the hook through the parser
    done, closed = _exchange(server, _get("/early/o", b"X-Name: caf\xe9\r\n"), 1)
    assert done[0][2] == b"early /early/o" and not closed


def test_idle_connections_still_time_out_after_early_answers(idle_server: tuple[str, int]) -> None:
    # An early answer leaves the idle timer running (headerlimit.timeout_keep_alive_handler): the
    # connection stays open while answers come more often than the timeout, and closes once idle.
    with socket.create_connection(idle_server, timeout=5) as s:
        for i in range(4):  # 4 × 0.4 s: past the 1 s timeout counted from the first answer
            s.sendall(_get(f"/early/k{i}"))
            assert s.recv(65536).startswith(b"HTTP/1.1 200")
            time.sleep(0.4)
        s.settimeout(3)
        started = time.monotonic()
        assert s.recv(1) == b""  # closed by the server, about 1 s after the last answer
        assert 0.3 < time.monotonic() - started < 2.5


# (uvicorn's proxy options, X-Forwarded-For lines sent, the client the app sees)
FORWARDED_CASES = [
    ((), [], "127.0.0.1"),
    ((), ["203.0.113.7"], "203.0.113.7"),  # from loopback, trusted by default
    ((), ["203.0.113.7, 127.0.0.1"], "203.0.113.7"),  # the rightmost hop not trusted
    ((), ["198.51.100.1", "203.0.113.7"], "203.0.113.7"),  # two lines read as one list
    (("--forwarded-allow-ips", "10.9.9.9"), ["203.0.113.7"], "127.0.0.1"),  # the peer is not trusted
    (("--forwarded-allow-ips", "*"), ["203.0.113.7, 198.51.100.1"], "203.0.113.7"),  # every hop trusted
    (("--no-proxy-headers",), ["203.0.113.7"], "127.0.0.1"),
]


@pytest.fixture(scope="module", params=list(dict.fromkeys(opts for opts, _, _ in FORWARDED_CASES)), ids=str)
def proxied_server(request: pytest.FixtureRequest) -> Iterator[tuple[tuple[str, ...], tuple[str, int]]]:
    for addr in _serve(*request.param):
        yield request.param, addr


def test_the_hook_sees_the_client_the_app_sees(
    proxied_server: tuple[tuple[str, ...], tuple[str, int]],
) -> None:
    """Behind a load balancer the early hook is given the client address uvicorn's proxy-headers
    middleware gives the app (the gateway limits anonymous reads per that address), on both the whole
    head's way and the parser's."""
    options, server = proxied_server
    cases = [(lines, expected) for opts, lines, expected in FORWARDED_CASES if opts == options]
    assert cases
    for lines, expected in cases:
        extra = b"".join(b"X-Forwarded-For: " + line.encode() + b"\r\n" for line in lines)
        through_parser = extra + b"X-Name: caf\xe9\r\n"  # obs-text: not taken whole
        seen = [
            _exchange(server, _get(path, more), 1)[0][0][2].decode()
            for path, more in (
                ("/early/client", extra),
                ("/early/client", through_parser),
                ("/client", extra),
            )
        ]
        assert seen == [expected] * 3, (lines, seen)
