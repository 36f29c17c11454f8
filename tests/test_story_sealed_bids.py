"""Sealed bids through the gateway: nobody sees a price or who bid until the opening.

徐汇区 announces an open tender; three social-work organisations bid, one replaces its price and one
withdraws and bids again. Until the bureau opens the bids (`close_bidding`), every other reader —
the purchasing bureau itself and its city, the township, finance, the auditor, an organisation that
did not bid, a national admin, a portal, an evaluator, anyone without a token — asks every read
route of the project (the project and the list, bids, each bid, the opening record, ranking,
challenges, the history and its verification, the OCDS release and record packages, the public
announcements, results and contracts) and finds no price and no bidder; each bidder finds its own
bid and nothing of the others'. At the opening the record reads out who bid and at what price; the
purchaser's side sees them from then on, the bidders read the record, and anyone holding the record
recomputes each bid's commitment, which the history fixed before the opening.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from jiuzhu_devtools.testing import LiveStack, test_today
from tests.stories import Walk, story, uscc

COUNTY, CITY = "310104", "310100"
P = "/api/procurement"
NAMES = {"A": "徐汇区密封甲社工服务社", "B": "上海市密封乙社会工作事务所", "C": "上海密封丙社会服务中心"}
PRICES = {"A": "2811111.17", "B": "2722222.27", "C": "2633333.37"}
FIRST_A = "2944444.49"  # A's first price, replaced before the opening
FIRST_C = "2855555.58"  # C's first bid, withdrawn before the opening (C bids again)
PROPOSAL = "服务方案：人员、流程、质量控制"


def _text(r: Any) -> str:
    """A response as a reader sees it (JSON without \\u escapes, so names are found as written)."""
    if r.headers.get("content-type", "").endswith("json"):
        return json.dumps(r.json(), ensure_ascii=False)
    return str(r.text)


async def _announced(w: Walk) -> str:
    bureau, finance = ("bureau", COUNTY), ("finance", COUNTY)
    line = {"funding_source": "assistance_subsidy_funds", "amount": "3000000.00", "scope": "个案评估服务"}
    plan = await w.plan(COUNTY, test_today().year, [line], "徐汇区购买社会救助服务计划（密封投标）")
    body = {
        "plan_id": plan,
        "division_code": COUNTY,
        "title": "徐汇区社会救助个案评估服务（密封投标）",
        "items": ["DS12"],
        "quantity": "全年 600 个个案",
        "budget": "2950000.00",
        "funding_source": "assistance_subsidy_funds",
    }
    pid = str((await w.call("POST", f"{P}/projects", bureau, json=body, expect=201))["id"])
    await w.tr("projects", pid, "approved", finance)
    await w.tr(
        "projects", pid, "announced", bureau, {"method": "open_tender", "scoring": {"price_weight": "30"}}
    )
    w.trail.append(("procurement", f"projects/{pid}"))
    return pid


async def test_sealed_bids_are_invisible_to_every_other_reader_until_the_opening(
    live_stack: LiveStack, token: Callable[..., str]
) -> None:
    async with story(live_stack.gateway, token) as w:
        pid = await _announced(w)
        codes = {k: uscc("52", COUNTY, 601 + i) for i, k in enumerate("ABC")}
        outsider = uscc("52", COUNTY, 699)
        for k, code in codes.items():
            await w.register(code, NAMES[k], COUNTY)
        await w.register(outsider, "徐汇区未投标社工服务社", COUNTY)

        def bidder(k: str) -> tuple[str, ...]:
            return ("contractor", COUNTY, codes[k])

        bids = {
            "A": await w.bid(pid, codes["A"], COUNTY, FIRST_A),
            "B": await w.bid(pid, codes["B"], COUNTY, PRICES["B"]),
        }
        assert all(b["sealed"] and "price" not in b for b in bids.values())  # a receipt, not the offer
        replaced = {"uscc": codes["A"], "price": PRICES["A"], "proposal": PROPOSAL}
        await w.call("PUT", f"{P}/projects/{pid}/bids/{bids['A']['id']}", bidder("A"), json=replaced)
        withdrawn = await w.bid(pid, codes["C"], COUNTY, FIRST_C)
        await w.call("POST", f"{P}/projects/{pid}/bids/{withdrawn['id']}/withdrawal", bidder("C"))
        bids["C"] = await w.bid(pid, codes["C"], COUNTY, PRICES["C"])

        secrets = {
            **{f"{k}'s price": p for k, p in PRICES.items()},
            "A's replaced price": FIRST_A,
            "C's withdrawn price": FIRST_C,
            **{f"{k}'s code": c for k, c in codes.items()},
            **{f"{k}'s name": n for k, n in NAMES.items()},
        }
        bid_ids = [b["id"] for b in (*bids.values(), withdrawn)]
        routes = [
            f"{P}/projects/{pid}",
            f"{P}/projects",
            f"{P}/projects/{pid}/bids",
            f"{P}/projects/{pid}/bids/mine",
            *(f"{P}/projects/{pid}/bids/{b}" for b in bid_ids),
            f"{P}/projects/{pid}/opening",
            f"{P}/projects/{pid}/ranking",
            f"{P}/projects/{pid}/challenges",
            f"{P}/projects/{pid}/events",
            f"{P}/projects/{pid}/events/verify",
            f"{P}/ocds/releases/{pid}",
            f"{P}/ocds/records/{pid}",
            "/api/public/procurement/announcements",
            "/api/public/procurement/results",
            "/api/public/procurement/contracts",
        ]
        others: list[tuple[str, ...] | None] = [
            ("bureau", COUNTY),  # the purchaser, who also sits on the panel
            ("bureau", CITY),
            ("township", COUNTY + "001"),
            ("finance", COUNTY),
            ("auditor", COUNTY),
            ("contractor", COUNTY, outsider),  # an organisation that did not bid
            ("admin", "000000"),
            ("portal", COUNTY),
            ("evaluator", COUNTY),
            None,  # no token
        ]

        async def read_all(who: tuple[str, ...] | None) -> dict[str, tuple[int, str]]:
            headers = {} if who is None else w.h(who[0], who[1], org=who[2] if len(who) > 2 else None)
            out = {}
            for route in routes:
                r = await w.client.get(route, headers=headers)
                assert r.status_code < 500, (who, route, r.text)
                out[route] = (r.status_code, _text(r))
            return out

        def leaks(seen: dict[str, tuple[int, str]], hidden: dict[str, str]) -> list[str]:
            return [
                f"{route}: {what}" for route, (_, t) in seen.items() for what, s in hidden.items() if s in t
            ]

        # Before the opening.
        for who in others:
            seen = await read_all(who)
            assert leaks(seen, secrets) == [], who
            if who in (("bureau", COUNTY), ("auditor", COUNTY), ("admin", "000000")):
                # The purchaser's side sees that bids arrived and when, and that they are sealed.
                status, listed = seen[f"{P}/projects/{pid}/bids"]
                assert status == 200 and [b["sealed"] for b in json.loads(listed)] == [True] * 3, who
                for b in bid_ids:
                    status, body = seen[f"{P}/projects/{pid}/bids/{b}"]
                    assert (status, json.loads(body)["code"]) == (409, "BID_SEALED"), who
                events = json.loads(seen[f"{P}/projects/{pid}/events"][1])
                assert [e["actor"] for e in events if e["action"].startswith("project.bid_")] == [
                    "sealed-bidder"
                ] * 6
        for k in "ABC":
            seen = await read_all(bidder(k))
            own = {f"{k}'s price", f"{k}'s code", f"{k}'s name"} | (
                {"C's withdrawn price"} if k == "C" else set()
            )
            assert leaks(seen, {s: v for s, v in secrets.items() if s not in own}) == [], k
            mine = json.loads(seen[f"{P}/projects/{pid}/bids/mine"][1])
            assert (mine["id"], mine["price"], mine["uscc"], mine["sealed"]) == (
                bids[k]["id"],
                PRICES[k],
                codes[k],
                True,
            )
        assert json.loads((await read_all(bidder("C")))[f"{P}/projects/{pid}/bids/{withdrawn['id']}"][1])[
            "withdrawn_at"
        ]

        # The opening: the record reads out who bid and at what price.
        opened = await w.tr("projects", pid, "bidding_closed", ("bureau", COUNTY))
        record = opened["opening"]
        assert {x["uscc"]: (x["name"], x["price"]) for x in record["bids"]} == {
            codes[k]: (NAMES[k], PRICES[k]) for k in "ABC"
        }
        assert record["withdrawn"] == 1 and record["citation"] == "财政部令第87号 39–41"
        # Anyone holding the record recomputes each commitment; the history fixed them before.
        events = await w.call("GET", f"{P}/projects/{pid}/events", ("auditor", COUNTY))
        fixed = {
            e["data"]["bid_id"]: e["data"]["commitment"]
            for e in events
            if e["action"] in ("project.bid_submitted", "project.bid_replaced")
        }
        for x in record["bids"]:
            offer = {
                "bid_id": x["bid_id"],
                "round": 1,
                "uscc": x["uscc"],
                "price": x["price"],
                "proposal_sha256": hashlib.sha256(PROPOSAL.encode()).hexdigest(),
            }
            text = (
                x["salt"]
                + "\n"
                + json.dumps(offer, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            )
            assert hashlib.sha256(text.encode()).hexdigest() == x["commitment"] == fixed[x["bid_id"]]

        # After the opening the purchaser's side sees bidders and prices; nobody else does.
        never = {"A's replaced price": FIRST_A, "C's withdrawn price": FIRST_C}
        for who in (("bureau", COUNTY), ("finance", COUNTY), ("auditor", COUNTY)):
            seen = await read_all(who)
            listed = json.loads(seen[f"{P}/projects/{pid}/bids"][1])
            assert {b["uscc"]: b["price"] for b in listed} == {codes[k]: PRICES[k] for k in "ABC"}, who
            assert json.loads(seen[f"{P}/projects/{pid}/opening"][1]) == record
            assert leaks(seen, never) == [], who
        for who in (("contractor", COUNTY, outsider), ("portal", COUNTY), ("evaluator", COUNTY), None):
            assert leaks(await read_all(who), secrets) == [], who
        # Each bidder reads the record it signs (财政部令第87号 42), not the others' bids.
        read_out = {
            **record,
            "bids": [{k: v for k, v in x.items() if k != "submitted_by"} for x in record["bids"]],
        }
        for k in "ABC":
            assert await w.call("GET", f"{P}/projects/{pid}/opening", bidder(k)) == read_out
            other = bids["B" if k != "B" else "A"]["id"]
            r = await w.client.get(f"{P}/projects/{pid}/bids/{other}", headers=w.h(*bidder(k)))
            assert (r.status_code, r.json()["code"]) == (404, "BID_NOT_FOUND")
        r = await w.client.get(f"{P}/projects/{pid}/opening", headers=w.h("contractor", COUNTY, org=outsider))
        assert (r.status_code, r.json()["code"]) == (404, "PROJECT_NOT_FOUND")

        chains = await w.verify_trail(("auditor", COUNTY))
        assert chains[f"procurement/projects/{pid}"] >= 10
