"""Third-party evaluators: a named scorer anywhere, else only evaluators covering the purchaser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .conftest import FULL_MARKS

EVIDENCE = [{"kind": "report", "title": "第三方评估报告", "sha256": "b" * 64}]
PARTIES = ["service_effectiveness", "project_management", "social_impact"]


def _parties(scorer: str | None) -> list[dict[str, Any]]:
    third: dict[str, Any] = {"party": "third_party", "weight": "30", "dimensions": PARTIES}
    if scorer:
        third["scorer"] = scorer
    return [
        {"party": "purchaser", "weight": "40", "dimensions": PARTIES},
        third,
        {"party": "recipients", "weight": "30", "dimensions": ["recipient_satisfaction"]},
    ]


async def _score(c: httpx.AsyncClient, h: dict[str, str], rid: str) -> httpx.Response:
    return await c.post(
        f"/rounds/{rid}/scores",
        json={"party": "third_party", "evidence": EVIDENCE, "values": FULL_MARKS},
        headers=h,
    )


async def test_unnamed_third_party_only_for_evaluators_covering_the_purchaser(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    open_round: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    rid = (await open_round(parties=_parties(None)))["id"]
    elsewhere = auth("evaluator", "440103", sub="firm-guangzhou")
    assert (await client.get(f"/rounds/{rid}", headers=elsewhere)).status_code == 404
    assert (await _score(client, elsewhere, rid)).status_code == 404
    ningxia_firm = auth("evaluator", "640000", sub="firm-ningxia")
    assert (await client.get(f"/rounds/{rid}", headers=ningxia_firm)).status_code == 200
    r = await _score(client, ningxia_firm, rid)
    assert r.status_code == 201, r.text


async def test_named_scorer_may_score_from_anywhere_others_may_not(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    open_round: Callable[..., Awaitable[dict[str, Any]]],
) -> None:
    rid = (await open_round(parties=_parties("firm-beijing"), period="2019-H2"))["id"]
    r = await _score(client, auth("evaluator", "640000", sub="firm-ningxia"), rid)
    # Another firm, though its jurisdiction covers the purchaser: the round names its scorer, so
    # to any other evaluator it looks absent.
    assert (r.status_code, r.json()["code"]) == (404, "ROUND_NOT_FOUND"), r.text
    r = await _score(client, auth("evaluator", "110000", sub="firm-beijing"), rid)
    assert r.status_code == 201, r.text
