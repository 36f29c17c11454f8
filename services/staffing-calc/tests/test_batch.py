"""Batch: per-county results and roll-ups by city/province; national input in process."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from jiuzhu_staffing.batch.sample import national_counties
from jiuzhu_staffing.batch.schemas import BatchRequest
from jiuzhu_staffing.batch.service import run_batch
from jiuzhu_staffing.packs.registry import default_registry


def test_national_batch_rolls_up_consistently() -> None:
    counties = national_counties(townships=39_000)
    req = BatchRequest.model_validate({"on": "2019-06-01", "pack": "gd-city-plan", "counties": counties})
    out = run_batch(default_registry(), req)
    assert len(out["counties"]) == 2851 and out["problems"] == 0
    assert out["national"]["townships"] == 39_000
    assert out["national"]["total"] == sum(r["total"] for r in out["counties"])
    assert sum(p["total"] for p in out["provinces"]) == out["national"]["total"]
    assert sum(c["total"] for c in out["cities"]) == out["national"]["total"]
    assert len(out["provinces"]) == 31
    # Under their own packs only some provinces have staffing rules in force on that date.
    own = run_batch(default_registry(), req.model_copy(update={"pack": None}))
    by_code = {r["division_code"]: r for r in own["counties"]}
    assert by_code["640181"]["pack"] == "lingwu@1" and by_code["350802"]["pack"] == "longyan@1"
    assert by_code["110101"]["problem"]["code"] == "NO_PACK_IN_FORCE"
    assert by_code["510104"]["problem"]["code"] == "PACK_HAS_NO_STAFFING_RULES"


async def test_batch_api(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    body = {
        "on": "2019-06-01",
        "counties": [
            {
                "division_code": "440103",
                "townships": [
                    {"name": "甲", "assisted_households": 300},
                    {"name": "乙", "assisted_households": 301},
                ],
            },
            {
                "division_code": "440104",
                "assisted_households": 8000,
                "townships": [{"name": "丙", "assisted_households": 600}],
            },
            {"division_code": "440303", "townships": []},
        ],
    }
    r = await client.post("/calculations/batch", json=body, headers=auth("auditor", "440000"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert [c["total"] for c in out["counties"]] == [2 + 2 + 4, 10 + 6, 2]
    assert [(c["division_code"], c["total"]) for c in out["cities"]] == [("440100", 24), ("440300", 2)]
    assert out["provinces"] == [
        {
            "division_code": "440000",
            "name": "广东省",
            "counties": 3,
            "townships": 3,
            "totals": {"caseworker": 26},
            "total": 26,
        }
    ]
    r = await client.post("/calculations/batch", json=body, headers=auth("bureau", "440103"))
    assert r.status_code == 403
    body["counties"][2]["division_code"] = "440399"
    r = await client.post("/calculations/batch", json=body, headers=auth("auditor", "440000"))
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/counties/2/division_code"
    body["counties"][2]["division_code"] = "440103"
    r = await client.post("/calculations/batch", json=body, headers=auth("auditor", "440000"))
    assert r.status_code == 422 and r.json()["code"] == "DUPLICATE_COUNTY"
