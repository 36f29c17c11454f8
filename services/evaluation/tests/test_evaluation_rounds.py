"""A Lingwu half-yearly round end to end: bureau, township and recipients score; the result decides
the payment (灵政办发〔2018〕201号 六(二)); publication, appeal, history, debarment suggestion."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx

from jiuzhu_devtools.seeds import LINGWU_PARTIES
from jiuzhu_evaluation.template.builtin import builtin_id

from .conftest import EVIDENCE, FULL_MARKS, LINGWU, TOWNSHIP_SHEET, USCC

TOWNSHIP = "640181100"  # a township of Lingwu

Auth = Callable[..., dict[str, str]]


async def _answer(client: httpx.AsyncClient, auth: Auth, sid: str, codes: list[str]) -> None:
    answers = [(5, 5), (4, 5), (4, 4), (3, 4)]  # overall mean 4.00, attitude mean 4.50, 7 of 8 satisfied
    body = {
        "responses": [
            {"code": c, "answers": {"overall_satisfaction": a, "service_attitude": b}}
            for c, (a, b) in zip(codes, answers, strict=False)
        ]
    }
    r = await client.post(f"/surveys/{sid}/responses/bulk", json=body, headers=auth("portal", "640000"))
    assert r.status_code == 200 and r.json()["accepted"] == 4, r.text


async def _score(
    client: httpx.AsyncClient, headers: dict[str, str], rid: str, party: str, **kw: Any
) -> httpx.Response:
    return await client.post(
        f"/rounds/{rid}/scores", json={"party": party, "evidence": EVIDENCE, **kw}, headers=headers
    )


async def _payment(client: httpx.AsyncClient, headers: dict[str, str], cid: str) -> dict[str, Any]:
    """What evaluation answers procurement about releasing the contract's 2019-H1 payment."""
    r = await client.get(
        "/consequences/payment-release", params={"contract_id": cid, "period": "2019-H1"}, headers=headers
    )
    return dict(r.json())


async def _scored_round(
    client: httpx.AsyncClient,
    auth: Auth,
    open_round: Any,
    survey_with_codes: Any,
    purchaser: dict[str, str] | None = None,
) -> dict[str, Any]:
    rnd = await open_round()
    rid = rnd["id"]
    sid, codes = await survey_with_codes(rid, 6)
    await _answer(client, auth, sid, codes)
    r = await _score(client, auth("bureau", LINGWU), rid, "purchaser", values=purchaser or FULL_MARKS)
    assert r.status_code == 201, r.text
    r = await _score(client, auth("township", TOWNSHIP), rid, "township", values=TOWNSHIP_SHEET)
    assert r.status_code == 201, r.text
    r = await _score(client, auth("bureau", LINGWU), rid, "recipients", from_survey=True)
    assert r.status_code == 201, r.text
    return dict((await client.get(f"/rounds/{rid}", headers=auth("bureau", LINGWU))).json())


async def test_round_result_publication_and_payment(
    client: httpx.AsyncClient, auth: Auth, open_round: Any, survey_with_codes: Any, calendar_ready: None
) -> None:
    rnd = await _scored_round(client, auth, open_round, survey_with_codes)
    rid, cid = rnd["id"], rnd["contract_id"]
    assert rnd["status"] == "closed"  # every party in: the round closed itself
    res = rnd["result"]
    # purchaser 100; township (30×97 + 20×100 + 20×82.5)/70 = 93.714…; recipients 0.4×75 + 0.3×87.5 + 0.3×87.5 = 82.5
    # total = 0.4×100 + 0.3×93.714… + 0.3×82.5 = 92.864… → 92.86 (half-up, once)
    assert res["by_party"] == {"purchaser": "100.00", "township": "93.71", "recipients": "82.50"}
    assert res["total"] == "92.86" and res["grade"] == "优秀" and res["passed"] is True
    assert res["template"]["code"] == "social-assistance-comprehensive" and res["template"]["version"] == 1
    assert {d["dimension"] for d in res["dimensions"]} >= {"recipient_satisfaction", "social_impact"}
    assert "grade_stable" in res["sensitivity"]

    # A closed round is immutable.
    again = await _score(client, auth("bureau", LINGWU), rid, "purchaser", values=FULL_MARKS)
    assert again.status_code == 409 and again.json()["code"] == "ROUND_NOT_OPEN"
    assert (await client.post(f"/rounds/{rid}/close", headers=auth("bureau", LINGWU))).status_code == 409

    pay = await _payment(client, auth("finance", LINGWU), cid)
    assert pay["released"] is False and pay["reason"].startswith("NOT_PUBLISHED")

    pub = await client.post(f"/rounds/{rid}/publish", headers=auth("bureau", LINGWU))
    assert pub.status_code == 200, pub.text
    assert pub.json()["status"] == "published" and pub.json()["appeal_deadline"]

    pay = await _payment(client, auth("bureau", LINGWU), cid)
    assert pay == {
        "contract_id": cid,
        "period": "2019-H1",
        "released": True,
        "reason": pay["reason"],
        "round_id": rid,
        "total": "92.86",
        "grade": "优秀",
    }
    assert pay["reason"].startswith("RELEASED")
    # Another county cannot learn anything about it.
    other = await _payment(client, auth("bureau", "640104"), cid)
    assert other["released"] is False and other["round_id"] is None

    # Published (公示): readable by anyone signed in, recipients only as aggregates.
    view = (
        await client.get(f"/rounds/{rid}/publication", headers=auth("contractor", "640181", org=USCC))
    ).json()
    assert view["total"] == "92.86" and view["recipients"]["respondents"] == 4
    assert view["recipients"]["small_sample"] is True
    assert "submitted_by" not in str(view) and "user-" not in str(view)

    hist = (
        await client.get(f"/consequences/contractor-history/{USCC}", headers=auth("bureau", "350802"))
    ).json()
    assert hist["average"] == "92.86" and [h["round_id"] for h in hist["results"]] == [rid]
    events = (await client.get(f"/rounds/{rid}/events", headers=auth("auditor", "640100"))).json()
    assert [e["action"] for e in events] == [
        "round.opened",
        "round.scored",
        "round.scored",
        "round.scored",
        "round.closed",
        "round.published",
    ]
    assert (await client.get(f"/rounds/{rid}/events/verify", headers=auth("auditor", "640100"))).json()["ok"]


async def test_appeal_reopens_review_and_failing_result_holds_payment(
    client: httpx.AsyncClient, auth: Auth, open_round: Any, survey_with_codes: Any, calendar_ready: None
) -> None:
    rnd = await _scored_round(client, auth, open_round, survey_with_codes)
    rid, cid = rnd["id"], rnd["contract_id"]
    await client.post(f"/rounds/{rid}/publish", headers=auth("bureau", LINGWU))
    wrong = await client.post(
        f"/rounds/{rid}/appeals",
        json={"reason": "x"},
        headers=auth("contractor", LINGWU, org="91640181MA7F3K2P2Y"),
    )
    assert wrong.status_code == 404  # another contractor cannot even see the round
    ap = await client.post(
        f"/rounds/{rid}/appeals",
        json={"reason": "township sheet mis-entered"},
        headers=auth("contractor", LINGWU, org=USCC),
    )
    assert ap.status_code == 201, ap.text
    twice = await client.post(
        f"/rounds/{rid}/appeals", json={"reason": "again"}, headers=auth("contractor", LINGWU, org=USCC)
    )
    assert twice.status_code == 409
    pay = await _payment(client, auth("bureau", LINGWU), cid)
    assert pay["released"] is False and pay["reason"].startswith("APPEAL_PENDING")

    dec = await client.post(
        f"/rounds/{rid}/appeals/{ap.json()['id']}/decision",
        json={"decision": "upheld", "reason": "复核", "rescore_parties": ["purchaser"]},
        headers=auth("bureau", LINGWU),
    )
    assert dec.status_code == 200, dec.text
    assert dec.json()["status"] == "open" and dec.json()["revision"] == 2
    assert dec.json()["missing_parties"] == ["purchaser"]

    poor = {
        **FULL_MARKS,
        "service_volume": "0",
        "verification_accuracy": "50",
        "records_complete": "50",
        "staff_in_post": "0",
        "finance_issues": "10",
        "public_recognition": "1",
        "valid_complaints": "10",
        "late_cases": "20",
    }
    r = await _score(client, auth("bureau", LINGWU), rid, "purchaser", values=poor)
    assert r.status_code == 201
    closed = (await client.get(f"/rounds/{rid}", headers=auth("bureau", LINGWU))).json()
    # purchaser 0; total = 0.3×93.714… + 0.3×82.5 = 52.864… → 52.86 不合格
    assert closed["status"] == "closed" and closed["result"]["total"] == "52.86"
    assert closed["result"]["grade"] == "不合格" and closed["result"]["revision"] == 2
    await client.post(f"/rounds/{rid}/publish", headers=auth("bureau", LINGWU))
    pay = await _payment(client, auth("bureau", LINGWU), cid)
    assert pay["released"] is False and pay["reason"].startswith("FAILED") and pay["grade"] == "不合格"
    sug = (
        await client.get(f"/consequences/debarment-suggestion/{USCC}", headers=auth("bureau", LINGWU))
    ).json()
    assert sug["suggested"] is True and any("seed 001" in b for b in sug["basis"])
    appeals = (await client.get(f"/rounds/{rid}/appeals", headers=auth("bureau", LINGWU))).json()
    assert [a["status"] for a in appeals] == ["upheld"]


async def test_opening_rules(
    client: httpx.AsyncClient, auth: Auth, make_round_body: Callable[..., dict[str, Any]]
) -> None:
    bureau = auth("bureau", LINGWU)
    body = make_round_body()
    body["parties"][2]["weight"] = "20"  # recipients 20% < floor 30%, and the sum is 90
    r = await client.post("/rounds", json=body, headers=bureau)
    assert r.status_code == 422 and "100" in r.text
    body["parties"][0]["weight"] = "50"
    r = await client.post("/rounds", json=body, headers=bureau)
    assert r.status_code == 400 and r.json()["code"] == "RECIPIENT_WEIGHT_BELOW_FLOOR"
    r = await client.post("/rounds", json=make_round_body(period="2019"), headers=bureau)
    assert r.status_code == 422  # a half-yearly period must read 2019-H1 / 2019-H2
    r = await client.post("/rounds", json=make_round_body(), headers=auth("bureau", "640104"))
    assert r.status_code == 403  # a sibling county cannot open Lingwu's round
    staff = make_round_body(template_id=str(builtin_id("staff-annual")))
    assert (await client.post("/rounds", json=staff, headers=bureau)).json()["code"] == "TEMPLATE_UNSUITABLE"
    ok = make_round_body()
    assert (await client.post("/rounds", json=ok, headers=bureau)).status_code == 201
    dup = await client.post("/rounds", json=ok, headers=bureau)
    assert dup.status_code == 409 and dup.json()["code"] == "ROUND_EXISTS"


async def test_who_may_score_what(
    client: httpx.AsyncClient, auth: Auth, open_round: Callable[..., Awaitable[dict[str, Any]]]
) -> None:
    rid = (await open_round())["id"]
    r = await _score(client, auth("township", "640104100"), rid, "township", values=TOWNSHIP_SHEET)
    assert r.status_code == 404  # another county's township cannot see the round
    r = await _score(client, auth("township", TOWNSHIP), rid, "purchaser", values=FULL_MARKS)
    assert r.status_code == 403 and r.json()["code"] == "PARTY_FORBIDDEN"
    r = await _score(client, auth("evaluator", LINGWU), rid, "third_party", values=FULL_MARKS)
    assert r.status_code == 404  # no third party in this round: the evaluator has no business here
    r = await _score(
        client, auth("bureau", LINGWU), rid, "purchaser", values={**FULL_MARKS, "public_recognition": "6"}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/values/public_recognition"
    r = await _score(client, auth("bureau", LINGWU), rid, "purchaser", values=FULL_MARKS, evidence=[])
    assert r.status_code == 422  # evidence is required
    r = await _score(client, auth("bureau", LINGWU), rid, "recipients", from_survey=True)
    assert r.status_code == 409 and r.json()["code"] == "SURVEY_DATA_MISSING"
    r = await client.post(f"/rounds/{rid}/close", headers=auth("bureau", LINGWU))
    assert r.status_code == 409 and r.json()["code"] == "ROUND_INCOMPLETE"


async def _boundary_template(client: httpx.AsyncClient, auth: Auth) -> str:
    body = {
        "code": f"boundary-{uuid.uuid4().hex[:8]}",
        "name": "边界",
        "dimensions": [
            {
                "key": "work",
                "name": "工作",
                "weight": "100",
                "indicators": [
                    {
                        "key": "done",
                        "name": "完成数",
                        "type": "count",
                        "weight": "100",
                        "config": {"target": 10000},
                    }
                ],
            }
        ],
    }
    r = await client.post("/templates", json=body, headers=auth("bureau", LINGWU))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_grade_boundary_through_the_api(
    client: httpx.AsyncClient, auth: Auth, make_round_body: Callable[..., dict[str, Any]]
) -> None:
    tid = await _boundary_template(client, auth)
    grades = {}
    for done in ("8999", "9000"):
        body = make_round_body(
            template_id=tid,
            parties=[{"party": "purchaser", "weight": "70"}, {"party": "recipients", "weight": "30"}],
        )
        rid = (await client.post("/rounds", json=body, headers=auth("bureau", LINGWU))).json()["id"]
        for party in ("purchaser", "recipients"):
            r = await _score(client, auth("bureau", LINGWU), rid, party, values={"done": done})
            assert r.status_code == 201, r.text
        res = (await client.get(f"/rounds/{rid}", headers=auth("bureau", LINGWU))).json()["result"]
        grades[res["total"]] = res["grade"]
    assert grades == {"89.99": "良好", "90.00": "优秀"}


async def test_procurement_unreachable_does_not_block_opening(
    database_url: str, auth: Auth, make_round_body: Callable[..., dict[str, Any]]
) -> None:
    from jiuzhu_devtools.testing import TEST_SECRET, free_port, service_client
    from jiuzhu_evaluation.app import create
    from jiuzhu_evaluation.settings import Settings

    port = free_port()  # a port nobody listens on: procurement is down
    settings = Settings(
        DATABASE_URL=database_url,
        JWT_SECRET=TEST_SECRET,
        JIUZHU_ENVIRONMENT="test",
        PROCUREMENT_SERVICE_URL=f"http://127.0.0.1:{port}",
    )
    async with service_client(create(settings)) as c:
        r = await c.post("/rounds", json=make_round_body(), headers=auth("bureau", LINGWU))
        assert r.status_code == 201, r.text
        assert r.json()["contract_check"] == "unavailable"


async def test_scoring_recipients_from_the_survey_closes_it(
    client: httpx.AsyncClient, auth: Auth, open_round: Any, survey_with_codes: Any, calendar_ready: None
) -> None:
    """The recipients' score is a snapshot of the survey: an answer arriving after it (found by the
    whole-story test, tests/test_story_lingwu.py) used to be stored and to change the published
    aggregates (公示) beside a total computed without it."""
    import asyncio

    rnd = await open_round()
    rid = rnd["id"]
    sid, codes = await survey_with_codes(rid, 30)
    await _answer(client, auth, sid, codes[:4])
    late = [
        client.post(
            f"/surveys/{sid}/responses",
            json={"code": c, "answers": {"overall_satisfaction": 1, "service_attitude": 1}},
        )
        for c in codes[4:24]
    ]
    scoring = _score(client, auth("bureau", LINGWU), rid, "recipients", from_survey=True)
    # Answers racing the scoring: each either counts in the score or is refused, never in between.
    *answers, scored = await asyncio.gather(*late, scoring)
    assert scored.status_code == 201, scored.text
    assert {a.status_code for a in answers} <= {201, 409}
    taken = sum(1 for a in answers if a.status_code == 201)
    survey = (await client.get(f"/surveys/{sid}", headers=auth("bureau", LINGWU))).json()
    assert survey["status"] == "closed"
    results = (await client.get(f"/surveys/{sid}/results", headers=auth("bureau", LINGWU))).json()
    assert results["respondents"] == 4 + taken
    used = scored.json()["values"]["overall_satisfaction"]
    assert Decimal(used) == Decimal(results["questions"]["overall_satisfaction"]["mean"])
    r = await client.post(
        f"/surveys/{sid}/responses",
        json={"code": codes[29], "answers": {"overall_satisfaction": 1, "service_attitude": 1}},
    )
    assert r.status_code == 409 and r.json()["code"] == "SURVEY_CLOSED"
    bulk = {"responses": [{"code": codes[28], "answers": {"overall_satisfaction": 1}}]}
    r = await client.post(f"/surveys/{sid}/responses/bulk", json=bulk, headers=auth("portal", "640000"))
    assert r.status_code == 409 and r.json()["code"] == "SURVEY_CLOSED"
    await _score(client, auth("bureau", LINGWU), rid, "purchaser", values=FULL_MARKS)
    await _score(client, auth("township", TOWNSHIP), rid, "township", values=TOWNSHIP_SHEET)
    await client.post(f"/rounds/{rid}/publish", headers=auth("bureau", LINGWU))
    view = (await client.get(f"/rounds/{rid}/publication", headers=auth("bureau", LINGWU))).json()
    assert view["recipients"]["respondents"] == 4 + taken


async def test_the_bureau_closes_a_round_whose_optional_party_did_not_score(
    client: httpx.AsyncClient, auth: Auth, open_round: Any, survey_with_codes: Any
) -> None:
    parties = copy.deepcopy(LINGWU_PARTIES)
    parties[1]["required"] = False  # the township may score, need not
    rnd = await open_round(parties=parties)
    rid = rnd["id"]
    sid, codes = await survey_with_codes(rid, 6)
    await _answer(client, auth, sid, codes)
    r = await _score(client, auth("bureau", LINGWU), rid, "purchaser", values=FULL_MARKS)
    assert r.status_code == 201, r.text
    r = await _score(client, auth("bureau", LINGWU), rid, "recipients", from_survey=True)
    assert r.status_code == 201, r.text
    r = await client.get(f"/rounds/{rid}", headers=auth("bureau", LINGWU))
    assert r.json()["status"] == "open"  # an optional party may still come: no self-close
    r = await client.post(f"/rounds/{rid}/close", headers=auth("township", TOWNSHIP))
    assert r.status_code == 403 and r.json()["code"] == "ROLE_FORBIDDEN"  # the bureau closes

    r = await client.post(f"/rounds/{rid}/close", headers=auth("bureau", LINGWU))
    assert r.status_code == 200, r.text
    res = r.json()["result"]
    assert r.json()["status"] == "closed"
    # The township is left out and the others' weights carry the total:
    # (40 × 100 + 30 × 82.5) / 70 = 92.5 → 92.50
    assert res["by_party"] == {"purchaser": "100.00", "recipients": "82.50"}
    assert res["total"] == "92.50" and res["grade"] == "优秀"
    r = await _score(client, auth("township", TOWNSHIP), rid, "township", values=TOWNSHIP_SHEET)
    assert r.status_code == 409 and r.json()["code"] == "ROUND_NOT_OPEN"  # too late once closed
