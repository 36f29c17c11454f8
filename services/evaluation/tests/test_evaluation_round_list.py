from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from .conftest import EVIDENCE, FULL_MARKS, LINGWU


async def test_round_list_shows_which_parties_are_in(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], open_round: Any
) -> None:
    rnd = await open_round()
    bureau = auth("bureau", LINGWU)
    r = await client.post(
        f"/rounds/{rnd['id']}/scores",
        json={"party": "purchaser", "evidence": EVIDENCE, "values": FULL_MARKS},
        headers=bureau,
    )
    assert r.status_code == 201, r.text
    one = (await client.get(f"/rounds/{rnd['id']}", headers=bureau)).json()
    listed = (await client.get("/rounds", params={"status": "open"}, headers=bureau)).json()["items"]
    row = next(x for x in listed if x["id"] == rnd["id"])
    assert row["submitted_parties"] == one["submitted_parties"] == ["purchaser"]
    assert row["missing_parties"] == one["missing_parties"] and "recipients" in row["missing_parties"]
