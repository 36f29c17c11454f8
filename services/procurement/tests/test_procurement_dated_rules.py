"""The periods, bands and limits issue 13 names that no other test pins on both sides of its date:
each is published by `/rules/in-force` with its value, unit and clause, absent (or its earlier
value) the day before it took effect and in force on that day. The periods of the legal clock are
in test_procurement_clock.py, the SME bands and thresholds in test_procurement_rules.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from .conftest import LINGWU, SH_DISTRICT

CHANGTING = "350821"  # 长汀县, 龙岩市 (Fujian, seed 001)

# (division, rule, first day, value before (None: absent), value on, clause on the first day)
DATED: list[tuple[str, str, str, Any, Any, str]] = [
    # Panels (74号令 7; 87号令 47): negotiation and consultation 3+, experts 2/3.
    (SH_DISTRICT, "panel_min_non_tender", "2014-02-01", None, 3, "财政部令第74号 第七条"),
    (SH_DISTRICT, "panel_expert_share_non_tender", "2014-02-01", None, "2/3", "财政部令第74号 第七条"),
    (SH_DISTRICT, "panel_expert_share_tender", "2017-10-01", "2/3", "2/3", "财政部令第87号 第四十七条"),
    # Framework agreements (财政部令第110号, from 2022-03-01): two suppliers at least.
    (
        SH_DISTRICT,
        "min_suppliers_framework_agreement",
        "2022-03-01",
        None,
        2,
        "财政部令第110号 第一阶段入围（条款号待核）",
    ),
    # Consultation for purchased services may go on with 2 suppliers from 财库〔2015〕124号.
    (SH_DISTRICT, "min_suppliers_competitive_consultation", "2015-06-30", 3, 2, "财库〔2015〕124号 正文"),
    # Contract term (财政部令第102号 24, from 2020-03-01).
    (SH_DISTRICT, "contract_term_years_normal", "2020-03-01", None, 1, "财政部令第102号 第二十四条"),
    (SH_DISTRICT, "contract_term_years_max", "2020-03-01", None, 3, "财政部令第102号 第二十四条"),
    # Paying SMEs: 30 days, 60 at most by contract (国务院令第728号, revised by 第802号 from 2025-06-01).
    (SH_DISTRICT, "sme_payment_days", "2020-09-01", None, 30, "国务院令第728号 第八条"),
    (SH_DISTRICT, "sme_payment_days_max", "2025-06-01", 60, 60, "国务院令第802号 第九条"),
    # Lingwu: the dispatch deadline (15 working days of signing, 五(五)) from the product's reading
    # of the timetable, 2018-11-01.
    (LINGWU, "dispatch_working_days", "2018-11-01", None, 15, "灵政办发〔2018〕201号 五(五)"),
    # Fujian: serious cases barred for 3 years (闽民保〔2018〕58号 一(七)), from 2018-04-12.
    (CHANGTING, "debarment_years_serious", "2018-04-12", None, 3, "闽民保〔2018〕58号 一(七)"),
]
# In force since the law itself (2003-01-01): no earlier day to compare with.
SINCE_THE_LAW: list[tuple[str, Any, str]] = [
    ("amendment_increase_max", "0.10", "政府采购法 第四十九条"),
    ("debarment_years_min", 1, "政府采购法 第七十七条"),
    ("debarment_years_max", 3, "政府采购法 第七十七条"),
    ("min_suppliers_open_tender", 3, "政府采购法 第三十六条第一款第（一）项"),
]


async def _rules(client: httpx.AsyncClient, division: str, day: str) -> dict[str, dict[str, Any]]:
    r = await client.get("/rules/in-force", params={"division_code": division, "on": day})
    assert r.status_code == 200, r.text
    return {x["name"]: x for x in r.json()["rules"]}


def _cite(rule: dict[str, Any]) -> str:
    return str(rule["citation"]["text"])


async def test_each_band_and_limit_switches_on_its_date(client: httpx.AsyncClient) -> None:
    for division, name, since, before, value, clause in DATED:
        day_before = (date.fromisoformat(since) - timedelta(days=1)).isoformat()
        earlier = (await _rules(client, division, day_before)).get(name)
        assert (earlier["value"] if earlier else None) == before, (name, day_before)
        on = (await _rules(client, division, since))[name]
        assert (on["value"], _cite(on), on["valid_from"]) == (value, clause, since), name


async def test_the_laws_own_limits_hold_from_2003(client: httpx.AsyncClient) -> None:
    for day in ("2003-01-01", "2026-10-08"):
        rules = await _rules(client, SH_DISTRICT, day)
        for name, value, clause in SINCE_THE_LAW:
            assert (rules[name]["value"], _cite(rules[name])) == (value, clause), (name, day)
