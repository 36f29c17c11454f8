"""Procurement's rules as dated, cited data: published anonymously, and enforced with their clause.

The small-enterprise price deduction for services was 6–10 % (财库〔2011〕181号, then 财库〔2020〕46号)
and is 10–20 % from 2022-07-01 (财库〔2022〕19号); the rule in force on the announcement date applies.
"""

from __future__ import annotations

import httpx

from jiuzhu_devtools.testing import test_today

from .conftest import GD_COUNTY, Kit

CONSULT = {"method": "competitive_consultation", "ground": "purchased_services"}


async def test_the_rules_in_force_switch_on_their_date(client: httpx.AsyncClient) -> None:
    def by_name(body: dict[str, object]) -> dict[str, dict[str, object]]:
        return {r["name"]: r for r in body["rules"]}  # type: ignore[attr-defined,index]

    before = await client.get("/rules/in-force", params={"division": GD_COUNTY, "on": "2022-06-30"})
    after = await client.get("/rules/in-force", params={"division": GD_COUNTY, "on": "2022-07-01"})
    assert before.status_code == after.status_code == 200  # no token: the rules are public
    assert after.headers["cache-control"] == "public, max-age=300" and after.headers["etag"]
    low_before, low_after = (
        by_name(before.json())["sme_price_deduction_min"],
        by_name(after.json())["sme_price_deduction_min"],
    )
    assert (low_before["value"], low_before["citation"]["text"]) == ("0.06", "财库〔2020〕46号 第九条")  # type: ignore[index]
    assert (low_after["value"], low_after["citation"]["text"]) == ("0.10", "财库〔2022〕19号 二")  # type: ignore[index]
    assert by_name(after.json())["sme_price_deduction_max"]["value"] == "0.20"
    in_2015 = by_name(
        (await client.get("/rules/in-force", params={"division": GD_COUNTY, "on": "2015-03-01"})).json()
    )
    assert in_2015["sme_price_deduction_min"]["citation"]["text"] == "财库〔2011〕181号 第五条"  # type: ignore[index]
    docs = {d["key"]: d for d in (await client.get("/rules/documents")).json()}
    assert docs["财库〔2022〕19号"]["title"] == "财政部关于进一步加大政府采购支持中小企业力度的通知"
    pack = (await client.get("/rules/cn-procurement")).json()
    assert (
        pack["jurisdiction"] == "000000" and len(pack["parameters"]["sme_price_deduction_min"]["values"]) == 3
    )
    bad = await client.get("/rules/in-force", params={"division": "440103\n", "on": "2022-07-01"})
    assert bad.status_code == 422


async def test_a_deduction_outside_the_band_in_force_is_refused_with_its_clause(kit: Kit) -> None:
    # Today's band is 10–20 % (from 2022-07-01): 8 % was lawful in 2021, not now.
    plan = await kit.plan(GD_COUNTY, test_today().year)
    pid = (await kit.project(GD_COUNTY, plan, budget="900000.00", items=["AS10"])).json()["id"]
    await kit.tr("projects", pid, "approved", "finance", GD_COUNTY)
    for pct in ("8", "21"):
        r = await kit.tr(
            "projects",
            pid,
            "announced",
            "bureau",
            GD_COUNTY,
            {**CONSULT, "scoring": {"sme_deduction_percent": pct}},
            expect=409,
        )
        body = r.json()
        assert body["code"] == "SME_DEDUCTION_OUT_OF_BAND"
        assert "10% 至 20%" in body["detail"] and "财库〔2022〕19号 二" in body["detail"]
    ok = await kit.tr(
        "projects",
        pid,
        "announced",
        "bureau",
        GD_COUNTY,
        {**CONSULT, "scoring": {"sme_deduction_percent": "15"}},
    )
    applied = ok.json()["method_details"]["rules"]["sme_price_deduction"]
    assert applied == {"percent": "15", "band": ["10", "20"], "citation": "财库〔2022〕19号 二"}
