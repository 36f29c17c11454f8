"""A tiny upstream of our own for what real services cannot show on demand: a hung answer, a slow
stream, an echo of exactly what the gateway forwarded. Run: uvicorn --app-dir gateway/tests fake_upstream:app
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs

Scope = dict[str, Any]


async def _send_json(
    send: Any, status: int, obj: Any, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(obj).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path: str = scope["path"]
    query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
    if path in ("/healthz", "/readyz"):
        await _send_json(send, 200, {"status": "ready", "service": "fake"})
    elif path == "/metrics":  # what the gateway must never let through
        await _send_json(send, 200, {"secret": "metrics"})
    elif path == "/openapi.json":
        await _send_json(
            send, 200, {"openapi": "3.1.0", "info": {"title": "fake", "version": "0"}, "paths": {}}
        )
    elif path.endswith("/echo"):
        digest, size, more = hashlib.sha256(), 0, True
        while more:
            msg = await receive()
            chunk = msg.get("body", b"")
            digest.update(chunk)
            size += len(chunk)
            more = msg.get("more_body", False)
        headers: dict[str, list[str]] = {}
        for k, v in scope["headers"]:
            headers.setdefault(k.decode(), []).append(v.decode())
        await _send_json(
            send,
            200,
            {
                "method": scope["method"],
                "path": path,
                "raw_path": scope.get("raw_path", b"").decode(),
                "query": scope["query_string"].decode(),
                "headers": headers,
                "body_size": size,
                "body_sha256": digest.hexdigest(),
            },
            [(b"set-cookie", b"session=upstream-secret"), (b"x-upstream", b"fake")],
        )
    elif path.endswith("/slow"):
        await asyncio.sleep(float(query.get("seconds", "30")))
        await _send_json(send, 200, {"slept": True})
    elif path.endswith("/large"):
        # `mb` MiB in 64 KiB chunks, no Content-Length; a pause after the first chunk shows
        # whether the gateway passes bytes on as they come or waits for the whole body.
        total, chunk = int(query.get("mb", "16")) * 1024 * 1024, bytes(range(256)) * 256
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/octet-stream")],
            }
        )
        sent = 0
        while sent < total:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if sent == 0:
                await asyncio.sleep(float(query.get("pause", "0")))
            sent += len(chunk)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    elif path.endswith("/boom"):
        # A 500 that says keep-alive, then the app raises: uvicorn closes the connection right
        # behind the answer (what a service does when a handler fails after Starlette's 500).
        await _send_json(send, 500, {"code": "INTERNAL"})
        if query.get("close", "1") == "1":
            raise RuntimeError("boom after the answer")
    elif path.endswith("/redirect"):
        # A redirect to the upstream's own address, as Starlette's trailing-slash redirect does.
        server = scope["server"]
        where = f"http://{server[0]}:{server[1]}/public/echo?x=1" if "/public/" in path else ""
        where = where or f"http://{server[0]}:{server[1]}/items/7?x=1"
        location = query.get("to", where)
        await _send_json(send, 307, {}, [(b"location", location.encode())])
    else:
        await _send_json(send, 404, {"code": "NOT_FOUND"})
