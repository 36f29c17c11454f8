"""Staffing and budget through HTTP: public pack rules, explanations, refusals that store nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import asyncpg
import httpx

from jiuzhu_devtools.seeds import LINGWU_COUNTY
from jiuzhu_devtools.testing import asyncpg_dsn


async def test_pack_list_and_rules_are_public(client: httpx.AsyncClient) -> None:
    r = await client.get("/packs")
    assert r.status_code == 200
    ids = {p["id"] for p in r.json()}
    assert {"gd-city-plan", "lingwu", "longyan", "shanghai", "sichuan-pilot"} <= ids
    d = (await client.get("/packs/gd-city-plan")).json()
    brackets = d["parameters"]["county_caseworkers"]["values"][0]["brackets"]
    assert [b["range"] for b in brackets] == ["[0, 3000]", "(3000, 5000]", "(5000, 8000)", "[8000, inf)"]
    assert brackets[1]["phrase"] == "3000户到5000户" and brackets[1]["citation"]["text"] == "seed 000 二(六)"
    assert d["parameters"]["working_funds_rate"]["defined_in"] == "gd-province"
    r = await client.get("/packs/in-force", params={"division_code": "350802", "on": "2018-09-01"})
    assert r.json()["id"] == "longyan"
    r = await client.get("/packs/nope")
    assert r.status_code == 404 and r.json()["code"] == "PACK_NOT_FOUND"


async def test_staffing_with_explanations(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = {
        "on": "2019-06-01",
        "county": {
            "division_code": "440103",
            "townships": [
                {"name": "甲镇", "assisted_households": 301},
                {"name": "乙街道", "kind": "street_office", "assisted_households": 2700},
            ],
        },
    }
    r = await client.post("/calculations/staffing", json=body, headers=auth("bureau", "440103"))
    assert r.status_code == 200, r.text
    out = r.json()
    # county: 301 + 2700 = 3001 households → (3000, 5000] → 4; townships 301 → 4, 2700 → 6
    assert (
        out["pack"]["id"] == "gd-city-plan"
        and out["totals"] == {"caseworker": 4 + 4 + 6}
        and out["total"] == 14
    )
    county = out["figures"][0]
    assert county["unit_kind"] == "county" and county["people"] == 4
    e = county["explanation"]
    assert e["inputs"] == {"assisted_households": 3001} and e["bracket"]["range"] == "(3000, 5000]"
    assert e["bracket"]["phrase"] == "3000户到5000户" and "3000<户数≤5000" in e["reading_zh"]
    town = out["figures"][1]["explanation"]
    assert town["citation"] == "seed 000 二(六)" and "300<户数<600" in town["reading_zh"]


async def test_lingwu_thirteen_and_budget(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    r = await client.post(
        "/calculations/staffing",
        json={"on": "2019-01-01", "county": LINGWU_COUNTY},
        headers=auth("bureau", "640181"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["totals"] == {"verifier": 13}
    r = await client.post(
        "/calculations/budget",
        json={"division_code": "640181", "start": "2019-01-01", "county": LINGWU_COUNTY},
        headers=auth("finance", "640100"),
    )
    assert r.status_code == 200, r.text
    b = r.json()
    # The seed's wages (2 × minimum wage, the worker's own insurance included) and, beside them, what
    # the dispatch company pays as employer (each insurance, the housing fund) and its fee, each from
    # a dated, cited and — here — unverified rate: every part shown, the total funds them all.
    assert [y["parts"]["wages"] for y in b["years"]] == ["486720.00", "486720.00", "515840.00"]
    assert [y["parts"]["employer_pension"] for y in b["years"]] == ["84364.80", "77875.20", "82534.40"]
    # Maternity is merged into medical insurance from 2020 (国办发〔2019〕10号): 6 % + 0.5 % → 6.5 %.
    assert [y["parts"]["employer_medical"] for y in b["years"]] == ["29203.20", "31636.80", "33529.60"]
    assert [y["parts"]["employer_maternity"] for y in b["years"]] == ["2433.60", "0.00", "0.00"]
    assert [y["parts"]["dispatch_fee"] for y in b["years"]] == ["24336.00", "24336.00", "25792.00"]
    assert [y["cost"] for y in b["years"]] == ["655774.08", "649284.48", "688130.56"]
    assert b["total_cost"] == "1993189.12" and b["fits"] is False and b["total_shortfall"] == "1993189.12"
    for y in b["years"]:
        assert sum(Decimal(v) for v in y["parts"].values()) == Decimal(y["cost"])
    cites: dict[str, str] = {}  # the first step of each part in 2019 (January to April)
    for s in b["years"][0]["steps"]:
        cites.setdefault(s["name"], s["citation"])
    assert cites["单位缴纳失业保险费 = 月工资 × 单位费率"] == "人社部发〔2017〕14号 一（未核实）"
    assert cites["单位缴纳工伤保险费 = 月工资 × 单位费率"] == "人社部发〔2015〕71号 一（未核实）"
    assert cites["单位缴存住房公积金 = 月工资 × 单位比例"] == "住房公积金管理条例 第十八条（未核实）"
    assert cites["派遣服务费 = 月工资 × 费率"] == "灵政办发〔2018〕201号 四(三)（未核实）"
    assert any("1840" in s["reading_zh"] for s in b["years"][2]["steps"])
    pension = [s for s in b["years"][0]["steps"] if s["name"].startswith("单位缴纳基本养老保险费")]
    assert [(s["citation"], s["amount"]) for s in pension] == [
        ("国发〔1997〕26号 三（未核实）", "624.00"),
        ("国办发〔2019〕13号 一（未核实）", "499.20"),
    ]
    # The pack's fee is a placeholder: the company's quoted rate, entered by the bureau, replaces it.
    r = await client.post(
        "/calculations/budget",
        json={
            "division_code": "640181",
            "start": "2019-01-01",
            "county": LINGWU_COUNTY,
            "dispatch_fee_rate": "0.08",
        },
        headers=auth("finance", "640100"),
    )
    first = r.json()["years"][0]
    assert first["parts"] == {
        "wages": "486720.00",
        "employer_pension": "84364.80",
        "employer_medical": "29203.20",
        "employer_maternity": "2433.60",
        "employer_unemployment": "2433.60",
        "employer_injury": "1946.88",
        "housing_fund": "24336.00",
        "dispatch_fee": "38937.60",
    }
    assert first["cost"] == "670375.68"


async def test_budget_working_funds_and_raises(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = {
        "division_code": "440103",
        "start": "2019-07-01",
        "people": 2,
        "assessments": [["qualified", "unqualified"], ["qualified", "qualified"]],
        "dibao_spending_last_year": "4000000.00",
        "funding": [{"source": "working_funds", "annual_amount": "200000.00"}],
    }
    r = await client.post("/calculations/budget", json=body, headers=auth("bureau", "440103"))
    assert r.status_code == 200, r.text
    b = r.json()
    assert [y["cost"] for y in b["years"]] == ["100000.00", "102500.00", "107625.00"]
    wf = b["working_funds"]
    assert (
        wf["amount"] == "120000.00"
        and wf["exceeds_computed"] is True
        and "四舍五入到分" in wf["step"]["rounding"]
    )
    assert b["fits"] is True and b["funding_totals"] == {"working_funds": "310125.00"}
    assert b["years"][1]["positions"][1]["basis"].startswith("上年考核不合格")


async def _rows(database_url: str) -> dict[str, int]:
    """Rows in every table of the staffing schema (the calendar and migrations aside, and the
    transparency log: the app's periodic publisher appends the saved scenario's event to it whenever
    its period comes, which is no write of the refused requests)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        names = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'staffing'"
            " AND tablename NOT IN ('alembic_version', 'calendar_day', 'calendar_year')"
            " AND tablename NOT LIKE 'transparency\\_%'"
        )
        return {
            n["tablename"]: await conn.fetchval(f'SELECT count(*) FROM staffing."{n["tablename"]}"')
            for n in names
        }
    finally:
        await conn.close()


async def test_bad_inputs_are_clear_problems_and_store_nothing(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    h = auth("bureau", "440000")
    # One saved scenario first, so the counts below are seen to count something.
    saved = await client.post(
        "/scenarios",
        json={
            "division_code": "440103",
            "name": "基线",
            "inputs": {"on": "2019-06-01", "county": {"division_code": "440103"}},
        },
        headers=h,
    )
    assert saved.status_code == 201, saved.text
    before = await _rows(database_url)
    assert before["scenario"] == 1 and before["audit_event"] == 1, before
    neg = {
        "on": "2019-06-01",
        "county": {"division_code": "440103", "townships": [{"name": "甲镇", "assisted_households": -1}]},
    }
    r = await client.post("/calculations/staffing", json=neg, headers=h)
    assert (
        r.status_code == 422
        and r.json()["errors"][0]["pointer"] == "#/county/townships/0/assisted_households"
    )
    unknown = {"on": "2019-06-01", "county": {"division_code": "440199", "townships": []}}
    r = await client.post("/calculations/staffing", json=unknown, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "UNKNOWN_DIVISION_CODE"
    assert r.json()["errors"][0]["pointer"] == "#/county/division_code"
    early = {"on": "2010-01-01", "county": {"division_code": "440103", "townships": []}}
    r = await client.post("/calculations/staffing", json=early, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "NO_PACK_IN_FORCE"
    r = await client.post(
        "/calculations/staffing", json={"on": "2019-06-01", "county": {"division_code": "350802"}}, headers=h
    )
    assert r.status_code == 403 and r.json()["code"] == "JURISDICTION_FORBIDDEN"
    r = await client.post(
        "/calculations/staffing",
        json={"on": "2018-01-01", "county": {"division_code": "510104"}},
        headers=auth("bureau", "510000"),
    )
    assert r.status_code == 409 and r.json()["code"] == "PACK_HAS_NO_STAFFING_RULES"
    r = await client.post("/calculations/staffing", json=neg)
    assert r.status_code == 401
    r = await client.post(
        "/calculations/budget",
        json={"division_code": "440103", "start": "2019-07-01", "people": 2, "assessments": [["qualified"]]},
        headers=h,
    )
    assert r.status_code == 409 and r.json()["code"] == "ASSESSMENTS_MISMATCH"
    r = await client.post(
        "/calculations/budget",
        json={"division_code": "440103", "start": "2019-07-01", "dibao_spending_last_year": 1.234},
        headers=h,
    )
    assert r.status_code == 422
    assert await _rows(database_url) == before
    listed = (await client.get("/scenarios", headers=h)).json()
    assert [s["id"] for s in listed["items"]] == [saved.json()["id"]]
