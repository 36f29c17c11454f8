"""Through the real gateway in front of the real services: routing, request ids, auth refusals."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from jiuzhu_devtools.testing import LiveStack

Auth = Callable[..., dict[str, str]]
Token = Callable[..., str]


def problem(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    assert r.json()["code"] == code, r.json()


async def test_each_prefix_reaches_its_own_service(live_stack: LiveStack) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        for prefix, name in (
            ("staffing", "staffing-calc"),
            ("procurement", "procurement"),
            ("evaluation", "evaluation"),
        ):
            r = await c.get(f"/api/{prefix}/healthz")
            assert r.status_code == 200 and r.json()["service"] == name
            assert len(r.headers.get_list("server")) == 1  # the upstream's server/date not duplicated
        problem(await c.get("/api/nowhere/x"), 404, "NOT_FOUND")
        problem(await c.get("/api/staffing/metrics"), 404, "ROUTE_NOT_FOUND")  # internal, not exposed
        problem(await c.get("/api/staffingx/healthz"), 404, "NOT_FOUND")


async def test_request_id_is_passed_on_or_made(live_stack: LiveStack, auth: Auth) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        r = await c.get("/api/procurement/readyz", headers={"X-Request-ID": "trace-abc.1"})
        assert r.headers["x-request-id"] == "trace-abc.1"
        made = await c.get("/api/procurement/readyz", headers={"X-Request-ID": "bad id with spaces"})
        assert (
            made.headers["x-request-id"] != "bad id with spaces" and len(made.headers["x-request-id"]) == 32
        )
        refused = await c.get("/api/staffing/scenarios/x", headers={"X-Request-ID": "rid-refused"})
        assert (
            refused.headers["x-request-id"] == "rid-refused" and refused.json()["request_id"] == "rid-refused"
        )


async def test_credentials_refused_at_the_gateway(live_stack: LiveStack, token: Token) -> None:
    sid = "00000000-0000-0000-0000-000000000001"
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        problem(await c.get(f"/api/staffing/scenarios/{sid}"), 401, "UNAUTHENTICATED")
        expired = token("bureau", "350802", ttl=-60)
        r = await c.get(f"/api/staffing/scenarios/{sid}", headers={"Authorization": f"Bearer {expired}"})
        problem(r, 401, "TOKEN_EXPIRED")
        forged = token("bureau", "350802")[:-4] + "AAAA"
        r = await c.get(f"/api/staffing/scenarios/{sid}", headers={"Authorization": f"Bearer {forged}"})
        problem(r, 401, "TOKEN_INVALID")
        r = await c.get(f"/api/staffing/scenarios/{sid}", headers={"Authorization": "Basic dXNlcjpwdw=="})
        problem(r, 401, "TOKEN_INVALID")
        # English on request, like every service
        r = await c.get("/api/evaluation/anything", headers={"Accept-Language": "en"})
        assert r.json()["title"] == "A valid credential is required"


async def test_role_refusal_comes_through_from_the_service(live_stack: LiveStack, auth: Auth) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        r = await c.put("/api/procurement/admin/calendar/2030", json={}, headers=auth("bureau", "350802"))
        problem(r, 403, "ROLE_FORBIDDEN")
        # the same token is fine where its role is enough: the gateway let it through both times
        r = await c.get(
            "/api/procurement/calendar/working-days",
            params={"start": "2025-09-30", "days": 1},
            headers=auth("bureau", "350802"),
        )
        # 30 September 2025, then the National Day and Mid-autumn holiday (1–8 October): the 9th.
        assert r.status_code == 200, r.text
        assert r.json() == {"start": "2025-09-30", "working_days": 1, "due": "2025-10-09"}


async def test_large_real_response_and_docs_pass_without_credential(live_stack: LiveStack) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        direct = await c.get(f"{live_stack.url('procurement')}/openapi.json")
        via = await c.get("/api/procurement/openapi.json")
        assert via.status_code == 200 and via.content == direct.content
        docs = await c.get("/api/procurement/docs")
        assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_large_export_streams_through_unchanged(live_stack: LiveStack, auth: Auth) -> None:
    """A calculation table (测算表) for a county with many townships: a >64 KiB JSON body streamed
    up, a CSV export streamed down, byte for byte what the service gives directly."""
    townships = [{"name": f"第{i}镇", "assisted_households": 100 + i} for i in range(1500)]
    body = {"on": "2019-06-01", "county": {"division_code": "440103", "townships": townships}}
    h = auth("bureau", "440103")
    async with httpx.AsyncClient(timeout=30) as c:
        direct = await c.post(
            f"{live_stack.url('staffing')}/tables/township?format=csv", json=body, headers=h
        )
        via = await c.post(
            f"{live_stack.gateway}/api/staffing/tables/township?format=csv", json=body, headers=h
        )
    assert direct.status_code == 200, direct.text
    assert via.status_code == 200 and via.content == direct.content
    assert len(via.content) > 64 * 1024 and via.headers["content-type"] == direct.headers["content-type"]


async def test_published_reference_reads_need_no_credential(live_stack: LiveStack, auth: Auth) -> None:
    """Rule packs, catalogue, workflows are public (issue 3: "the pack list and the rules themselves
    are public"); the same service's other reads still need a token."""
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        packs = await c.get("/api/staffing/packs")
        assert packs.status_code == 200 and any(p["id"] == "lingwu" for p in packs.json())
        one = await c.get("/api/staffing/packs/lingwu")
        assert one.status_code == 200
        assert (await c.get("/api/procurement/workflows/project/mermaid")).status_code == 200
        assert (await c.get("/api/procurement/catalogue")).status_code == 200
        assert (await c.get("/api/staffing/calendar/2026")).status_code == 200
        # Not on the list: a token is still required, and a write to a public path is not opened.
        assert (await c.get("/api/staffing/scenarios")).status_code == 401
        assert (await c.post("/api/staffing/packs", json={})).status_code == 401
