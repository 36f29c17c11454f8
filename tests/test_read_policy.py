"""Histories obey the aggregate's read policy, through the gateway (harden findings 1 and 2).

Before: `…/projects/{id}/events` checked the division only, so a bidder (or a portal, an evaluator, a
contractor token of `000000`) read during scoring every bidder's price, each panel member's score and
the ranking, while `GET /projects/{id}` refused them; `…/contractors/{uscc}/events` showed the legal
representative and the phone in full to a portal or another contractor while the single read masked
them. Now both are decided by the aggregate's policy: same refusals, same masking.
"""

from __future__ import annotations

from collections.abc import Callable

from jiuzhu_devtools.testing import LiveStack, test_today
from tests.stories import Walk, story, uscc

COUNTY = "310104"
PANEL = [{"id": "buyer", "expert": False}] + [{"id": f"expert{i}", "expert": True} for i in range(1, 5)]
PRICES = {"A": "2812345.67", "B": "2923456.78", "C": "2734567.89"}


async def _project_in_scoring(w: Walk, a: str, b: str, c: str) -> str:
    bureau, finance = ("bureau", COUNTY), ("finance", COUNTY)
    line = {"funding_source": "assistance_subsidy_funds", "amount": "3000000.00", "scope": "个案评估服务"}
    plan = await w.plan(COUNTY, test_today().year, [line], "徐汇区购买社会救助服务计划")
    body = {
        "plan_id": plan,
        "division_code": COUNTY,
        "title": "徐汇区社会救助个案评估服务",
        "items": ["DS12"],
        "quantity": "全年 600 个个案",
        "budget": "2950000.00",
        "funding_source": "assistance_subsidy_funds",
    }
    pid = str((await w.call("POST", "/api/procurement/projects", bureau, json=body, expect=201))["id"])
    await w.tr("projects", pid, "approved", finance)
    await w.tr(
        "projects", pid, "announced", bureau, {"method": "open_tender", "scoring": {"price_weight": "30"}}
    )
    for code, name, price in (
        (a, "徐汇区乐群社工服务社", PRICES["A"]),
        (b, "上海市益心社会工作事务所", PRICES["B"]),
        (c, "上海浦江社会服务中心", PRICES["C"]),
    ):
        await w.register(code, name, COUNTY)
        await w.bid(pid, code, COUNTY, price)
    await w.tr("projects", pid, "bidding_closed", bureau)
    await w.tr("projects", pid, "qualification_review", bureau)
    await w.qualify_all(pid, COUNTY)
    await w.tr("projects", pid, "scoring", bureau)
    bids = {x["uscc"]: x["id"] for x in await w.call("GET", f"/api/procurement/projects/{pid}/bids", bureau)}
    scores = [{"bid_id": bids[x], "member_id": m["id"], "score": "61"} for x in (a, b, c) for m in PANEL]
    await w.call(
        "POST", f"/api/procurement/projects/{pid}/scoring", bureau, json={"members": PANEL, "scores": scores}
    )
    return pid


async def test_histories_refuse_whom_the_aggregate_refuses_and_mask_what_it_masks(
    live_stack: LiveStack, token: Callable[..., str]
) -> None:
    async with story(live_stack.gateway, token) as w:
        a, b, c = (uscc("52", COUNTY, n) for n in (501, 502, 503))
        pid = await _project_in_scoring(w, a, b, c)

        # Project history: the purchaser's side reads every price; nobody refused the project reads it.
        full = await w.call("GET", f"/api/procurement/projects/{pid}/events", ("auditor", COUNTY))
        assert PRICES["A"] in str(full) and PRICES["B"] in str(full)
        outsiders: list[tuple[str, ...]] = [
            ("contractor", COUNTY, a),  # a bidder of this very project
            ("contractor", "000000", b),  # a bidder with a national token
            ("portal", COUNTY),
            ("evaluator", "000000"),
        ]
        for who in outsiders:
            single = await w.call("GET", f"/api/procurement/projects/{pid}", who, expect=403)
            assert single["code"] == "ROLE_FORBIDDEN"
            for suffix in ("events", "events/verify"):
                r = await w.client.get(f"/api/procurement/projects/{pid}/{suffix}", headers=w.h(*who))
                assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN"), (who, suffix, r.text)
                assert PRICES["A"] not in r.text and PRICES["B"] not in r.text
        # Another county's bureau: the project looks absent, its history too.
        for suffix in ("", "/events", "/events/verify"):
            r = await w.client.get(
                f"/api/procurement/projects/{pid}{suffix}", headers=w.h("bureau", "440103")
            )
            assert (r.status_code, r.json()["code"]) == (404, "PROJECT_NOT_FOUND"), r.text

        # Contractor history: personal data masked exactly where the single read masks it.
        for who, masked in (
            (("portal", COUNTY), True),
            (("contractor", COUNTY, b), True),  # another contractor
            (("evaluator", COUNTY), True),
            (("contractor", COUNTY, a), False),  # the contractor itself
            (("bureau", "440103"), False),  # the authorities, nationwide registry
        ):
            single = await w.call("GET", f"/api/procurement/contractors/{a}", who)
            events = await w.call("GET", f"/api/procurement/contractors/{a}/events", who)
            registered = events[0]["data"]
            assert registered["legal_representative"] == single["legal_representative"], who
            assert registered["contact_phone"] == single["contact_phone"], who
            if masked:
                assert (single["legal_representative"], single["contact_phone"]) == ("张**", "139****5678")
                assert "张建国" not in str(events) and "13912345678" not in str(events), who
            else:
                assert (single["legal_representative"], single["contact_phone"]) == ("张建国", "13912345678")
