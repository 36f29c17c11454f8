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
