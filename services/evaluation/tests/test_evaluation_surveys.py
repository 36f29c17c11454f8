"""Recipient surveys: one answer per code even under concurrency, no link from answer to person,
rate limits, bulk intake by a portal, results aggregated in SQL with intervals and warnings."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx

from jiuzhu_devtools.testing import asyncpg_dsn

LINGWU = "640181"
USCC = "91640181MA7F3K2P1X"
Auth = Callable[..., dict[str, str]]


async def _survey(client: httpx.AsyncClient, auth: Auth, n: int, **over: Any) -> tuple[str, list[str]]:
    body = {
        "contract_id": str(uuid.uuid4()),
        "period": "2019-H1",
        "contractor_uscc": USCC,
        "purchaser_division": LINGWU,
        "questions": [{"key": "overall", "text": "总体满意度"}],
        **over,
    }
    r = await client.post("/surveys", json=body, headers=auth("bureau", LINGWU))
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    c = await client.post(f"/surveys/{sid}/codes", json={"count": n}, headers=auth("bureau", LINGWU))
    assert c.status_code == 201
    return sid, c.json()["codes"]


async def test_a_code_answers_once_even_under_concurrency(client: httpx.AsyncClient, auth: Auth) -> None:
    sid, codes = await _survey(client, auth, 2)
    body = {"code": codes[0], "answers": {"overall": 5}}
    results = await asyncio.gather(*(client.post(f"/surveys/{sid}/responses", json=body) for _ in range(12)))
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(201) == 1, [r.text for r in results]
    assert set(statuses) == {201, 409}
    # Bulk submissions racing for the same code from two portals: still exactly one answer.
    bulk = {"responses": [{"code": codes[1], "answers": {"overall": 4}}]}
    out = await asyncio.gather(
        *(
            client.post(
                f"/surveys/{sid}/responses/bulk",
                json=bulk,
                headers=auth("portal", "640000", sub=f"portal-{i}"),
            )
            for i in range(8)
        )
    )
    assert sum(r.json()["accepted"] for r in out) == 1
    res = (await client.get(f"/surveys/{sid}/results", headers=auth("bureau", LINGWU))).json()
    assert res["respondents"] == 2 and res["answers"] == 2


async def test_codes_are_stored_hashed_and_answers_cannot_be_linked(
    client: httpx.AsyncClient, auth: Auth, database_url: str
) -> None:
    sid, codes = await _survey(client, auth, 3)
    r = await client.post(
        f"/surveys/{sid}/responses", json={"code": codes[0].lower(), "answers": {"overall": 2}}
    )
    assert r.status_code == 201  # codes are case- and dash-insensitive
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        stored = await conn.fetch(
            "SELECT code_hash FROM evaluation.survey_code WHERE survey_id = $1", uuid.UUID(sid)
        )
        raw = {c.replace("-", "").encode() for c in codes}
        assert len(stored) == 3 and not any(bytes(s["code_hash"]) in raw for s in stored)
        # Nothing in a response or an answer points at a code, a person or an exact time.
        cols = {
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'evaluation' "
                "AND table_name IN ('survey_response', 'survey_answer')"
            )
        }
        assert cols == {"id", "survey_id", "submitted_on", "channel", "response_id", "question", "value"}
        code_cols = {
            r["column_name"]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'evaluation' "
                "AND table_name = 'survey_code'"
            )
        }
        assert code_cols == {"survey_id", "code_hash", "used"}
        audit = await conn.fetch(
            "SELECT data::text AS d FROM evaluation.audit_event WHERE aggregate_id = $1", sid
        )
        assert not any(c in a["d"] or c.replace("-", "") in a["d"] for a in audit for c in codes)
    finally:
        await conn.close()
    contractor = auth("contractor", LINGWU, org=USCC)
    res = await client.get(f"/surveys/{sid}/results", headers=contractor)
    assert res.status_code == 200 and "responses" not in res.json()  # aggregates only
    assert (
        await client.post(f"/surveys/{sid}/codes", json={"count": 1}, headers=contractor)
    ).status_code == 403
    assert (
        await client.get(
            f"/surveys/{sid}/results", headers=auth("contractor", LINGWU, org="91640181MA7F3K2P2Y")
        )
    ).status_code == 404


async def test_bulk_intake_reports_each_item(client: httpx.AsyncClient, auth: Auth) -> None:
    sid, codes = await _survey(client, auth, 4)
    body = {
        "responses": [
            {"code": codes[0], "answers": {"overall": 5}},
            {"code": codes[0], "answers": {"overall": 4}},  # same code twice in one batch
            {"code": codes[1], "answers": {"overall": 9}},  # off the scale
            {"code": "AAAA-BBBB-CCCC-DDDD", "answers": {"overall": 3}},  # not a code of this survey
            {"code": codes[2], "answers": {"nope": 3}},
            {"code": codes[3], "answers": {"overall": 4}},
        ]
    }
    r = await client.post(f"/surveys/{sid}/responses/bulk", json=body, headers=auth("portal", "640000"))
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 2
    assert [(x["index"], x["reason"]) for x in r.json()["rejected"]] == [
        (1, "DUPLICATE_IN_BATCH"),
        (2, "ANSWERS_INVALID"),
        (3, "CODE_USED_OR_INVALID"),
        (4, "ANSWERS_INVALID"),
    ]
    other = await client.post(f"/surveys/{sid}/responses/bulk", json=body, headers=auth("portal", "350000"))
    assert other.status_code == 404  # a portal of another province does not see Lingwu's survey
    assert (
        await client.post(f"/surveys/{sid}/responses/bulk", json=body, headers=auth("bureau", LINGWU))
    ).status_code == 403


async def test_results_in_sql_with_interval_and_small_sample_warning(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    sid, codes = await _survey(
        client,
        auth,
        40,
        min_sample=30,
        questions=[{"key": "overall", "text": "总体"}, {"key": "attitude", "text": "态度"}],
    )
    values = [5, 4, 4, 3, 2] * 4  # 20 respondents
    body = {
        "responses": [
            {"code": c, "answers": {"overall": v, "attitude": 5}} for c, v in zip(codes, values, strict=False)
        ]
    }
    r = await client.post(f"/surveys/{sid}/responses/bulk", json=body, headers=auth("portal", "640000"))
    assert r.json()["accepted"] == 20
    res = (await client.get(f"/surveys/{sid}/results", headers=auth("bureau", LINGWU))).json()
    assert res["codes_issued"] == 40 and res["respondents"] == 20 and res["response_rate"] == "0.5000"
    assert res["questions"]["overall"] == {"n": 20, "mean": "3.6000", "share_satisfied": "0.6000"}
    assert res["questions"]["attitude"]["mean"] == "5.0000"
    assert res["mean"] == "4.3000"  # mean of respondents' means: (5+4.5+4.5+4+3.5)/5
    assert res["share_satisfied"] == "0.8000"  # 32 of 40 answers at 4 or 5
    lo, hi = (float(x) for x in res["share_satisfied_ci95"])
    assert lo < 0.8 < hi and 0.6 < lo  # Wilson interval, n = 40
    lo_m, hi_m = (float(x) for x in res["mean_ci95"])
    assert lo_m < 4.3 < hi_m
    assert res["small_sample"] is True and "30" in res["warning"]
    roll = (await client.get("/surveys/results/by-contract-period", headers=auth("auditor", "640100"))).json()
    assert any(x["answers"] == 40 and x["respondents"] == 20 for x in roll)
    assert (
        await client.get("/surveys/results/by-contract-period", headers=auth("auditor", "350000"))
    ).json() == []


async def test_direct_answers_are_rate_limited(client: httpx.AsyncClient, auth: Auth) -> None:
    sid, _ = await _survey(client, auth, 1)
    statuses = [
        (
            await client.post(
                f"/surveys/{sid}/responses", json={"code": "AAAA-BBBB-CCCC-DDDD", "answers": {"overall": 3}}
            )
        ).status_code
        for _ in range(32)
    ]
    assert statuses[:30] == [400] * 30 and statuses[30:] == [429, 429]
