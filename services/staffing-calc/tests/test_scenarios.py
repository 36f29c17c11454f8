from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
import yaml

from jiuzhu_devtools.testing import TEST_SECRET, service_client
from jiuzhu_staffing.app import create
from jiuzhu_staffing.packs.loader import DATA_DIR, load_from
from jiuzhu_staffing.packs.registry import PackRegistry
from jiuzhu_staffing.settings import Settings

STAFFING = {
    "on": "2019-06-01",
    "county": {"division_code": "440103", "townships": [{"name": "甲镇", "assisted_households": 3001}]},
}


async def test_save_read_and_audit_a_scenario(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = {"division_code": "440103", "name": "荔湾 2019", "inputs": STAFFING}
    r = await client.post("/scenarios", json=body, headers=auth("bureau", "440103"))
    assert r.status_code == 201, r.text
    saved = r.json()
    sid = saved["id"]
    assert saved["pack_version"] == "gd-city-plan@1" and len(saved["pack_hash"]) == 16
    assert saved["result"]["totals"] == {"caseworker": 4 + 6}
    got = await client.get(f"/scenarios/{sid}", headers=auth("auditor", "440100"))
    assert (
        got.status_code == 200
        and got.json()["inputs"]["county"]["townships"][0]["assisted_households"] == 3001
    )
    # A sibling county cannot see it, and cannot tell it exists.
    other = await client.get(f"/scenarios/{sid}", headers=auth("bureau", "440104"))
    assert other.status_code == 404
    events = (await client.get(f"/scenarios/{sid}/events", headers=auth("bureau", "440103"))).json()
    assert [e["action"] for e in events] == ["scenario.saved"]
    assert events[0]["actor"] == "user-bureau-440103" and events[0]["jurisdiction"] == "440103"
    v = (await client.get(f"/scenarios/{sid}/events/verify", headers=auth("bureau", "440103"))).json()
    assert v["ok"] and v["events"] == 1
    rep = (await client.get(f"/scenarios/{sid}/reproduce", headers=auth("bureau", "440103"))).json()
    assert rep["identical"] is True and rep["current_differs"] is False


async def test_refusals_write_nothing(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    h = auth("bureau", "440103")
    r = await client.post(
        "/scenarios", json={"division_code": "440104", "name": "x", "inputs": STAFFING}, headers=h
    )
    assert r.status_code == 403
    r = await client.post(
        "/scenarios", json={"division_code": "440103", "name": "", "inputs": {}, "extra": 1}, headers=h
    )
    assert r.status_code == 422
    assert {e["pointer"] for e in r.json()["errors"]} == {"#/name", "#/extra"}
    bad = copy.deepcopy(STAFFING)
    bad["county"]["townships"][0]["assisted_households"] = -5  # type: ignore[index]
    r = await client.post(
        "/scenarios", json={"division_code": "440103", "name": "x", "inputs": bad}, headers=h
    )
    assert (
        r.status_code == 422
        and r.json()["errors"][0]["pointer"] == "#/inputs/county/townships/0/assisted_households"
    )
    early = {**STAFFING, "on": "2001-01-01"}
    r = await client.post(
        "/scenarios", json={"division_code": "440103", "name": "x", "inputs": early}, headers=h
    )
    assert r.status_code == 409 and r.json()["code"] == "NO_PACK_IN_FORCE"
    audit = await client.get("/scenarios/00000000-0000-0000-0000-000000000000", headers=h)
    assert audit.status_code == 404


def _registry_with_v2() -> PackRegistry:
    sources: list[tuple[str, Any]] = [
        (p.name, yaml.safe_load(p.read_text(encoding="utf-8")))
        for p in sorted(Path(DATA_DIR).glob("*.pack.yaml"))
    ]
    v2 = copy.deepcopy(next(raw for name, raw in sources if name == "gd-city-plan.pack.yaml"))
    v2["version"] = 2
    brackets = v2["parameters"]["township_caseworkers"]["values"][0]["brackets"]
    brackets[2]["value"] = 8  # a later revision raises 600户以上 to 8
    return PackRegistry(load_from([*sources, ("gd-city-plan-v2.pack.yaml", v2)]))


@pytest_asyncio.fixture(loop_scope="session")
async def client_v2(database_url: str) -> Any:
    settings = Settings(DATABASE_URL=database_url, JWT_SECRET=TEST_SECRET, JIUZHU_ENVIRONMENT="test")
    async with service_client(create(settings, packs=_registry_with_v2())) as c:
        yield c


async def test_saved_result_reproduces_after_the_pack_changes(
    client: httpx.AsyncClient, client_v2: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("bureau", "440103")
    r = await client.post(
        "/scenarios", json={"division_code": "440103", "name": "v1", "inputs": STAFFING}, headers=h
    )
    sid = r.json()["id"]
    # The service now runs with version 2 of the pack (the township bracket changed).
    rep = (await client_v2.get(f"/scenarios/{sid}/reproduce", headers=h)).json()
    assert rep["pack_version"] == "gd-city-plan@1" and rep["identical"] is True
    assert rep["result"]["totals"] == {"caseworker": 10}
    assert rep["current_pack_version"] == "gd-city-plan@2" and rep["current_differs"] is True
    new = (
        await client_v2.post(
            "/scenarios", json={"division_code": "440103", "name": "v2", "inputs": STAFFING}, headers=h
        )
    ).json()
    assert new["pack_version"] == "gd-city-plan@2" and new["result"]["totals"] == {"caseworker": 12}


async def test_list_scenarios_in_jurisdiction(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("bureau", "440103")
    for name in ("a", "b"):
        r = await client.post(
            "/scenarios", json={"division_code": "440103", "name": name, "inputs": STAFFING}, headers=h
        )
        assert r.status_code == 201, r.text
    page = (await client.get("/scenarios", params={"limit": 1}, headers=h)).json()
    assert [s["name"] for s in page["items"]] == ["b"] and page["next_cursor"] is not None
    assert "inputs" not in page["items"][0]
    rest = (await client.get("/scenarios", params={"cursor": page["next_cursor"]}, headers=h)).json()
    assert [s["name"] for s in rest["items"]] == ["a"] and rest["next_cursor"] is None
    city = (await client.get("/scenarios", headers=auth("auditor", "440100"))).json()
    assert [s["name"] for s in city["items"]] == ["b", "a"]
    assert [
        s["name"] for s in (await client.get("/scenarios", params={"q": "a"}, headers=h)).json()["items"]
    ] == ["a"]
    sibling = (await client.get("/scenarios", headers=auth("bureau", "440104"))).json()
    assert sibling == {"items": [], "next_cursor": None}
    # Another county's code as a filter finds nothing: the list stays inside your jurisdiction.
    peek = await client.get(
        "/scenarios", params={"division_code": "440103"}, headers=auth("bureau", "440104")
    )
    assert peek.status_code == 200 and peek.json()["items"] == []
