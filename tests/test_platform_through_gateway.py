"""The platform end to end: real processes, a token, the gateway routing to every service."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from jiuzhu_devtools.testing import LiveStack

# A Guangzhou (seed 000) county with one township just above the 300-household bracket.
STAFFING = {
    "on": "2019-06-01",
    "county": {"division_code": "440103", "townships": [{"name": "甲镇", "assisted_households": 301}]},
}


async def test_each_service_answers_through_the_gateway(live_stack: LiveStack) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        for prefix, name in (
            ("staffing", "staffing-calc"),
            ("procurement", "procurement"),
            ("evaluation", "evaluation"),
        ):
            r = await c.get(f"/api/{prefix}/readyz", headers={"X-Request-ID": f"rid-{prefix}"})
            assert r.status_code == 200, r.text
            assert r.json()["service"] == name and r.json()["database"] == "ok"
            assert r.headers["x-request-id"] == f"rid-{prefix}"


async def test_write_through_gateway_is_audited(
    live_stack: LiveStack, auth: Callable[..., dict[str, str]]
) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        r = await c.post(
            "/api/staffing/scenarios",
            json={"division_code": "440103", "name": "荔湾区测算", "inputs": STAFFING},
            headers={**auth("bureau", "440103"), "X-Request-ID": "e2e-write-1"},
        )
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        events = (
            await c.get(f"/api/staffing/scenarios/{sid}/events", headers=auth("auditor", "440100"))
        ).json()
        assert events[0]["request_id"] == "e2e-write-1" and events[0]["actor"] == "user-bureau-440103"
        denied = await c.get(f"/api/staffing/scenarios/{sid}", headers=auth("bureau", "440104"))
        assert denied.status_code == 404


async def test_reference_reads_answer_through_the_gateway(
    live_stack: LiveStack, auth: Callable[..., dict[str, str]]
) -> None:
    """Health, readiness and the reference data every service publishes (rule packs and the documents
    they cite, the working-day calendar, staffing packs and pilot checks, thresholds, the negative
    list, workflows) answer 200 through the gateway, so the contract's examples come from real
    answers."""
    bureau = auth("bureau", "350802")
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=30) as c:

        async def ok(path: str, **params: object) -> httpx.Response:
            r = await c.get(path, params=params, headers=bureau)
            assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
            return r

        for path in ("/readyz", "/api/staffing/healthz", "/api/procurement/healthz"):
            r = await c.get(path)
            assert r.status_code == 200, f"{path}: {r.text}"
        for prefix in ("staffing", "procurement", "evaluation"):
            packs = (await ok(f"/api/{prefix}/rules")).json()
            assert packs, prefix
            first = packs[0]
            await ok(f"/api/{prefix}/rules/{first['id']}", version=first["version"])
            await ok(f"/api/{prefix}/rules/documents")
            await ok(f"/api/{prefix}/rules/in-force", division_code="350802", on="2019-07-01")
        for prefix in ("staffing", "evaluation"):
            await ok(f"/api/{prefix}/calendar/working-days", start="2019-01-02", days=20)
        staffing_packs = (await ok("/api/staffing/packs")).json()
        await ok(f"/api/staffing/packs/{staffing_packs[0]['id']}")
        await ok("/api/staffing/packs/in-force", division_code="350802", on="2019-07-01")
        # Sichuan's pilot list for 2019 (seed 004: one county of Chengdu, one township), then its
        # check against the pilot rules.
        province = auth("bureau", "510000")
        pilots = {"counties": [{"division_code": "510121", "townships": ["赵镇街道"]}]}
        r = await c.put("/api/staffing/pilots/510000/2019", json=pilots, headers=province)
        assert r.status_code == 200, r.text
        r = await c.get(
            "/api/staffing/pilots/510000/2019/check", params={"on": "2019-07-01"}, headers=province
        )
        assert r.status_code == 200, r.text
        for history in ("events", "events/verify"):
            r = await c.get(f"/api/staffing/pilots/510000/2019/{history}", headers=auth("auditor", "510000"))
            assert r.status_code == 200, r.text
        await ok("/api/procurement/thresholds", division_code="350802", on="2019-07-01")
        await ok("/api/procurement/negative-list", division_code="350802", on="2019-07-01")
        await ok("/api/procurement/workflows")
        await ok("/api/procurement/workflows/project")
        mermaid = await ok("/api/procurement/workflows/project/mermaid")
        assert mermaid.text.startswith("stateDiagram")
        await ok("/api/changes", limit=5)
        page = await c.get("/api/public/evaluation/survey")  # the public survey page, no token
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), page.text
