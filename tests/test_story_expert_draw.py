"""The expert draw of an open tender, through the gateway: "was the panel rigged?" answered in public.

Ningxia's finance department keeps the provincial pool of review experts (评审专家库). 灵武市 tenders
a 12-million purchase, so the panel needs 7 members or more (财政部令第87号 47), experts at least
2/3. Before bids close the bureau commits to a secret seed by publishing its hash; the service adds
a seed of its own and freezes the pool. After bids close the bureau reveals its seed: an expert
working for a bidder and one who declared a tie to the purchaser step aside (回避), and the panel
follows. An anonymous reader then recomputes the panel from the public record alone, with the
few lines below (they import nothing of the service), and finds the same experts the purchaser
must seat: the scoring accepts those and nobody else.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from jiuzhu_devtools.testing import LiveStack, test_today
from tests.stories import Walk, every_chain, story, uscc

LINGWU = "640181"
NINGXIA = "640000"
SEED = "9a1e" * 16  # kept by the bureau until the draw
PRICES = ("11650000.00", "11480000.00", "11920000.00")


def recompute(pub: dict[str, Any]) -> list[str]:
    """Any reader's check: the commitments hold, the pool is the frozen one, and the panel is the
    first `experts` of the eligible ids ordered by HMAC-SHA256(key, id)."""

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    assert sha(pub["purchaser_seed"]) == pub["purchaser_commitment"], (
        "the bureau's seed is not the committed one"
    )
    assert sha(pub["service_seed"]) == pub["service_commitment"], (
        "the service's seed is not the committed one"
    )
    assert sha("\n".join(pub["pool"])) == pub["pool_hash"], "the pool is not the frozen one"
    out = {x["expert_id"] for x in pub["exclusions"]}
    key = hashlib.sha256(
        f"{pub['algorithm']}:{pub['purchaser_seed']}:{pub['service_seed']}".encode()
    ).digest()
    eligible = sorted(i for i in pub["pool"] if i not in out)
    order = sorted(eligible, key=lambda i: (hmac.new(key, i.encode(), hashlib.sha256).hexdigest(), i))
    return order[: pub["experts"]]


async def _expert(w: Walk, name: str, fields: list[str], **extra: Any) -> str:
    body = {"pool_division": NINGXIA, "name": name, "fields": fields, "organisation": "宁夏大学", **extra}
    made = await w.call("POST", "/api/procurement/experts", ("finance", NINGXIA), json=body, expect=201)
    w.trail.append(("procurement", f"experts/{made['id']}"))
    return str(made["id"])


async def test_an_open_tender_panel_anyone_can_recompute(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    async with story(live_stack.gateway, token) as w:
        bureau, finance = ("bureau", LINGWU), ("finance", LINGWU)
        bidders = [uscc("52", LINGWU, n) for n in (701, 702, 703)]

        # 1. The provincial pool: ten experts, one working for a future bidder, one tied to 灵武市.
        clean = [await _expert(w, f"司马专家{i}", ["社会工作", "社会救助"]) for i in range(8)]
        at_bidder = await _expert(w, "上官专家", ["社会工作"], organisation_uscc=bidders[0])
        tied = await _expert(
            w,
            "欧阳专家",
            ["社会救助"],
            conflicts=[{"division_code": LINGWU, "note": "配偶在灵武市民政局任职"}],
        )

        # 2. 灵武市 tenders 12 million yuan of household verification.
        line = {"funding_source": "working_funds", "amount": "15000000.00", "scope": "入户核查服务"}
        plan = await w.plan(LINGWU, test_today().year, [line], "灵武市购买社会救助服务计划")
        body = {
            "plan_id": plan,
            "division_code": LINGWU,
            "title": "灵武市社会救助入户核查服务（三年）",
            "items": ["AS09"],
            "budget": "12000000.00",
            "funding_source": "working_funds",
        }
        pid = str((await w.call("POST", "/api/procurement/projects", bureau, json=body, expect=201))["id"])
        w.trail.append(("procurement", f"projects/{pid}"))
        await w.tr("projects", pid, "approved", finance)
        await w.tr(
            "projects", pid, "announced", bureau, {"method": "open_tender", "scoring": {"price_weight": "30"}}
        )
        public = f"/api/public/procurement/projects/{pid}/expert-draw"
        assert (await w.call("GET", public, None, expect=404))["code"] == "EXPERT_DRAW_NOT_FOUND"

        # 3. Before bids close: the commitment, in public at once. Six experts and one representative.
        commitment = hashlib.sha256(SEED.encode()).hexdigest()
        draw = f"/api/procurement/projects/{pid}/expert-draw"
        made = await w.call(
            "POST",
            f"{draw}/commitment",
            bureau,
            json={
                "purchaser_commitment": commitment,
                "representatives": 1,
                "fields": ["社会工作", "社会救助"],
            },
            expect=201,
        )
        assert (made["panel_size"], made["experts"], made["rule"]["minimum"]) == (7, 6, 7)
        assert made["rule"]["citation"] == "财政部令第87号 第四十七条"
        pub = await w.call("GET", public, None)
        assert pub["status"] == "committed" and pub["purchaser_commitment"] == commitment
        assert pub["service_seed"] is None and pub["panel"] is None and len(pub["pool"]) == 10

        for i, (code, price) in enumerate(zip(bidders, PRICES, strict=True)):
            await w.register(code, f"灵武市第{i + 1}社会工作服务社", LINGWU)
            await w.bid(pid, code, LINGWU, price)
        # A bidder reads the public record like anyone, never the purchaser's file.
        refused = await w.call("GET", draw, ("contractor", LINGWU, bidders[1]), expect=403)
        assert refused["code"] == "ROLE_FORBIDDEN"
        early = await w.call("POST", draw, bureau, json={"seed": SEED}, expect=409)
        assert early["code"] == "EXPERT_DRAW_BEFORE_BIDS_CLOSE"

        # 4. Bids closed: the reveal. A seed other than the committed one is refused.
        await w.tr("projects", pid, "bidding_closed", bureau)
        wrong = await w.call("POST", draw, bureau, json={"seed": "1" * 64}, expect=409)
        assert wrong["code"] == "DRAW_SEED_MISMATCH"
        drawn = await w.call("POST", draw, bureau, json={"seed": SEED})
        assert len(drawn["panel"]) == 6
        # 灵武市's bureau does not manage the provincial pool: it sees the drawn experts' names masked.
        assert all(m["name"].endswith("**") for m in drawn["panel_experts"])
        full = await w.call("GET", draw, ("finance", NINGXIA))
        assert {m["name"] for m in full["panel_experts"]} <= {f"司马专家{i}" for i in range(8)}

        # 5. Anyone, without a token, recomputes the panel from the public record alone.
        pub = await w.call("GET", public, None)
        assert recompute(pub) == pub["panel"] == drawn["panel"]
        reasons = {x["expert_id"]: x["reason"] for x in pub["exclusions"]}
        assert reasons == {at_bidder: "bidder_organisation", tied: "declared_conflict_purchaser"}
        assert set(pub["panel"]) <= set(clean)
        text = str(pub)
        assert not any(n in text for n in ("司马", "上官", "欧阳", *bidders)), (
            "the public record names nobody"
        )

        # 6. The panel scores: the drawn six and the bureau's representative, nobody else.
        await w.tr("projects", pid, "qualification_review", bureau)
        await w.qualify_all(pid, LINGWU)
        await w.tr("projects", pid, "scoring", bureau)
        bids = [b["id"] for b in await w.call("GET", f"/api/procurement/projects/{pid}/bids", bureau)]
        outsider = next(i for i in clean if i not in pub["panel"])

        def sheet(experts: list[str]) -> dict[str, Any]:
            members = [{"id": "采购人代表", "expert": False}] + [{"id": i, "expert": True} for i in experts]
            return {
                "members": members,
                "scores": [{"bid_id": b, "member_id": m["id"], "score": "55"} for b in bids for m in members],
            }

        swapped = [*pub["panel"][:5], outsider]
        bad = await w.call(
            "POST", f"/api/procurement/projects/{pid}/scoring", bureau, json=sheet(swapped), expect=409
        )
        assert bad["code"] == "PANEL_INVALID"
        scored = await w.call(
            "POST", f"/api/procurement/projects/{pid}/scoring", bureau, json=sheet(pub["panel"])
        )
        assert scored["awardable"] is True
        await w.tr("projects", pid, "awarded", bureau)

        # 7. Every chain the story touched verifies (the project's holds the commitment and the draw).
        events = await w.call("GET", f"/api/procurement/projects/{pid}/events", ("auditor", LINGWU))
        actions = [e["action"] for e in events]
        assert actions.index("project.expert_draw_committed") < actions.index("project.experts_drawn")
        assert pub["service_seed"] not in str(events[: actions.index("project.experts_drawn")])
        await w.verify_trail(("auditor", NINGXIA))
        chains = await every_chain(database_url)
        assert chains["procurement"]["expert"] == 10
