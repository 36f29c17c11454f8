"""Annual staff assessments (seed 000 四(三)) and the outcomes staffing-calc's budget takes."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from .conftest import LINGWU, STAFF_GOOD

EVIDENCE = [{"kind": "record", "title": "年度考核表"}]
GOOD = STAFF_GOOD
# (15×100 + 15×100 + 30×100 + 40×(0.5×100 + 0.5×75)) / 100 = 95.00
POOR = {"ethics": "2", "absences": "4", "cases_handled": "40", "accuracy": "80", "daily_performance": "2"}
# (15×25 + 15×60 + 30×40 + 40×(0.5×0 + 0.5×25)) / 100 = 29.75

Auth = Callable[..., dict[str, str]]


async def _assess(
    client: httpx.AsyncClient, auth: Auth, contract: str, ref: str, year: int, values: dict[str, str]
) -> httpx.Response:
    body = {
        "contract_id": contract,
        "staff_ref": ref,
        "division_code": "640181001",
        "year": year,
        "values": values,
        "evidence": EVIDENCE,
    }
    return await client.post("/staff-assessments", json=body, headers=auth("bureau", LINGWU))


async def test_annual_outcomes_and_renewal(client: httpx.AsyncClient, auth: Auth) -> None:
    contract = str(uuid.uuid4())
    r = await _assess(client, auth, contract, "verifier-01", 2019, GOOD)
    assert r.status_code == 201, r.text
    assert r.json()["total"] == "95.00" and r.json()["grade"] == "优秀" and r.json()["qualified"] is True
    assert r.json()["template_code"] == "staff-annual"
    r = await _assess(client, auth, contract, "verifier-01", 2019, GOOD)
    assert r.status_code == 409
    for year in (2020, 2021):
        assert (await _assess(client, auth, contract, "verifier-01", year, GOOD)).status_code == 201
    r = await _assess(client, auth, contract, "verifier-02", 2019, POOR)
    assert r.json()["total"] == "29.75" and r.json()["qualified"] is False

    out = (
        await client.get(
            "/staff-assessments/outcomes", params={"contract_id": contract}, headers=auth("finance", "640100")
        )
    ).json()
    assert out == {
        "contract_id": contract,
        "staff": [
            {
                "staff_ref": "verifier-01",
                "years": [{"year": y, "qualified": True} for y in (2019, 2020, 2021)],
            },
            {"staff_ref": "verifier-02", "years": [{"year": 2019, "qualified": False}]},
        ],
    }
    ren = (
        await client.get(
            "/staff-assessments/renewal",
            params={"contract_id": contract, "staff_ref": "verifier-01"},
            headers=auth("bureau", LINGWU),
        )
    ).json()
    assert (
        ren["term_complete"] and ren["eligible_for_renewal"] is True and ren["comprehensive_total"] == "95.00"
    )
    # The term is a dated, cited rule (rulebook/data: seed 000 二(七)), named in the basis.
    assert "合同期 3 年（seed 000 二(七)）" in ren["basis"]
    ren = (
        await client.get(
            "/staff-assessments/renewal",
            params={"contract_id": contract, "staff_ref": "verifier-02"},
            headers=auth("bureau", LINGWU),
        )
    ).json()
    assert ren["continue_next_year"] is False and ren["eligible_for_renewal"] is False
    # Another county sees none of it.
    other = (
        await client.get(
            "/staff-assessments/outcomes", params={"contract_id": contract}, headers=auth("bureau", "640104")
        )
    ).json()
    assert other["staff"] == []


async def test_assessment_refusals(client: httpx.AsyncClient, auth: Auth) -> None:
    contract = str(uuid.uuid4())
    r = await _assess(client, auth, contract, "v-1", 2019, {**GOOD, "ethics": "7"})
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/values/ethics"
    r = await _assess(client, auth, contract, "v-1", 2019, {k: v for k, v in GOOD.items() if k != "accuracy"})
    assert r.status_code == 422
    body = {
        "contract_id": contract,
        "staff_ref": "v-1",
        "division_code": "640104001",
        "year": 2019,
        "values": GOOD,
        "evidence": EVIDENCE,
    }
    assert (
        await client.post("/staff-assessments", json=body, headers=auth("bureau", LINGWU))
    ).status_code == 403
    assert (
        await client.post("/staff-assessments", json=body, headers=auth("contractor", LINGWU))
    ).status_code == 403
