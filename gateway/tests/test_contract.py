"""One merged OpenAPI at /openapi.json and docs at /docs, built from the running services."""

from __future__ import annotations

import asyncio

import httpx

from jiuzhu_devtools.testing import LiveStack


async def test_merged_openapi_has_every_service_under_its_prefix(live_stack: LiveStack) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        for _ in range(50):
            doc = (await c.get("/openapi.json")).json()
            if "x-jiuzhu-missing" not in doc:
                break
            await asyncio.sleep(0.2)
        assert "x-jiuzhu-missing" not in doc
        staffing = (await c.get(f"{live_stack.url('staffing')}/openapi.json")).json()
        procurement = (await c.get(f"{live_stack.url('procurement')}/openapi.json")).json()
        docs = await c.get("/docs")
    paths = doc["paths"]
    for p in staffing["paths"]:  # its public routes sit with every service's, under /api/public
        public_path = f"/api/public/staffing{p.removeprefix('/public')}"
        assert (public_path if p.startswith("/public/") else f"/api/staffing{p}") in paths
    public = [p for p in procurement["paths"] if p.startswith("/public/")]
    assert public, "procurement publishes public endpoints"
    for p in public:
        merged = paths[f"/api/public/procurement{p.removeprefix('/public')}"]
        assert all(op["security"] == [] for op in merged.values())
        assert f"/api/procurement{p}" not in paths
    assert "/api/gateway/api-keys" in paths
    # every $ref resolves inside the merged document
    refs = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref":
                    refs.add(v.removeprefix("#/components/schemas/"))
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    assert refs and refs <= set(doc["components"]["schemas"])
    assert (
        "Problem" in doc["components"]["schemas"] and "staffing.Problem" not in doc["components"]["schemas"]
    )
    assert doc["components"]["securitySchemes"]["ApiKey"]["name"] == "X-API-Key"
    op_ids = [op["operationId"] for item in paths.values() for op in item.values() if "operationId" in op]
    assert len(op_ids) == len(set(op_ids))
    assert docs.status_code == 200 and "/openapi.json" in docs.text


async def test_readyz_reports_each_service(live_stack: LiveStack) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        r = await c.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["database"] == "ok" and body["status"] == "ready"
    assert {k: v["status"] for k, v in body["services"].items()} == {
        "staffing": "ready",
        "procurement": "ready",
        "evaluation": "ready",
    }
