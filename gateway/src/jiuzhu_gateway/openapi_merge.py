"""One OpenAPI for the whole API, built from the services' own /openapi.json.

- paths get the gateway prefix (`/scenarios` → `/api/staffing/scenarios`); a service's `/public/…`
  paths appear once, as `/api/public/<service>/…`, without security;
- component schemas are namespaced per service (`staffing.ScenarioOut`) and every `$ref` rewritten,
  so two services' same-named models never collide; operationIds and tags likewise;
- every secured operation also accepts an API key (`X-API-Key`);
- `/docs` groups operations by audience: an operation's tags are its `x-audience` (kit contract.py:
  public, bureau, contractor, finance, integration), the gateway's own (API keys) `integration`;
- the gateway's own endpoints (admin API) are added as they are.
Fetched in the background at start, cached for `openapi_cache_seconds`; a service that cannot be
reached keeps its last good contract (listed in `x-jiuzhu-missing` until first fetched).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import httpx
from fastapi import FastAPI

from jiuzhu_gateway import SERVICES, VERSION
from jiuzhu_gateway.settings import GatewaySettings
from jiuzhu_kit.contract import AUDIENCES

log = logging.getLogger("jiuzhu.gateway.openapi")

REF = "#/components/schemas/"
METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
API_KEY_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "X-API-Key",
    "description": "API key for system integrations (`jzk_…`), issued by an administrator",
}


# What the gateway itself answers on every proxied operation, before or instead of the service.
GATEWAY_RESPONSES: dict[str, str] = {
    "401": "`UNAUTHENTICATED`, `TOKEN_INVALID`, `TOKEN_EXPIRED`, `API_KEY_INVALID`: no usable credential",
    "413": "`PAYLOAD_TOO_LARGE`: the request body is over the limit",
    "429": "`RATE_LIMITED`: too many requests from this caller or address; see `Retry-After`",
    "431": "`HEADERS_TOO_LARGE`: too many or too large request headers",
    "502": "`UPSTREAM_UNAVAILABLE`: the service could not be reached",
    "503": "`UPSTREAM_CIRCUIT_OPEN`, `SERVICE_UNAVAILABLE`: the service is unavailable; retry later",
    "504": "`UPSTREAM_TIMEOUT`: the service did not answer in time",
}
PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": REF + "Problem"}}}
RETRY_AFTER = {
    "description": "seconds to wait before retrying",
    "schema": {"type": "integer", "minimum": 0},
    "example": 30,
}
LICENSE = {
    "name": "Proprietary: all rights reserved (no licence is granted by publishing this contract)",
    "identifier": "LicenseRef-Proprietary",
}


def _rewrite_refs(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith(REF):
                out[k] = REF + names[v[len(REF) :]]
            else:
                out[k] = _rewrite_refs(v, names)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, names) for v in node]
    return node


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        out: set[str] = set()
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith(REF):
                out.add(v[len(REF) :])
            else:
                out |= _refs(v)
        return out
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _pascal(name: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^0-9A-Za-z]+", name) if w)


def shared_schemas(specs: dict[str, dict[str, Any]]) -> set[str]:
    """Schema names that every service defining them defines identically (the kit's: `Problem`,
    `AuditEventOut`, …) and whose references are shared too: one name in the merged contract."""
    defs: dict[str, list[Any]] = {}
    for spec in specs.values():
        for name, schema in spec.get("components", {}).get("schemas", {}).items():
            defs.setdefault(name, []).append(schema)
    shared = {n for n, ds in defs.items() if all(d == ds[0] for d in ds)}
    while True:  # a schema that refers to a namespaced one is namespaced too
        keep = {n for n in shared if _refs(defs[n][0]) <= shared}
        if keep == shared:
            return shared
        shared = keep


def _operation_ids(specs: dict[str, dict[str, Any]], own: dict[str, Any]) -> dict[str, set[str]]:
    """Per service, the operation ids another service (or the gateway) also uses: those are
    prefixed with the service in the merged contract (`staffingHealthz`); all others stay as is."""
    seen: dict[str, set[str]] = {}
    for service, spec in {**specs, "gateway": own}.items():
        for item in spec.get("paths", {}).values():
            for method, op in item.items():
                if method in METHODS and "operationId" in op:
                    seen.setdefault(op["operationId"], set()).add(service)
    return {s: {i for i, owners in seen.items() if s in owners and len(owners) > 1} for s in specs}


def _gateway_responses(op: dict[str, Any], secured: bool) -> None:
    responses = op.setdefault("responses", {})
    for status, description in GATEWAY_RESPONSES.items():
        if status == "401" and not secured:
            continue
        if status == "413" and "requestBody" not in op:
            continue
        if status not in responses:
            responses[status] = {"description": description, "content": PROBLEM_CONTENT}
        if status == "429":
            responses[status]["headers"] = {"Retry-After": RETRY_AFTER}


def merge(specs: dict[str, dict[str, Any]], own: dict[str, Any]) -> dict[str, Any]:
    """Pure: the merged document from each service's spec and the gateway's own."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    schemes: dict[str, Any] = {"ApiKey": API_KEY_SCHEME}
    tags: list[dict[str, Any]] = []
    shared = shared_schemas({**specs, "gateway": own})
    clashes = _operation_ids(specs, own)
    for service, spec in specs.items():
        local = spec.get("components", {}).get("schemas", {})
        names = {n: n if n in shared else f"{service}.{n}" for n in local}
        spec = _rewrite_refs(spec, names)
        comps = spec.get("components", {})
        for name, schema in comps.get("schemas", {}).items():
            merged_name = names[name]
            # Generators name classes by `title`: one title per schema in the whole contract.
            schemas[merged_name] = {**schema, "title": _pascal(merged_name)}
        schemes.update(comps.get("securitySchemes", {}))
        for tag in spec.get("tags", []):
            tags.append({**tag, "name": f"{service} · {tag['name']}"})
        for path, item in spec.get("paths", {}).items():
            public = path == "/public" or path.startswith("/public/")
            new_path = f"/api/public/{service}{path[len('/public') :]}" if public else f"/api/{service}{path}"
            new_item = {}
            for method, op in item.items():
                if method not in METHODS:
                    new_item[method] = op
                    continue
                op = dict(op)
                if op.get("operationId") in clashes[service]:
                    op["operationId"] = service + op["operationId"][:1].upper() + op["operationId"][1:]
                if op.get("x-audience"):  # grouped by who calls it; the path names the service
                    op["tags"] = list(op["x-audience"])
                else:
                    op["tags"] = [f"{service} · {t}" for t in op.get("tags", [])] or [service]
                if public:
                    op["security"] = []
                elif op.get("security") and op["security"] != []:
                    op["security"] = [*op["security"], {"ApiKey": []}]
                secured = any(req for req in op.get("security", []))
                op["responses"] = {k: dict(v) for k, v in op.get("responses", {}).items()}
                _gateway_responses(op, secured)
                new_item[method] = op
            paths[new_path] = new_item
    own_comps = own.get("components", {})
    for name, schema in own_comps.get("schemas", {}).items():
        schemas.setdefault(name, {**schema, "title": _pascal(name)})
    schemes.update(own_comps.get("securitySchemes", {}))
    for path, item in own.get("paths", {}).items():
        for method, op in item.items():
            if method in METHODS:
                op["tags"], op["x-audience"] = ["integration"], ["integration"]  # admin of API keys
            if method in METHODS:  # the head limits hold before any route (the proxy's limits do not)
                op.setdefault("responses", {}).setdefault(
                    "431", {"description": GATEWAY_RESPONSES["431"], "content": PROBLEM_CONTENT}
                )
        paths[path] = item
    tags += own.get("tags", [])
    used = {
        t
        for item in paths.values()
        for op in item.values()
        if isinstance(op, dict)
        for t in op.get("tags", [])
    }
    tags = [{"name": a, "description": d} for a, d in AUDIENCES.items()] + [
        t for t in tags if t["name"] in used and t["name"] not in AUDIENCES
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Jiuzhu API 九州社会救助服务购买平台",
            "version": VERSION,
            "description": (
                "One entrance to staffing-calc, procurement and evaluation. Authenticate with a JWT "
                "(`Authorization: Bearer …`) or an API key (`X-API-Key`); `/api/public/…` needs none. "
                "Errors are RFC 9457 problem+json with a stable `code`."
            ),
            "license": LICENSE,
        },
        "servers": [{"url": "/", "description": "the gateway that serves this contract"}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items())), "securitySchemes": schemes},
        "tags": tags,
    }


class MergedOpenAPI:
    def __init__(self, settings: GatewaySettings, app: FastAPI) -> None:
        self.settings = settings
        self.app = app
        self.specs: dict[str, dict[str, Any]] = {}
        self.fetched_at = 0.0
        self._doc: dict[str, Any] | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def _own(self) -> dict[str, Any]:
        return self.app.openapi()

    async def _fetch(self, client: httpx.AsyncClient, service: str) -> None:
        base = getattr(self.settings, f"upstream_{service}").rstrip("/")
        try:
            r = await client.get(f"{base}/openapi.json")
            r.raise_for_status()
            self.specs[service] = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("could not fetch %s OpenAPI: %s", service, exc)

    async def refresh(self) -> dict[str, Any]:
        async with self._lock:
            async with httpx.AsyncClient(timeout=5) as client:
                await asyncio.gather(*(self._fetch(client, s) for s in SERVICES))
            self.fetched_at = time.monotonic()
            doc = merge(self.specs, self._own())
            missing = [s for s in SERVICES if s not in self.specs]
            if missing:
                doc["x-jiuzhu-missing"] = missing
            self._doc = doc
            return doc

    async def get(self) -> dict[str, Any]:
        age = time.monotonic() - self.fetched_at
        incomplete = self._doc is not None and "x-jiuzhu-missing" in self._doc and age > 5
        if self._doc is None or age > self.settings.openapi_cache_seconds or incomplete:
            return await self.refresh()
        return self._doc

    def prefetch(self) -> None:
        async def run() -> None:
            for _ in range(20):  # services may start after the gateway: retry for ~10 s
                doc = await self.refresh()
                if "x-jiuzhu-missing" not in doc:
                    return
                await asyncio.sleep(0.5)

        self._task = asyncio.create_task(run())

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
