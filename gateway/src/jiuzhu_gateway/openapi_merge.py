"""One OpenAPI for the whole API, built from the services' own /openapi.json.

- paths get the gateway prefix (`/scenarios` → `/api/staffing/scenarios`); a service's `/public/…`
  paths appear once, as `/api/public/<service>/…`, without security;
- component schemas are namespaced per service (`staffing.ScenarioOut`) and every `$ref` rewritten,
  so two services' same-named models never collide; operationIds and tags likewise;
- every secured operation also accepts an API key (`X-API-Key`);
- the gateway's own endpoints (admin API) are added as they are.
Fetched in the background at start, cached for `openapi_cache_seconds`; a service that cannot be
reached keeps its last good contract (listed in `x-jiuzhu-missing` until first fetched).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from jiuzhu_gateway import SERVICES, VERSION
from jiuzhu_gateway.settings import GatewaySettings

log = logging.getLogger("jiuzhu.gateway.openapi")

REF = "#/components/schemas/"
METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
API_KEY_SCHEME = {
    "type": "apiKey",
    "in": "header",
    "name": "X-API-Key",
    "description": "API key for system integrations (`jzk_…`), issued by an administrator",
}


def _rewrite_refs(node: Any, service: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith(REF):
                out[k] = REF + f"{service}.{v[len(REF) :]}"
            else:
                out[k] = _rewrite_refs(v, service)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, service) for v in node]
    return node


def merge(specs: dict[str, dict[str, Any]], own: dict[str, Any]) -> dict[str, Any]:
    """Pure: the merged document from each service's spec and the gateway's own."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    schemes: dict[str, Any] = {"ApiKey": API_KEY_SCHEME}
    tags: list[dict[str, Any]] = []
    for service, spec in specs.items():
        spec = _rewrite_refs(spec, service)
        comps = spec.get("components", {})
        for name, schema in comps.get("schemas", {}).items():
            schemas[f"{service}.{name}"] = schema
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
                if "operationId" in op:
                    op["operationId"] = f"{service}_{op['operationId']}"
                op["tags"] = [f"{service} · {t}" for t in op.get("tags", [])] or [service]
                if public:
                    op.pop("security", None)
                elif op.get("security"):
                    op["security"] = [*op["security"], {"ApiKey": []}]
                new_item[method] = op
            paths[new_path] = new_item
    own_comps = own.get("components", {})
    schemas.update(own_comps.get("schemas", {}))
    schemes.update(own_comps.get("securitySchemes", {}))
    paths.update(own.get("paths", {}))
    tags += own.get("tags", [])
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
        },
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
        return get_openapi(title="gateway", version=VERSION, routes=self.app.routes)

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
