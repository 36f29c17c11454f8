from __future__ import annotations

from collections.abc import Callable

import httpx


async def test_save_read_and_audit_a_scenario(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = {"division_code": "640181", "name": "灵武 2019", "inputs": {"units": 11}}
    r = await client.post("/scenarios", json=body, headers=auth("bureau", "640181"))
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    got = await client.get(f"/scenarios/{sid}", headers=auth("auditor", "640100"))
    assert got.status_code == 200 and got.json()["inputs"] == {"units": 11}
    # A sibling county cannot see it, and cannot tell it exists.
    other = await client.get(f"/scenarios/{sid}", headers=auth("bureau", "640104"))
    assert other.status_code == 404
    events = (await client.get(f"/scenarios/{sid}/events", headers=auth("bureau", "640181"))).json()
    assert [e["action"] for e in events] == ["scenario.saved"]
    assert events[0]["actor"] == "user-bureau-640181" and events[0]["jurisdiction"] == "640181"
    v = (await client.get(f"/scenarios/{sid}/events/verify", headers=auth("bureau", "640181"))).json()
    assert v["ok"] and v["events"] == 1


async def test_refusals_write_nothing(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    r = await client.post(
        "/scenarios",
        json={"division_code": "640104", "name": "x", "inputs": {}},
        headers=auth("bureau", "640181"),
    )
    assert r.status_code == 403
    r = await client.post(
        "/scenarios",
        json={"division_code": "640181", "name": "", "inputs": {}, "extra": 1},
        headers=auth("bureau", "640181"),
    )
    assert r.status_code == 422
    assert {e["pointer"] for e in r.json()["errors"]} == {"#/name", "#/extra"}
