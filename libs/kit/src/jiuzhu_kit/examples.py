"""The contract's examples, produced by tests so they stay true.

Capture: with `JIUZHU_CAPTURE_EXAMPLES=<dir>` (tests only; ignored in prod) a service records each
request it answers with a 2xx JSON or text answer — route template, path and query values, request body,
media type and response — one JSON line per exchange in `<dir>/<service>-<pid>.jsonl`. `python -m
jiuzhu_devtools.examples <dir>` picks one exchange per operation into the service's committed
`contract_examples.json`; `apply` puts those into the OpenAPI (`make openapi`), and
tests/test_contract.py validates every example against its schema.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ENV = "JIUZHU_CAPTURE_EXAMPLES"
JSON = "application/json"


class CaptureExamples:
    """ASGI middleware: record 2xx JSON exchanges for the contract's examples (see module doc)."""

    def __init__(self, app: ASGIApp, service: str, directory: str) -> None:
        self.app = app
        self.file = Path(directory) / f"{service}-{os.getpid()}.jsonl"
        self.file.parent.mkdir(parents=True, exist_ok=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request: list[bytes] = []
        response: list[bytes] = []
        head: dict[str, Any] = {}

        async def receive_(  # the body as the app reads it
        ) -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request.append(message.get("body", b""))
            return message

        async def send_(message: Message) -> None:
            if message["type"] == "http.response.start":
                head["status"] = message["status"]
                head["type"] = dict(message.get("headers", [])).get(b"content-type", b"").decode("latin-1")
            elif message["type"] == "http.response.body":
                response.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive_, send_)
        route = scope.get("route")  # a lean route (jiuzhu_kit.lean) has its FastAPI twin's template as path
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        media = head.get("type", "").split(";")[0].strip()
        if template is None or not 200 <= head.get("status", 0) < 300 or not _recorded(media):
            return
        try:
            body = b"".join(request)
            answer = b"".join(response)
            line = {
                "method": scope["method"],
                "path": template,
                "path_params": {k: str(v) for k, v in scope.get("path_params", {}).items()},
                "query": dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
                "request": json.loads(body) if body else None,
                "status": head["status"],
                "media": media,
                "response": json.loads(answer) if media == JSON else answer.decode("utf-8-sig"),
            }
        except ValueError:  # not JSON (or not UTF-8 text) after all
            return
        with self.file.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


def _recorded(media: str) -> bool:
    """JSON answers, and text ones (CSV tables, Mermaid diagrams, HTML pages) as their text."""
    return media == JSON or media.startswith("text/")


def capture_directory(environment: str) -> str | None:
    """Where to record examples, if the tests asked for it (never in prod)."""
    directory = os.environ.get(ENV)
    return directory if directory and environment != "prod" else None


def apply(schema: dict[str, Any], examples: dict[str, Any]) -> None:
    """Put the committed examples (`"METHOD /path"` → parameters, request, response) into the
    OpenAPI where it has none of its own."""
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            ex = examples.get(f"{method.upper()} {path}")
            if not isinstance(op, dict) or ex is None:
                continue
            values = {**ex.get("query", {}), **ex.get("path_params", {})}
            for param in op.get("parameters", []):
                if param["in"] in ("path", "query") and param["name"] in values and "example" not in param:
                    param["example"] = _typed(values[param["name"]], param.get("schema", {}))
            body = op.get("requestBody", {}).get("content", {}).get(JSON)
            if body is not None and ex.get("request") is not None and "example" not in body:
                body["example"] = ex["request"]
            content = op.get("responses", {}).get(str(ex.get("status")), {}).get("content", {})
            answer = content.get(ex.get("media", JSON))
            if answer is not None and "example" not in answer:
                answer["example"] = ex["response"]


def _typed(value: str, schema: dict[str, Any]) -> Any:
    """A path or query value as its schema types it (they arrive as text)."""
    types = {b.get("type") for b in schema.get("anyOf", [schema])}
    for kind, cast in (("integer", int), ("number", float)):
        if kind in types:
            try:
                return cast(value)
            except ValueError:
                pass
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    return value


def load(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
