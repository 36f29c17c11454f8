"""A server for test_answer_early.py: `GET /early…` answered by the protocol's early hook, the rest
by a plain ASGI app (`/slow` after a pause, so a request pipelined behind it must wait its turn);
`/early/client` and `/client` answer with the client address each way was given."""

from __future__ import annotations

import asyncio

from starlette.types import Receive, Scope, Send

from jiuzhu_kit import headerlimit


def _early(head: headerlimit.Head, client: tuple[str, int] | None) -> tuple[bytes, bytes] | None:
    if not head.target.startswith(b"/early"):
        return None
    body = b"early " + head.target
    if head.target == b"/early/client":  # the address the hook was given, as /client shows the app's
        body = (client[0] if client else "-").encode()
    return b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n" % len(body), body


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(0.3)
    body = b"asgi " + scope["method"].encode() + b" " + scope["path"].encode()
    if scope["path"] == "/client":
        body = scope["client"][0].encode() if scope.get("client") else b"-"
    while (await receive()).get("more_body"):
        pass
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create() -> object:
    headerlimit.answer_early(_early)
    return _app
