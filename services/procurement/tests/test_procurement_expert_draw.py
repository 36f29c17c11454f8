"""The expert draw (随机抽取评审专家): verifiable by anyone, with avoidance (回避), sized by the dated rule.

The recomputation below is written again on purpose, from the published algorithm steps only: it
imports nothing of jiuzhu_procurement.expert, so a bug in draw.py cannot hide itself.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx

from jiuzhu_devtools.testing import test_today

from .conftest import LINGWU, Kit, code

SEED = "5eed" * 16  # the purchaser's secret seed: 64 lowercase hex characters
PROVINCE = "640000"  # 宁夏回族自治区: a provincial pool covers Lingwu's projects
SOCIAL_WORK = "社会工作"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def recompute(pub: dict[str, Any]) -> list[str]:
    """The panel from the public record alone (an independent implementation of its steps)."""
    assert sha256(pub["purchaser_seed"]) == pub["purchaser_commitment"]
    assert sha256(pub["service_seed"]) == pub["service_commitment"]
    pool = pub["pool"]
    assert pool == sorted(pool) and sha256("\n".join(pool)) == pub["pool_hash"]
    excluded = {x["expert_id"] for x in pub["exclusions"]}
    assert excluded <= set(pool)
    eligible = [i for i in pool if i not in excluded]
    assert eligible == pub["eligible"]
    key = hashlib.sha256(
        f"jiuzhu-expert-draw/1:{pub['purchaser_seed']}:{pub['service_seed']}".encode()
    ).digest()
    order = sorted(eligible, key=lambda i: (hmac.new(key, i.encode(), hashlib.sha256).hexdigest(), i))
    assert order == pub["ranking"]
    return order[: pub["experts"]]


class Draws:
    """Helpers over the kit: experts in a pool, a project announced, its bids, the draw."""

    def __init__(self, kit: Kit) -> None:
        self.kit, self.c, self.auth = kit, kit.c, kit.auth
        self.n = 0
        self.plan_id: str | None = None

    async def plan(self) -> str:
        if self.plan_id is None:
            self.plan_id = await self.kit.plan(LINGWU, test_today().year, amount="90000000.00")
        return self.plan_id

    async def expert(
        self,
        *,
        pool: str = LINGWU,
        role: str = "bureau",
        fields: tuple[str, ...] = (SOCIAL_WORK,),
        org_uscc: str | None = None,
        conflicts: list[dict[str, str]] | None = None,
        name: str | None = None,
    ) -> str:
        self.n += 1
        body: dict[str, Any] = {
            "pool_division": pool,
            "name": name or f"欧阳专家{self.n}",
            "fields": list(fields),
            "organisation": f"宁夏某大学{self.n}",
            "conflicts": conflicts or [],
        }
        if org_uscc:
            body["organisation_uscc"] = org_uscc
        r = await self.c.post("/experts", json=body, headers=self.auth(role, pool))
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def experts(self, n: int, **kw: Any) -> list[str]:
        return [await self.expert(**kw) for _ in range(n)]

    async def announced(self, budget: str = "3000000.00") -> str:
        div = LINGWU
        pid = str((await self.kit.project(div, await self.plan(), budget=budget)).json()["id"])
        await self.kit.tr("projects", pid, "approved", "finance", div)
        data = {"method": "open_tender", "scoring": {"price_weight": "30"}}
        await self.kit.tr("projects", pid, "announced", "bureau", div, data)
        return pid

    async def commit(self, pid: str, expect: int = 201, seed: str = SEED, **body: Any) -> httpx.Response:
        r = await self.c.post(
            f"/projects/{pid}/expert-draw/commitment",
            json={"purchaser_commitment": sha256(seed), **body},
            headers=self.auth("bureau", LINGWU),
        )
        assert r.status_code == expect, r.text
        return r

    async def bids(self, pid: str, bidders: list[str], prices: list[str] | None = None) -> list[str]:
        prices = prices or ["2800000.00", "2600000.00", "2900000.00"][: len(bidders)]
        return [
            str((await self.kit.bid(pid, u, p)).json()["id"]) for u, p in zip(bidders, prices, strict=True)
        ]

    async def bidders(self, n: int = 3) -> list[str]:
        out = []
        for _ in range(n):
            self.kit.n += 1
            out.append(await self.kit.contractor(self.kit.n))
        return out

    async def reveal(self, pid: str, seed: str = SEED, expect: int = 200) -> httpx.Response:
        r = await self.c.post(
            f"/projects/{pid}/expert-draw", json={"seed": seed}, headers=self.auth("bureau", LINGWU)
        )
        assert r.status_code == expect, r.text
        return r

    async def public(self, pid: str, expect: int = 200) -> dict[str, Any]:
        r = await self.c.get(f"/public/projects/{pid}/expert-draw")  # no token
        assert r.status_code == expect, r.text
        return dict(r.json())


async def _to_qualification(d: Draws, pid: str, bids: list[str]) -> None:
    await d.kit.tr("projects", pid, "bidding_closed", "bureau", LINGWU)
    await d.kit.tr("projects", pid, "qualification_review", "bureau", LINGWU)
    for b in bids:
        r = await d.c.post(
            f"/projects/{pid}/bids/{b}/qualification",
            json={"qualified": True},
            headers=d.auth("bureau", LINGWU),
        )
        assert r.status_code == 200, r.text


def _scoring(members: list[dict[str, Any]], bids: list[str]) -> dict[str, Any]:
    return {
        "members": members,
        "scores": [{"bid_id": b, "member_id": m["id"], "score": "50"} for b in bids for m in members],
    }


async def test_anyone_recomputes_the_panel_from_the_public_record(kit: Kit) -> None:
    d = Draws(kit)
    local = await d.experts(7)
    provincial = await d.experts(3, pool=PROVINCE, role="finance")
    await d.expert(pool="640200")  # 石嘴山市's pool does not cover 灵武市 (under 银川市 640100)
    pid = await d.announced()
    await d.public(pid, expect=404)

    committed = (await d.commit(pid, representatives=1)).json()
    # 87号令 47 for a 3-million tender: 5 or more and odd, experts at least 2/3 → 4 experts and 1 representative.
    assert (committed["panel_size"], committed["experts"], committed["representatives"]) == (5, 4, 1)
    assert committed["rule"] == {
        "minimum": 5,
        "odd": True,
        "expert_share": "2/3",
        "citation": "财政部令第87号 第四十七条",
    }
    pub = await d.public(pid)
    assert pub["status"] == "committed" and pub["purchaser_commitment"] == sha256(SEED)
    assert pub["purchaser_seed"] is None and pub["service_seed"] is None and pub["panel"] is None
    assert pub["pool"] == sorted(local + provincial) and pub["pool_hash"] == sha256("\n".join(pub["pool"]))
    # The service's seed is secret until the draw: in no response and no audit event.
    (secret,) = [r["service_seed"] for r in await kit.sql("SELECT service_seed FROM procurement.expert_draw")]
    assert sha256(secret) == pub["service_commitment"]
    events = await kit.c.get(f"/projects/{pid}/events", headers=kit.auth("auditor", LINGWU))
    assert events.status_code == 200 and secret not in events.text and "expert_draw_committed" in events.text
    assert (
        secret
        not in (await kit.c.get(f"/projects/{pid}/expert-draw", headers=kit.auth("bureau", LINGWU))).text
    )

    bidders = await d.bidders()
    bids = await d.bids(pid, bidders)
    await d.reveal(pid, expect=409)  # before bids close
    await _to_qualification(d, pid, bids)
    wrong = await d.reveal(pid, seed="0" * 64, expect=409)
    assert wrong.json()["code"] == "DRAW_SEED_MISMATCH"
    drawn = (await d.reveal(pid)).json()
    assert drawn["status"] == "drawn" and len(drawn["panel"]) == 4

    pub = await d.public(pid)
    assert pub["purchaser_seed"] == SEED and pub["service_seed"] == secret
    assert recompute(pub) == pub["panel"] == drawn["panel"]
    assert pub["exclusions"] == [] and "panel_experts" not in pub  # no names in public
    assert (await d.reveal(pid, expect=409)).json()["code"] == "EXPERT_DRAW_DONE"

    # Scoring: the drawn experts and one representative, nobody else.
    await kit.tr("projects", pid, "scoring", "bureau", LINGWU)
    rep = {"id": "采购人代表", "expert": False}
    others = [{"id": i, "expert": True} for i in (local + provincial) if i not in drawn["panel"]][:4]
    r = await kit.c.post(
        f"/projects/{pid}/scoring", json=_scoring([rep, *others], bids), headers=kit.auth("bureau", LINGWU)
    )
    assert r.status_code == 409 and r.json()["code"] == "PANEL_INVALID", r.text
    assert "随机抽取" in r.json()["detail"]
    members = [rep, *({"id": i, "expert": True} for i in drawn["panel"])]
    r = await kit.c.post(
        f"/projects/{pid}/scoring", json=_scoring(members, bids), headers=kit.auth("bureau", LINGWU)
    )
    assert r.status_code == 200, r.text
    verify = await kit.c.get(f"/projects/{pid}/events/verify", headers=kit.auth("auditor", LINGWU))
    assert verify.json()["ok"] is True


async def test_avoidance_excludes_experts_tied_to_a_bidder_or_the_purchaser(kit: Kit) -> None:
    d = Draws(kit)
    bidders = await d.bidders()
    organ = code(1, "11", LINGWU)  # a government organ of 灵武市 (机构编制 / 机关)
    tied = {
        await d.expert(org_uscc=bidders[0]): "bidder_organisation",
        await d.expert(conflicts=[{"uscc": bidders[1], "note": "三年内曾在该机构任职"}]): (
            "declared_conflict_bidder"
        ),
        await d.expert(org_uscc=organ): "purchaser_organisation",
        await d.expert(conflicts=[{"division_code": LINGWU, "note": "配偶在采购人处任职"}]): (
            "declared_conflict_purchaser"
        ),
        await d.expert(fields=("财务",)): "fields",
    }
    leaving = await d.expert()
    clean = await d.experts(5)
    unrelated = await d.expert(org_uscc=code(99))  # works for a contractor that does not bid
    pid = await d.announced()
    await d.commit(pid, representatives=0, fields=[SOCIAL_WORK])
    r = await kit.c.post(
        f"/experts/{leaving}/status",
        json={"active": False, "reason": "退休"},
        headers=kit.auth("bureau", LINGWU),
    )
    assert r.status_code == 200 and r.json()["active"] is False
    history = (await kit.c.get(f"/experts/{leaving}/events", headers=kit.auth("bureau", LINGWU))).json()
    assert [e["action"] for e in history] == ["expert.registered", "expert.deactivated"]
    assert set(history[-1]["changes"]) == {"active", "version"} and history[-1]["reason"] == "退休"
    await _to_qualification(d, pid, await d.bids(pid, bidders))
    await d.reveal(pid)
    pub = await d.public(pid)
    reasons = {x["expert_id"]: x["reason"] for x in pub["exclusions"]}
    assert reasons == {**tied, leaving: "inactive"}
    assert set(pub["eligible"]) == {*clean, unrelated}
    assert set(pub["panel"]) <= set(pub["eligible"]) and len(pub["panel"]) == 5
    cites = {x["reason"]: x["citation"] for x in pub["exclusions"]}
    assert "财库〔2016〕198号 第十六条" in cites["bidder_organisation"]
    assert cites["purchaser_organisation"] == "财政部令第87号 第四十七条"
    assert recompute(pub) == pub["panel"]
    # The public record names nobody: no expert's name, no bidder's code.
    text = str(pub)
    assert "欧阳" not in text and not any(b in text for b in bidders)


async def test_a_pool_too_small_for_the_rule_is_refused_with_its_clause(kit: Kit) -> None:
    d = Draws(kit)
    await d.experts(6)
    pid = await d.announced(budget="12000000.00")
    r = await d.commit(pid, expect=409)
    body = r.json()
    assert body["code"] == "EXPERT_POOL_TOO_SMALL" and (body["eligible"], body["needed"]) == (6, 7)
    assert body["citation"] == "财政部令第87号 第四十七条" and "财政部令第87号 第四十七条" in body["detail"]

    # Enough before the bids, too few once a bidder's own expert steps aside: refused at the draw.
    bidders = await d.bidders()
    await d.expert(org_uscc=bidders[2])
    await d.commit(pid)
    await _to_qualification(d, pid, await d.bids(pid, bidders, ["11000000.00", "11500000.00", "11800000.00"]))
    r = await d.reveal(pid, expect=409)
    assert r.json()["code"] == "EXPERT_POOL_TOO_SMALL" and (r.json()["eligible"], r.json()["needed"]) == (
        6,
        7,
    )
    assert (await d.public(pid))["status"] == "committed"


async def test_a_twelve_million_tender_draws_seven(kit: Kit) -> None:
    d = Draws(kit)
    pool = await d.experts(9)
    pid = await d.announced(budget="12000000.00")
    small = await d.commit(pid, expect=409, panel_size=5)
    assert small.json()["code"] == "PANEL_INVALID" and "7 人以上单数" in small.json()["detail"]
    assert "财政部令第87号 第四十七条" in small.json()["detail"]
    even = await d.commit(pid, expect=409, panel_size=8)
    assert even.json()["code"] == "PANEL_INVALID"
    share = await d.commit(pid, expect=409, panel_size=7, representatives=3)  # 4/7 < 2/3
    assert share.json()["code"] == "PANEL_INVALID" and "2/3" in share.json()["detail"]
    committed = (await d.commit(pid)).json()
    assert (committed["panel_size"], committed["experts"], committed["rule"]["minimum"]) == (7, 7, 7)
    assert (await d.commit(pid, expect=409)).json()["code"] == "EXPERT_DRAW_COMMITTED"
    bidders = await d.bidders()
    await _to_qualification(d, pid, await d.bids(pid, bidders, ["11000000.00", "11500000.00", "11800000.00"]))
    drawn = (await d.reveal(pid)).json()
    assert len(drawn["panel"]) == 7 and set(drawn["panel"]) <= set(pool)
    assert recompute(await d.public(pid)) == drawn["panel"]


async def test_the_commitment_comes_before_bids_close(kit: Kit) -> None:
    d = Draws(kit)
    await d.experts(5)
    pid = str((await kit.project(LINGWU, await d.plan())).json()["id"])
    await kit.tr("projects", pid, "approved", "finance", LINGWU)
    assert (await d.commit(pid, expect=409)).json()["code"] == "EXPERT_DRAW_COMMITMENT_CLOSED"
    await kit.tr(
        "projects",
        pid,
        "announced",
        "bureau",
        LINGWU,
        {"method": "open_tender", "scoring": {"price_weight": "30"}},
    )
    await d.commit(pid)
    await kit.tr("projects", pid, "cancelled", "bureau", LINGWU, reason="采购需求变更")
    assert (await d.reveal(pid, expect=409)).json()["code"] == "EXPERT_DRAW_TOO_LATE"

    pid = await d.announced()
    await kit.tr("projects", pid, "bidding_closed", "bureau", LINGWU)
    assert (await d.commit(pid, expect=409)).json()["code"] == "EXPERT_DRAW_COMMITMENT_CLOSED"
    assert (await d.reveal(pid, expect=404)).json()["code"] == "EXPERT_DRAW_NOT_FOUND"
    # Another county's purchaser cannot commit for it: the project looks absent.
    r = await kit.c.post(
        f"/projects/{pid}/expert-draw/commitment",
        json={"purchaser_commitment": sha256(SEED)},
        headers=kit.auth("bureau", "640121"),
    )
    assert r.status_code == 404 and r.json()["code"] == "PROJECT_NOT_FOUND"


async def test_names_are_the_pool_managers_only(kit: Kit) -> None:
    d = Draws(kit)
    ids = await d.experts(
        5, pool=PROVINCE, role="finance", name="司马光明", conflicts=[{"uscc": code(7), "note": "曾任理事"}]
    )
    pid = await d.announced()
    await d.commit(pid)
    bidders = await d.bidders()
    await _to_qualification(d, pid, await d.bids(pid, bidders))
    drawn = (await d.reveal(pid)).json()  # by 灵武市's bureau, which does not manage the provincial pool
    assert {m["name"] for m in drawn["panel_experts"]} == {"司***"}
    full = await kit.c.get(f"/projects/{pid}/expert-draw", headers=kit.auth("finance", PROVINCE))
    assert {m["name"] for m in full.json()["panel_experts"]} == {"司马光明"}

    one = ids[0]
    manager = (await kit.c.get(f"/experts/{one}", headers=kit.auth("bureau", PROVINCE))).json()
    assert manager["name"] == "司马光明" and manager["conflicts"][0]["note"] == "曾任理事"
    auditor = (await kit.c.get(f"/experts/{one}", headers=kit.auth("auditor", PROVINCE))).json()
    assert auditor["name"] == "司***" and auditor["conflicts"] is None
    history = await kit.c.get(f"/experts/{one}/events", headers=kit.auth("auditor", PROVINCE))
    assert history.status_code == 200 and "司马光明" not in history.text and "曾任理事" not in history.text
    assert (
        "司马光明" in (await kit.c.get(f"/experts/{one}/events", headers=kit.auth("finance", PROVINCE))).text
    )
    # A county sees no provincial pool directly; another province's bureau neither.
    for div in (LINGWU, "440103"):
        r = await kit.c.get(f"/experts/{one}", headers=kit.auth("bureau", div))
        assert r.status_code == 404 and r.json()["code"] == "EXPERT_NOT_FOUND"
    listed = await kit.c.get("/experts", params={"field": SOCIAL_WORK}, headers=kit.auth("auditor", PROVINCE))
    assert len(listed.json()["items"]) == 5 and {e["name"] for e in listed.json()["items"]} == {"司***"}
    # Writes: a county bureau cannot register in the provincial pool nor touch its experts.
    r = await kit.c.post(
        f"/experts/{one}/status", json={"active": False, "reason": "x"}, headers=kit.auth("bureau", LINGWU)
    )
    assert r.status_code == 404
    bad = {"pool_division": PROVINCE, "name": "张三", "fields": [SOCIAL_WORK], "organisation": "某大学"}
    r = await kit.c.post("/experts", json=bad, headers=kit.auth("bureau", LINGWU))
    assert r.status_code == 403 and r.json()["code"] == "JURISDICTION_FORBIDDEN"
    valid = code(1)
    wrong_check = valid[:-1] + ("1" if valid[-1] != "1" else "2")
    r = await kit.c.post(
        "/experts", json={**bad, "organisation_uscc": wrong_check}, headers=kit.auth("finance", PROVINCE)
    )
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "#/organisation_uscc"
