"""Lists of rounds and surveys (records issue): narrowed by their read policy (another county's never
appear, whatever the filter; a contractor its own; a township its purchaser's), filtered, paged by
cursor; ROUND_EXISTS / SURVEY_EXISTS / STAFF_ASSESSMENT_EXISTS name the existing record to its readers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from jiuzhu_devtools.testing import test_today

from .conftest import EVIDENCE, STAFF_GOOD, round_body

Auth = Callable[..., dict[str, str]]
WUXING, NANXUN, YUECHENG = "330502", "330503", "330602"  # 湖州市吴兴区, 南浔区; 绍兴市越城区: only here
A = "91330502MA0000001X"
B = "91330503MA0000002X"


async def _all(
    client: httpx.AsyncClient, path: str, h: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = await client.get(
            path, params={**params, "limit": 1} | ({"cursor": cursor} if cursor else {}), headers=h
        )
        assert r.status_code == 200, r.text
        seen += r.json()["items"]
        assert len(r.json()["items"]) <= 1
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return seen


async def _ids(client: httpx.AsyncClient, path: str, h: dict[str, str], **params: Any) -> list[str]:
    r = await client.get(path, params=params, headers=h)
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["items"]]


async def test_rounds_list_by_jurisdiction_filters_and_cursor(client: httpx.AsyncClient, auth: Auth) -> None:
    made = {}
    for div, uscc, period in ((WUXING, A, "2019-H1"), (NANXUN, B, "2019-H2"), (YUECHENG, A, "2019-H1")):
        body = round_body(purchaser_division=div, contractor_uscc=uscc, period=period)
        r = await client.post("/rounds", json=body, headers=auth("bureau", div))
        assert r.status_code == 201, r.text
        made[div] = r.json()["id"]
    city = auth("auditor", "330500")
    listed = await _all(client, "/rounds", city)
    assert [x["id"] for x in listed] == [made[NANXUN], made[WUXING]], "newest first, Shaoxing's absent"
    assert listed[0]["missing_parties"] == ["purchaser", "recipients", "township"]
    assert await _ids(client, "/rounds", city, division_code=WUXING) == [made[WUXING]]
    assert await _ids(client, "/rounds", city, contractor_uscc=A) == [made[WUXING]]
    assert await _ids(client, "/rounds", city, period="2019-H2", status="open") == [made[NANXUN]]
    assert await _ids(client, "/rounds", city, status="published") == []
    assert await _ids(client, "/rounds", city, division_code=YUECHENG) == []
    today = test_today().isoformat()
    assert await _ids(client, "/rounds", city, opened_to="2020-01-01") == []
    # A contractor sees its own rounds wherever; a township its purchaser's.
    assert await _ids(client, "/rounds", auth("contractor", "640181", org=A)) == [
        made[YUECHENG],
        made[WUXING],
    ]
    assert await _ids(client, "/rounds", auth("township", "330503001")) == [made[NANXUN]]
    r = await client.get("/rounds", params={"status": "done"}, headers=city)
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/query/status"
    r = await client.get("/rounds", params={"opened_from": today, "opened_to": "2020-01-01"}, headers=city)
    assert (r.status_code, r.json()["code"]) == (422, "RANGE_INVERTED")
    r = await client.get("/rounds", params={"cursor": "not-base64!"}, headers=city)
    assert (r.status_code, r.json()["code"]) == (400, "CURSOR_INVALID")
    # ROUND_EXISTS names the round to the purchaser; the same refusal elsewhere names nothing it may not read.
    again = round_body(purchaser_division=WUXING, contractor_uscc=A, period="2019-H1")
    again["contract_id"] = listed[1]["contract_id"]
    r = await client.post("/rounds", json=again, headers=auth("bureau", WUXING))
    assert (r.status_code, r.json()["code"]) == (409, "ROUND_EXISTS")
    assert r.json()["existing"] == {"id": made[WUXING], "href": f"/rounds/{made[WUXING]}"}
    # Another county naming the same contract and period is refused alike, but told nothing of the
    # round it may not read: no id, no link.
    r = await client.post(
        "/rounds", json={**again, "purchaser_division": YUECHENG}, headers=auth("bureau", YUECHENG)
    )
    assert (r.status_code, r.json()["code"]) == (409, "ROUND_EXISTS")
    assert "existing" not in r.json() and "location" not in r.headers and made[WUXING] not in r.text


async def test_surveys_list_and_survey_exists(client: httpx.AsyncClient, auth: Auth) -> None:
    made = {}
    contract = {}
    for div, uscc in ((WUXING, A), (NANXUN, B), (YUECHENG, B)):
        contract[div] = str(uuid.uuid4())
        body = {
            "contract_id": contract[div],
            "period": "2020-H1",
            "contractor_uscc": uscc,
            "purchaser_division": div,
            "title": f"{div} 服务对象满意度调查",
            "questions": [{"key": "overall", "text": "总体满意度"}],
        }
        r = await client.post("/surveys", json=body, headers=auth("bureau", div))
        assert r.status_code == 201, r.text
        made[div] = r.json()["id"]
    city = auth("finance", "330500")
    assert [s["id"] for s in await _all(client, "/surveys", city)] == [made[NANXUN], made[WUXING]]
    assert await _ids(client, "/surveys", city, q=WUXING) == [made[WUXING]]
    assert await _ids(client, "/surveys", city, contract_id=contract[YUECHENG]) == []
    assert await _ids(client, "/surveys", city, contractor_uscc=B) == [made[NANXUN]]
    assert await _ids(client, "/surveys", city, status="closed") == []
    assert await _ids(client, "/surveys", auth("contractor", "640181", org=B)) == [
        made[YUECHENG],
        made[NANXUN],
    ]
    r = await client.post(
        "/surveys",
        json={
            "contract_id": contract[WUXING],
            "period": "2020-H1",
            "contractor_uscc": A,
            "purchaser_division": WUXING,
            "questions": [{"key": "overall", "text": "总体满意度"}],
        },
        headers=auth("bureau", WUXING),
    )
    assert (r.status_code, r.json()["code"]) == (409, "SURVEY_EXISTS")
    assert r.json()["existing"] == {"id": made[WUXING], "href": f"/surveys/{made[WUXING]}"}
    elsewhere = {
        "contract_id": contract[WUXING],
        "period": "2020-H1",
        "contractor_uscc": A,
        "purchaser_division": YUECHENG,
        "questions": [{"key": "overall", "text": "总体满意度"}],
    }
    r = await client.post("/surveys", json=elsewhere, headers=auth("bureau", YUECHENG))
    assert (r.status_code, r.json()["code"]) == (409, "SURVEY_EXISTS") and "existing" not in r.json()
    assert made[WUXING] not in r.text


async def test_staff_assessment_exists_names_it(client: httpx.AsyncClient, auth: Auth) -> None:
    body = {
        "contract_id": str(uuid.uuid4()),
        "staff_ref": "HZ-001",
        "division_code": WUXING,
        "year": 2020,
        "values": STAFF_GOOD,
        "evidence": EVIDENCE,
    }
    r = await client.post("/staff-assessments", json=body, headers=auth("bureau", WUXING))
    assert r.status_code == 201, r.text
    first = r.json()["id"]
    r = await client.post("/staff-assessments", json=body, headers=auth("bureau", WUXING))
    assert (r.status_code, r.json()["code"]) == (409, "STAFF_ASSESSMENT_EXISTS")
    href = f"/staff-assessments?contract_id={body['contract_id']}&staff_ref=HZ-001"
    assert r.json()["existing"] == {"id": first, "href": href}
    assert [a["id"] for a in (await client.get(href, headers=auth("bureau", WUXING))).json()["items"]] == [
        first
    ]
    body2 = {**body, "staff_ref": "HZ-002", "year": 2021, "division_code": NANXUN}
    second = (await client.post("/staff-assessments", json=body2, headers=auth("bureau", NANXUN))).json()[
        "id"
    ]
    city = auth("auditor", "330500")
    assert [a["id"] for a in await _all(client, "/staff-assessments", city)] == [second, first]
    assert await _ids(client, "/staff-assessments", city, year=2020) == [first]
    assert await _ids(client, "/staff-assessments", city, division_code=NANXUN, qualified="true") == [second]
    assert await _ids(client, "/staff-assessments", auth("bureau", YUECHENG)) == []
