"""Sealed bids (财政部令第87号 33–41): sealed in the database, not only behind the API.

The first test reads the tables as a database reader would (a dump, a replica, a DBA): before the
opening no row of any procurement table — the bids, the project, its history, the idempotency
records, the wrapped keys — holds a price, a bidder's code, name or record id, a proposal, or the
submitting user; after the opening the opened bids hold them in clear, and the withdrawn one and
the replaced price never appear. The others walk the bidder's own view, withdrawal and replacement,
the refusals, the opening record's commitments, and the master key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from jiuzhu_devtools.testing import TEST_SECRET, service_client, test_today
from jiuzhu_procurement.app import create
from jiuzhu_procurement.project.sealing import DEV_BID_KEY, Keyring, commitment
from jiuzhu_procurement.settings import Settings

from .conftest import LINGWU, Kit

NAMES = {1: "灵武市密封甲社工服务社", 2: "灵武市密封乙社工事务所", 3: "灵武市密封丙社会服务中心"}
PRICE = {1: "2811111.17", 2: "2722222.27", 3: "2633333.37"}
REPLACED = "2955555.59"  # bidder 1's first price, replaced before the opening
PROPOSAL = "服务方案：密封测试专用文字"
OTHER_KEY = "b3RoZXItbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE="  # 32 bytes, base64


async def _announced(kit: Kit) -> str:
    plan = await kit.plan(LINGWU, test_today().year, amount="10000000.00")
    pid = str((await kit.project(LINGWU, plan, budget="3000000.00")).json()["id"])
    await kit.tr("projects", pid, "approved", "finance", LINGWU)
    await kit.tr("projects", pid, "announced", "bureau", LINGWU, {"method": "open_tender"})
    return pid


def _bidder(kit: Kit, code: str) -> dict[str, str]:
    return kit.auth("contractor", LINGWU, org=code, sub=f"bidder-user-{code}")


async def _bid(kit: Kit, pid: str, code: str, price: str, key: str | None = None) -> dict[str, Any]:
    headers = _bidder(kit, code) | ({"Idempotency-Key": key} if key else {})
    r = await kit.c.post(
        f"/projects/{pid}/bids", json={"uscc": code, "price": price, "proposal": PROPOSAL}, headers=headers
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _tables(kit: Kit, pid: str) -> dict[str, str]:
    """Every procurement table as text, row by row, but the contractor registry (public by law) and
    the histories of other aggregates (the contractors' registrations)."""
    tables = [
        r["relname"]
        for r in await kit.sql(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'procurement' AND c.relkind = 'r'"
        )
    ]
    out = {}
    for t in tables:
        if t == "contractor":
            continue
        where = " WHERE aggregate_type = 'project'" if t == "audit_event" else ""
        rows = await kit.sql(f'SELECT row_to_json(x)::text AS j FROM procurement."{t}" x{where}')
        out[t] = "\n".join(r["j"] for r in rows)
    assert pid in out["project"] and out["bid"] and out["bid_key"] and out["idempotency_record"]
    return out


def _found(tables: dict[str, str], secrets: dict[str, str]) -> list[str]:
    return [
        f"{what} in procurement.{t}" for what, s in secrets.items() for t, text in tables.items() if s in text
    ]


async def test_a_database_reader_finds_no_price_or_bidder_before_the_opening(kit: Kit) -> None:
    pid = await _announced(kit)
    codes = {n: await kit.contractor(7100 + n, name=NAMES[n]) for n in (1, 2, 3)}
    ids = {
        r["uscc"]: str(r["id"])
        for r in await kit.sql(
            "SELECT uscc, id FROM procurement.contractor WHERE uscc = ANY($1)", list(codes.values())
        )
    }
    first = await _bid(kit, pid, codes[1], REPLACED, key="bid-1")
    await _bid(kit, pid, codes[2], PRICE[2], key="bid-2")
    withdrawn = await _bid(kit, pid, codes[3], PRICE[3], key="bid-3")
    r = await kit.c.put(
        f"/projects/{pid}/bids/{first['id']}",
        json={"uscc": codes[1], "price": PRICE[1], "proposal": PROPOSAL},
        headers=_bidder(kit, codes[1]) | {"Idempotency-Key": "replace-1"},
    )
    assert r.status_code == 200, r.text
    r = await kit.c.post(f"/projects/{pid}/bids/{withdrawn['id']}/withdrawal", headers=_bidder(kit, codes[3]))
    assert r.status_code == 200 and r.json()["withdrawn_at"], r.text

    secrets = {
        **{f"price {n}": PRICE[n] for n in (1, 2, 3)},
        "the replaced price": REPLACED,
        **{f"code {n}": codes[n] for n in (1, 2, 3)},
        **{f"name {n}": NAMES[n] for n in (1, 2, 3)},
        **{f"contractor id {n}": ids[codes[n]] for n in (1, 2, 3)},
        "the proposal": PROPOSAL,
        "the submitting user": "bidder-user-",
    }
    before = await _tables(kit, pid)
    assert _found(before, secrets) == []
    bid_rows = await kit.sql("SELECT * FROM procurement.bid WHERE project_id = $1::uuid", pid)
    assert len(bid_rows) == 3
    for row in bid_rows:
        assert row["sealed"] and row["bidder_tag"] and len(row["commitment"]) == 64
        assert (row["uscc"], row["contractor_name"], row["price"], row["contractor_id"], row["proposal"]) == (
            None,
            None,
            None,
            None,
            None,
        )

    await kit.tr("projects", pid, "bidding_closed", "bureau", LINGWU)  # the opening

    after = await _tables(kit, pid)
    opened = {
        r["uscc"]: r
        for r in await kit.sql(
            "SELECT * FROM procurement.bid WHERE project_id = $1::uuid AND sealed IS NULL", pid
        )
    }
    assert set(opened) == {codes[1], codes[2]}
    for n in (1, 2):
        row = opened[codes[n]]
        assert (row["contractor_name"], str(row["price"]), str(row["contractor_id"])) == (
            NAMES[n],
            PRICE[n],
            ids[codes[n]],
        )
        assert row["proposal"] == PROPOSAL and row["opened_at"] is not None
    assert PRICE[1] in after["bid"] and codes[2] in after["bid"] and PRICE[2] in after["audit_event"]
    # Never opened, never read out: the withdrawn bid and the replaced price.
    never = {k: v for k, v in secrets.items() if k in ("price 3", "code 3", "name 3", "the replaced price")}
    assert _found(after, never) == []


async def test_the_bidder_alone_sees_its_bid_and_may_replace_or_withdraw_it(kit: Kit) -> None:
    pid = await _announced(kit)
    a, b, c = [await kit.contractor(7200 + n) for n in (1, 2, 3)]
    mine = await _bid(kit, pid, a, "2500000.00")
    assert mine["sealed"] is True and "price" not in mine and "uscc" not in mine  # a receipt
    await _bid(kit, pid, b, "2600000.00")

    own = (await kit.c.get(f"/projects/{pid}/bids/mine", headers=_bidder(kit, a))).json()
    assert (own["id"], own["uscc"], own["price"], own["proposal"], own["sealed"]) == (
        mine["id"],
        a,
        "2500000.00",
        PROPOSAL,
        True,
    )
    r = await kit.c.get(f"/projects/{pid}/bids/{mine['id']}", headers=_bidder(kit, a))
    assert r.status_code == 200 and r.json()["price"] == "2500000.00"
    # Anyone else: another bidder finds nothing; the purchaser's side and an admin: sealed.
    r = await kit.c.get(f"/projects/{pid}/bids/{mine['id']}", headers=_bidder(kit, b))
    assert (r.status_code, r.json()["code"]) == (404, "BID_NOT_FOUND")
    for who in (kit.auth("bureau", LINGWU), kit.auth("auditor", LINGWU), kit.auth("admin", "000000")):
        r = await kit.c.get(f"/projects/{pid}/bids/{mine['id']}", headers=who)
        assert (r.status_code, r.json()["code"]) == (409, "BID_SEALED"), r.text
        listed = (await kit.c.get(f"/projects/{pid}/bids", headers=who)).json()
        assert [(x["sealed"], x["uscc"], x["price"], x["contractor_name"]) for x in listed] == [
            (True, None, None, None)
        ] * 2
        r = await kit.c.get(f"/projects/{pid}/opening", headers=who)
        assert (r.status_code, r.json()["code"]) == (409, "BID_SEALED")
    r = await kit.c.get(f"/projects/{pid}/opening", headers=_bidder(kit, a))
    assert (r.status_code, r.json()["code"]) == (404, "PROJECT_NOT_FOUND")

    # One live bid per bidder; only the bidder replaces or withdraws it.
    r = await kit.c.post(f"/projects/{pid}/bids", json={"uscc": a, "price": "1.00"}, headers=_bidder(kit, a))
    assert (r.status_code, r.json()["code"]) == (409, "DUPLICATE_BID")
    body = {"uscc": b, "price": "1.00"}
    r = await kit.c.put(f"/projects/{pid}/bids/{mine['id']}", json=body, headers=_bidder(kit, b))
    assert (r.status_code, r.json()["code"]) == (404, "BID_NOT_FOUND")
    r = await kit.c.post(f"/projects/{pid}/bids/{mine['id']}/withdrawal", headers=_bidder(kit, b))
    assert (r.status_code, r.json()["code"]) == (404, "BID_NOT_FOUND")
    r = await kit.c.put(
        f"/projects/{pid}/bids/{mine['id']}", json={"uscc": a, "price": "2400000.00"}, headers=_bidder(kit, a)
    )
    assert r.status_code == 200 and r.json()["commitment"] != mine["commitment"]
    assert (await kit.c.get(f"/projects/{pid}/bids/mine", headers=_bidder(kit, a))).json()[
        "price"
    ] == "2400000.00"
    r = await kit.c.post(f"/projects/{pid}/bids/{mine['id']}/withdrawal", headers=_bidder(kit, a))
    assert r.status_code == 200
    for again in (
        kit.c.post(f"/projects/{pid}/bids/{mine['id']}/withdrawal", headers=_bidder(kit, a)),
        kit.c.put(
            f"/projects/{pid}/bids/{mine['id']}", json={"uscc": a, "price": "1.00"}, headers=_bidder(kit, a)
        ),
    ):
        r = await again
        assert (r.status_code, r.json()["code"]) == (409, "BID_WITHDRAWN")
    r = await kit.c.get(f"/projects/{pid}/bids/mine", headers=_bidder(kit, a))
    assert (r.status_code, r.json()["code"]) == (404, "BID_NOT_FOUND")
    assert (await kit.c.get(f"/projects/{pid}/bids/{mine['id']}", headers=_bidder(kit, a))).json()[
        "withdrawn_at"
    ]
    second = await _bid(kit, pid, a, "2450000.00")  # a new bid after the withdrawal
    await _bid(kit, pid, c, "2550000.00")

    # The history tells that bids came and went, never who or at what price.
    events = (await kit.c.get(f"/projects/{pid}/events", headers=kit.auth("auditor", LINGWU))).json()
    sealed = [e for e in events if e["action"].startswith("project.bid_")]
    assert [e["action"] for e in sealed] == [
        "project.bid_submitted",
        "project.bid_submitted",
        "project.bid_replaced",
        "project.bid_withdrawn",
        "project.bid_submitted",
        "project.bid_submitted",
    ]
    assert {e["actor"] for e in sealed} == {"sealed-bidder"}
    assert not any(x in json.dumps(events, ensure_ascii=False) for x in (a, b, c, "2500000.00", "2450000.00"))

    opened = (await kit.tr("projects", pid, "bidding_closed", "bureau", LINGWU)).json()
    record = opened["opening"]
    assert (record["round"], record["withdrawn"], len(record["bids"])) == (1, 1, 3)
    assert {x["uscc"]: x["price"] for x in record["bids"]} == {
        a: "2450000.00",
        b: "2600000.00",
        c: "2550000.00",
    }
    # Anyone holding the record recomputes each commitment and finds it in the history, fixed
    # before the opening.
    committed = {e["data"]["bid_id"]: e["data"]["commitment"] for e in sealed if "commitment" in e["data"]}
    for x in record["bids"]:
        digest = hashlib.sha256(PROPOSAL.encode()).hexdigest()
        assert x["proposal_sha256"] == digest
        recomputed = commitment(x["salt"], x["bid_id"], 1, x["uscc"], x["price"], digest)
        assert recomputed == x["commitment"] == committed[x["bid_id"]]
    assert record["bids"][0]["bid_id"] != mine["id"] and second["id"] in {x["bid_id"] for x in record["bids"]}

    # After the opening: the purchaser's side reads bidders and prices; the record goes to its bidders.
    listed = (await kit.c.get(f"/projects/{pid}/bids", headers=kit.auth("bureau", LINGWU))).json()
    assert sorted((x["uscc"], x["price"], x["sealed"]) for x in listed) == sorted(
        [(a, "2450000.00", False), (b, "2600000.00", False), (c, "2550000.00", False)]
    )
    r = await kit.c.get(f"/projects/{pid}/bids/{second['id']}", headers=kit.auth("finance", LINGWU))
    assert r.status_code == 200 and r.json()["price"] == "2450000.00"
    assert (await kit.c.get(f"/projects/{pid}/opening", headers=kit.auth("auditor", LINGWU))).json() == record
    assert {x["submitted_by"] for x in record["bids"]} == {f"bidder-user-{x}" for x in (a, b, c)}
    # The bidders read the record as read out, without one another's user accounts.
    read_out = {
        **record,
        "bids": [{k: v for k, v in x.items() if k != "submitted_by"} for x in record["bids"]],
    }
    assert (await kit.c.get(f"/projects/{pid}/opening", headers=_bidder(kit, b))).json() == read_out
    outsider = await kit.contractor(7299)
    r = await kit.c.get(f"/projects/{pid}/opening", headers=_bidder(kit, outsider))
    assert (r.status_code, r.json()["code"]) == (404, "PROJECT_NOT_FOUND")
    r = await kit.c.get(f"/projects/{pid}/bids/{second['id']}", headers=_bidder(kit, b))
    assert (r.status_code, r.json()["code"]) == (404, "BID_NOT_FOUND")
    # The withdrawn bid stays sealed; nothing is replaced or withdrawn after the opening.
    r = await kit.c.get(f"/projects/{pid}/bids/{mine['id']}", headers=kit.auth("bureau", LINGWU))
    assert (r.status_code, r.json()["code"]) == (409, "BID_SEALED")
    r = await kit.c.put(
        f"/projects/{pid}/bids/{second['id']}", json={"uscc": a, "price": "1.00"}, headers=_bidder(kit, a)
    )
    assert (r.status_code, r.json()["code"]) == (409, "WRONG_STAGE")


async def test_only_the_master_key_that_sealed_a_project_opens_it(
    kit: Kit, database_url: str, auth: Callable[..., dict[str, str]]
) -> None:
    pid = await _announced(kit)
    for n in (1, 2):
        await _bid(kit, pid, await kit.contractor(7300 + n), PRICE[n])

    def app(**keys: str) -> Any:
        return create(
            Settings(DATABASE_URL=database_url, JWT_SECRET=TEST_SECRET, JIUZHU_ENVIRONMENT="test", **keys)
        )

    body = {"to": "bidding_closed"}
    async with service_client(app(bid_key=OTHER_KEY)) as other:
        r = await other.post(f"/projects/{pid}/transitions", json=body, headers=auth("bureau", LINGWU))
        assert (r.status_code, r.json()["code"]) == (503, "BID_KEY_UNAVAILABLE"), r.text
        assert PRICE[1] not in r.text
    # Nothing was written by the refused opening.
    project = (await kit.c.get(f"/projects/{pid}", headers=auth("bureau", LINGWU))).json()
    assert (project["status"], project["opening"]) == ("announced", None)
    # A rotation: the new key is current, the old one still unwraps what it wrapped.
    async with service_client(app(bid_key=OTHER_KEY, bid_keys_previous=DEV_BID_KEY)) as rotated:
        r = await rotated.post(f"/projects/{pid}/transitions", json=body, headers=auth("bureau", LINGWU))
        assert r.status_code == 200, r.text
        assert sorted(x["price"] for x in r.json()["opening"]["bids"]) == [PRICE[2], PRICE[1]]


def test_the_master_key_is_32_bytes_and_never_the_development_key_in_prod() -> None:
    prod = {
        "JIUZHU_ENVIRONMENT": "prod",
        "JWT_SECRET": "x" * 40,
        "DATABASE_URL": "postgresql://db/jiuzhu",
        "JIUZHU_CLOCK": "",  # the suite's clock is refused in prod
    }
    with pytest.raises(ValueError, match="PROCUREMENT_BID_KEY is the development key"):
        Settings(**prod)
    with pytest.raises(ValueError, match="32 bytes"):
        Settings(**prod, bid_key="c2hvcnQ=")
    with pytest.raises(ValueError, match="base64"):
        Settings(bid_key="not base64 at all!")
    # (the roster's personal-data key is a real one too: tests/test_procurement_roster.py)
    assert Settings(**prod, bid_key=OTHER_KEY, personal_data_key=OTHER_KEY).bid_key == OTHER_KEY
    ring = Keyring.of(OTHER_KEY, DEV_BID_KEY)
    assert ring.current_id != Keyring.of(DEV_BID_KEY).current_id and len(ring.previous) == 1


async def test_every_path_of_the_project_a_client_can_read_hides_sealed_bids(
    kit: Kit, client: httpx.AsyncClient
) -> None:
    """The OCDS packages and the public routes too, for anyone."""
    pid = await _announced(kit)
    code = await kit.contractor(7401, name=NAMES[1])
    await _bid(kit, pid, code, PRICE[1])
    for path in (f"/ocds/releases/{pid}", f"/ocds/records/{pid}", "/public/announcements", "/public/results"):
        r = await client.get(path)
        assert r.status_code == 200 and not any(s in r.text for s in (PRICE[1], code, NAMES[1])), path
