"""A county publishes its own rules through the API, and they change results without a restart.

Seed 004 四(二): the pilot county's civil-affairs bureau draws up its own guidance catalogue per level
(township, village) and publishes it. Before, its items (防灾减灾, 养老, 孵化, 台账统计, 舆情监测) were
refused as NOT_IN_CATALOGUE everywhere. Now 金堂县 submits a local pack, another bureau covering it
(成都市) reviews and publishes it, and the same check is lawful in 金堂县 — and still refused in a
neighbouring county. A second replica of the service picks the pack up by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from jiuzhu_devtools.testing import LiveStack, service_client
from tests.fuzzing import make_app
from tests.stories import story

JINTANG, CHENGDU, PIXIAN = "510121", "510100", "510124"
SEED_004 = {"document": "seed 004", "clause": "四(二)"}


def item(code: str, zh: str, en: str, levels: list[str]) -> dict[str, Any]:
    return {
        "code": code,
        "name_zh": zh,
        "name_en": en,
        "category": "direct_service",
        "levels": levels,
        "citations": [SEED_004],
    }


def pack(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "jintang-guidance",
        "version": 1,
        "title": "金堂县民政公共服务购买服务指导目录",
        "cite_as": "金堂县购买服务指导目录",
        "issuer": "金堂县民政局",
        "published": "2017-09-01",
        "effective_from": "2017-09-01",
        "jurisdiction": JINTANG,
        "inherits": "cn-procurement",
        "parameters": {
            "local_catalogue": {
                "label": "金堂县购买服务指导目录（分乡镇、村两级）",
                "unit": "catalogue",
                "values": [
                    {
                        "from": "2017-09-01",
                        "citation": SEED_004,
                        "value": [
                            item("JT01", "防灾减灾", "disaster prevention", ["township", "village"]),
                            item("JT02", "基本养老服务", "basic elderly care", ["township", "village"]),
                            item("JT03", "社会组织孵化培育", "incubating social organisations", ["township"]),
                            item(
                                "JT04",
                                "民政台账基础数据统计",
                                "civil-affairs ledgers and statistics",
                                ["township", "village"],
                            ),
                            item("JT05", "民政舆情监测", "public-opinion monitoring", ["township"]),
                        ],
                    }
                ],
            }
        },
    }
    body.update(over)
    return body


CHECK = {"purchase_form": "service_contract", "items": ["JT01", "JT03"], "on": "2019-06-01"}


async def _check(client: httpx.AsyncClient, h: dict[str, str], division: str) -> dict[str, Any]:
    r = await client.post(
        "/api/procurement/catalogue/check", json={**CHECK, "division_code": division}, headers=h
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_county_publishes_its_guidance_catalogue(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    async with story(live_stack.gateway, token) as w:
        county = w.h("bureau", JINTANG, sub="jintang-clerk")
        city = w.h("bureau", CHENGDU, sub="chengdu-reviewer")
        township = f"{JINTANG}100"
        before = await _check(w.client, county, township)
        assert [r["code"] for r in before["refusals"]] == ["NOT_IN_CATALOGUE", "NOT_IN_CATALOGUE"]

        # What a county may not set, and a pack that does not validate, are refused with their codes.
        r = await w.client.post(
            "/api/procurement/rules/local-packs",
            json={"pack": pack(parameters={"sme_price_deduction_min": {"unit": "ratio", "values": []}})},
            headers=county,
        )
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "PARAMETER_NOT_LOCAL", r.text
        broken = pack()
        del broken["parameters"]["local_catalogue"]["values"][0]["citation"]
        r = await w.client.post("/api/procurement/rules/local-packs", json={"pack": broken}, headers=county)
        assert r.status_code == 422 and r.json()["code"] == "RULE_PACK_INVALID", r.text
        r = await w.client.post(
            "/api/procurement/rules/local-packs", json={"pack": pack(jurisdiction=PIXIAN)}, headers=county
        )
        assert (r.status_code, r.json()["code"]) == (403, "JURISDICTION_FORBIDDEN")

        draft = await w.call(
            "POST",
            "/api/procurement/rules/local-packs",
            None,
            json={"pack": pack()},
            headers=county,
            expect=201,
        )
        assert draft["status"] == "draft"
        # A draft changes nothing; its submitter cannot publish it (four eyes).
        assert (await _check(w.client, county, township))["lawful"] is False
        r = await w.client.post(
            f"/api/procurement/rules/local-packs/{draft['id']}/transitions",
            json={"to": "published"},
            headers=county,
        )
        assert (r.status_code, r.json()["code"]) == (403, "FOUR_EYES_REQUIRED")
        again = await w.client.post(
            "/api/procurement/rules/local-packs", json={"pack": pack()}, headers=county
        )
        assert again.status_code == 409 and again.json()["code"] == "RULE_PACK_EXISTS"
        assert draft["id"] in again.json()["detail"]  # a 409 that says "exists" names the record

        published = await w.call(
            "POST",
            f"/api/procurement/rules/local-packs/{draft['id']}/transitions",
            None,
            json={"to": "published", "reason": "经市局审核"},
            headers=city,
        )
        assert published["status"] == "published" and published["decided_by"] == "chengdu-reviewer"

        # No restart: the same check is lawful in 金堂县 now, at the township level …
        assert (await _check(w.client, county, township)) == {
            "lawful": True,
            "on": "2019-06-01",
            "refusals": [],
        }
        # … the village level gets what is listed for villages only …
        village = await _check(w.client, county, f"{JINTANG}100001")
        assert [(r["code"], r["subject"]) for r in village["refusals"]] == [("LEVEL_NOT_ALLOWED", "JT03")]
        # … and a neighbouring county is not bound by 金堂县's catalogue.
        pixian = await _check(w.client, w.h("bureau", PIXIAN), f"{PIXIAN}100")
        assert [r["code"] for r in pixian["refusals"]] == ["NOT_IN_CATALOGUE", "NOT_IN_CATALOGUE"]
        # The published pack is public with the rest of the rules, and its review is audited.
        rules = await w.call(
            "GET",
            "/api/procurement/rules/in-force",
            None,
            params={"division_code": JINTANG, "on": "2019-06-01"},
        )
        assert rules["pack"] == "jintang-guidance@1"
        events = await w.call(
            "GET", f"/api/procurement/rules/local-packs/{draft['id']}/events", ("auditor", JINTANG)
        )
        assert [e["action"] for e in events] == ["rule_pack.submitted", "rule_pack.published"]
        assert events[1]["actor"] == "chengdu-reviewer" and events[1]["reason"] == "经市局审核"

        # Another replica of the service (its own process state) picks the pack up by itself.
        async with service_client(
            make_app("procurement", database_url, rules_refresh_seconds=0.2)
        ) as replica:
            for _ in range(50):
                r = await replica.post(
                    "/catalogue/check", json={**CHECK, "division_code": township}, headers=county
                )
                if r.json()["lawful"]:
                    break
                await asyncio.sleep(0.1)
            assert r.json()["lawful"] is True

        withdrawn = await w.call(
            "POST",
            f"/api/procurement/rules/local-packs/{draft['id']}/transitions",
            None,
            json={"to": "withdrawn"},
            headers=city,
        )
        assert withdrawn["status"] == "withdrawn"
        assert (await _check(w.client, county, township))["lawful"] is False
