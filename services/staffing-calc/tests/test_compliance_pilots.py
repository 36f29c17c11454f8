"""Compliance reports (required vs actual, gaps, roll-ups, overdue) and Sichuan pilot checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from jiuzhu_staffing.regions.known import known

COUNTY = {
    "division_code": "440103",
    "townships": [
        {"name": "甲镇", "assisted_households": 300},
        {"name": "乙街道", "kind": "street_office", "assisted_households": 601},
    ],
}


def report(**kw: Any) -> dict[str, Any]:
    body = {
        "year": 2019,
        "on": "2019-06-01",
        "county": COUNTY,
        "actual": [
            {"unit_name": "荔湾区", "role": "caseworker", "people": 2},
            {"unit_name": "甲镇", "role": "caseworker", "people": 1},
            {"unit_name": "乙街道", "role": "caseworker", "people": 6},
        ],
        "pay_level": "48000.00",
        "contract_ref": "LW-2019-001",
        "trainings_held": 1,
    }
    body.update(kw)
    return body


async def test_report_gaps_rollup_and_overdue(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("bureau", "440103")
    r = await client.post("/compliance/reports", json=report(), headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1
    out = (await client.get("/compliance/reports/440103/2019", headers=auth("auditor", "440000"))).json()
    gaps = {(u["unit_name"], u["role"]): u["gap"] for u in out["units"]}
    assert gaps == {("荔湾区", "caseworker"): 0, ("甲镇", "caseworker"): 1, ("乙街道", "caseworker"): 0}
    assert (out["required"], out["actual"], out["gap"]) == (10, 9, 1)
    assert out["pay"] == {
        "required": "50000.00",
        "actual": "48000.00",
        "citation": "seed 000 二(七)",
        "gap": "2000.00",
        "ok": False,
    }
    assert out["documents"]["ok"] is False and out["due"] == "2019-06-10" and out["compliant"] is False
    assert (
        await client.get("/compliance/reports/440103/2019", headers=auth("bureau", "440104"))
    ).status_code == 404
    s = (
        await client.get(
            "/compliance/summary",
            params={"division_code": "440100", "year": 2019, "on": "2019-06-11"},
            headers=auth("auditor", "440100"),
        )
    ).json()
    assert [c["division_code"] for c in s["counties"]] == ["440103"]
    assert s["cities"] == [
        {"division_code": "440100", "name": "广州市", "reports": 1, "required": 10, "actual": 9, "gap": 1}
    ]
    overdue = {o["division_code"] for o in s["overdue"]}
    assert (
        "440103" not in overdue and "440104" in overdue and len(overdue) == 10
    )  # Guangzhou's other districts
    s = (
        await client.get(
            "/compliance/summary",
            params={"division_code": "440100", "year": 2019, "on": "2019-06-10"},
            headers=auth("auditor", "440100"),
        )
    ).json()
    assert s["overdue"] == []  # due on 6月10日 itself: not yet overdue


async def test_update_needs_version_and_refusals_store_nothing(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("bureau", "440103")
    assert (await client.post("/compliance/reports", json=report(), headers=h)).status_code == 201
    r = await client.post("/compliance/reports", json=report(), headers=h)
    assert r.status_code == 409 and r.json()["code"] == "REPORT_EXISTS"
    first = (await client.get("/compliance/reports", params={"year": 2019}, headers=h)).json()["items"][0]
    href = "/compliance/reports/440103/2019"
    assert r.json()["existing"] == {"id": first["id"], "href": href} and r.headers["location"] == href
    r = await client.post("/compliance/reports", json=report(expected_version=7), headers=h)
    assert r.status_code == 409 and r.json()["code"] == "CONCURRENT_UPDATE"
    fixed = report(
        expected_version=1,
        working_funds_document="荔民〔2019〕1号",
        pay_level="50000.00",
        actual=[
            {"unit_name": "荔湾区", "role": "caseworker", "people": 2},
            {"unit_name": "甲镇", "role": "caseworker", "people": 2},
            {"unit_name": "乙街道", "role": "caseworker", "people": 6},
        ],
    )
    r = await client.post("/compliance/reports", json=fixed, headers=h)
    assert r.status_code == 201 and r.json()["version"] == 2
    out = (await client.get("/compliance/reports/440103/2019", headers=h)).json()
    assert out["gap"] == 0 and out["pay"]["ok"] and out["documents"]["ok"]
    bad = report(year=2020, actual=[{"unit_name": "甲镇", "role": "caseworker", "people": -1}])
    assert (await client.post("/compliance/reports", json=bad, headers=h)).status_code == 422
    early = report(year=2018, on="2018-01-01")
    r = await client.post("/compliance/reports", json=early, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "NO_PACK_IN_FORCE"
    assert (
        await client.post("/compliance/reports", json=report(), headers=auth("auditor", "440103"))
    ).status_code == 403
    s = (
        await client.get(
            "/compliance/summary",
            params={"division_code": "440103", "year": 2018, "on": "2019-07-01"},
            headers=h,
        )
    ).json()
    assert s["counties"] == []


async def test_lingwu_trainings(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    county = {"division_code": "640181", "townships": [{"name": "城区街道", "kind": "street_office"}]}
    body = {
        "year": 2019,
        "on": "2019-03-01",
        "county": county,
        "actual": [],
        "pay_level": "37440.00",
        "trainings_held": 1,
        "contract_ref": "c",
        "working_funds_document": "d",
    }
    assert (
        await client.post("/compliance/reports", json=body, headers=auth("bureau", "640181"))
    ).status_code == 201
    out = (await client.get("/compliance/reports/640181/2019", headers=auth("bureau", "640181"))).json()
    assert out["trainings"] == {
        "required": 2,
        "held": 1,
        "citation": "灵政办发〔2018〕201号 六(三)",
        "ok": False,
    }
    assert out["pay"]["required"] == "37440.00" and out["pay"]["ok"] is True
    assert out["required"] == 3 and out["due"] is None


async def test_sichuan_pilots(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    h = auth("bureau", "510000")
    body = {
        "counties": [
            {"division_code": "510104", "townships": ["甲镇"]},
            {"division_code": "510121", "townships": ["乙镇"]},
            {"division_code": "510302", "townships": ["丙镇", "丁镇", "戊镇"]},
        ]
    }
    r = await client.put("/pilots/510000/2017", json=body, headers=h)
    assert r.status_code == 200, r.text
    c = (await client.get("/pilots/510000/2017/check", headers=auth("auditor", "510000"))).json()
    assert c["pack"] == "sichuan-pilot@1" and c["ok"] is False
    chengdu = next(x for x in c["cities"] if x["division_code"] == "510100")
    assert chengdu["ok"] is False and "确定了2个试点县，应为1个" in chengdu["problem"]
    zigong = next(x for x in c["counties"] if x["division_code"] == "510302")
    assert zigong["townships"] == 3 and "应为1至2个" in zigong["problem"]
    assert sum(1 for x in c["cities"] if x["pilot_counties"] == []) == len(c["cities"]) - 2
    r = await client.put("/pilots/510000/2017", json=body, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "PILOTS_EXIST"
    r = await client.put(
        "/pilots/510000/2017", json={"counties": [{"division_code": "350802", "townships": []}]}, headers=h
    )
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/counties/0/division_code"
    assert (
        await client.put("/pilots/510000/2017", json=body, headers=auth("bureau", "440000"))
    ).status_code == 403
    # One county per city, one or two townships each: the check passes.
    k = known()
    fixed = [
        {"division_code": k.counties(city)[0], "townships": ["甲镇", "乙镇"][: 1 + i % 2]}
        for i, city in enumerate(k.cities("510000"))
    ]
    r = await client.put("/pilots/510000/2017", json={"counties": fixed, "expected_version": 1}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 2
    c = (await client.get("/pilots/510000/2017/check", headers=h)).json()
    assert c["ok"] is True and c["problems"] == []


async def test_reports_list_in_jurisdiction_by_division_and_year(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    made = {}
    for div, year in (("440104", 2020), ("440105", 2020), ("440104", 2021), ("440303", 2020)):
        county = {**COUNTY, "division_code": div}
        body = report(year=year, on=f"{year}-06-01", county=county)
        r = await client.post("/compliance/reports", json=body, headers=auth("bureau", div))
        assert r.status_code == 201, r.text
        made[div, year] = r.json()["id"]
    city = auth("auditor", "440100")
    seen, cursor = [], None
    while True:  # paged through by one: each report once, latest year first
        params: dict[str, Any] = {"limit": 1}
        params |= {"cursor": cursor} if cursor else {}
        page = (await client.get("/compliance/reports", params=params, headers=city)).json()
        seen += [(x["division_code"], x["year"]) for x in page["items"] if x["year"] >= 2020]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [("440104", 2021), ("440105", 2020), ("440104", 2020)], "Shenzhen's absent"
    r = await client.get("/compliance/reports", params={"division_code": "440104"}, headers=city)
    assert [x["id"] for x in r.json()["items"]] == [made["440104", 2021], made["440104", 2020]]
    r = await client.get(
        "/compliance/reports", params={"year": 2020, "division_code": "440105"}, headers=city
    )
    assert [x["id"] for x in r.json()["items"]] == [made["440105", 2020]]
    r = await client.get("/compliance/reports", params={"division_code": "440303"}, headers=city)
    assert r.json()["items"] == []
    r = await client.get("/compliance/reports", headers=auth("township", "440104"))
    assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")
    r = await client.get("/compliance/reports", params={"cursor": "W10"}, headers=city)
    assert (r.status_code, r.json()["code"]) == (400, "CURSOR_INVALID")
