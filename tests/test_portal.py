"""The portal story (issue 17): e 龙岩 reads Longyan's public purchases, results, contracts and
debarments, and the published evaluation results, anonymously through the gateway; every answer is
cacheable (strong ETag, Cache-Control) and a second read with `If-None-Match` is a 304; a write
changes the ETag; filters, cursors and refusals behave as documented."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from jiuzhu_devtools.demo import load
from jiuzhu_devtools.testing import TEST_SECRET, LiveStack
from jiuzhu_kit.settings import KitSettings
from tests.stories import contractor_body, uscc

LONGYAN = "350802"
XUHUI = "310104"
PROCUREMENT = ("announcements", "results", "contracts")


def _pages(c: httpx.Client, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item, following `next_cursor`."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = c.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["items"]
        cursor = body.get("next_cursor")
        if cursor is None:
            return out


def _conditional(c: httpx.Client, path: str, params: dict[str, Any], max_age: int) -> dict[str, Any]:
    """First read: 200 with a strong ETag and Cache-Control; second with If-None-Match: 304, no body."""
    first = c.get(path, params=params)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/"), etag
    assert first.headers["cache-control"] == f"public, max-age={max_age}, must-revalidate"
    second = c.get(path, params=params, headers={"If-None-Match": etag})
    assert second.status_code == 304 and second.content == b"", second.text
    assert second.headers["etag"] == etag
    assert second.headers["cache-control"] == first.headers["cache-control"]
    stale = c.get(path, params=params, headers={"If-None-Match": '"not-it"'})
    assert stale.status_code == 200 and stale.headers["etag"] == etag
    return dict(first.json())


def test_longyan_portal_reads_anonymously_with_304s(
    live_stack: LiveStack, auth: Callable[..., dict[str, str]]
) -> None:
    loaded = load(live_stack.gateway, KitSettings(JWT_SECRET=TEST_SECRET, DATABASE_URL=""))
    longyan = loaded.places["新罗区 350802 (seed 001)"]
    with httpx.Client(base_url=live_stack.gateway, timeout=10) as c:
        # Longyan's purchases only: each list filtered by the division subtree, anonymously.
        seen: dict[str, list[dict[str, Any]]] = {}
        for kind in PROCUREMENT:
            path = f"/api/public/procurement/{kind}"
            body = _conditional(c, path, {"division_code": LONGYAN}, 60)
            items = _pages(c, path, {"division_code": LONGYAN, "limit": 1})
            assert [i["division_code"][:6] for i in items] == [LONGYAN] * len(items) and items, kind
            assert items[: len(body["items"])] == body["items"]  # one page of 50 = the cursor walk
            city = _pages(c, path, {"division_code": "350800"})
            assert {i["division_code"][:4] for i in city} == {"3508"} and len(city) >= len(items)
            assert all(i["division_code"][:6] != LONGYAN for i in _pages(c, path, {"division_code": XUHUI}))
            seen[kind] = items
        # The filter is part of the ETag: another division's copy is not Longyan's.
        a = c.get("/api/public/procurement/announcements", params={"division_code": LONGYAN})
        b = c.get("/api/public/procurement/announcements", params={"division_code": XUHUI})
        assert a.headers["etag"] != b.headers["etag"]
        crossed = c.get(
            "/api/public/procurement/announcements",
            params={"division_code": XUHUI},
            headers={"If-None-Match": a.headers["etag"]},
        )
        assert crossed.status_code == 200
        # Date range, method and status.
        days = sorted(i["announced_on"] for i in seen["announcements"])
        one_day = _pages(
            c,
            "/api/public/procurement/announcements",
            {"division_code": LONGYAN, "announced_from": days[-1], "announced_to": days[-1]},
        )
        assert {i["announced_on"] for i in one_day} == {days[-1]}
        assert len(one_day) == sum(1 for d in days if d == days[-1])
        method = seen["results"][0]["method"]
        by_method = _pages(c, "/api/public/procurement/results", {"division_code": LONGYAN, "method": method})
        assert {r["method"] for r in by_method} == {method}
        status = seen["contracts"][0]["status"]
        by_status = _pages(
            c, "/api/public/procurement/contracts", {"division_code": LONGYAN, "status": status}
        )
        assert {r["status"] for r in by_status} == {status}
        # Refusals with their stable codes.
        backwards = c.get(
            "/api/public/procurement/results",
            params={"awarded_from": "2026-02-01", "awarded_to": "2026-01-01"},
        )
        assert backwards.status_code == 422 and backwards.json()["code"] == "RANGE_INVERTED"
        forged = c.get("/api/public/procurement/contracts", params={"cursor": "not-a-cursor"})
        assert forged.status_code == 400 and forged.json()["code"] == "CURSOR_INVALID"
        bad_division = c.get("/api/public/procurement/announcements", params={"division_code": "12"})
        assert bad_division.status_code == 422

        # The debarment of seed 001 一(七), masked, in Longyan's city subtree.
        debarred = _conditional(c, "/api/public/procurement/debarments", {"division_code": "350800"}, 60)
        entry = next(d for d in debarred["items"] if d["uscc"] == longyan["debarred_contractor"])
        assert entry["term_years"] == 3 and entry["decided_by_division"] == LONGYAN
        assert entry["legal_representative"].endswith("*")

        # Published evaluation results (seed 001 一(六)): no token; grade, total, party scores.
        results = _conditional(c, "/api/public/evaluation/results", {"division_code": LONGYAN}, 60)
        mine = next(r for r in results["items"] if r["round_id"] == longyan["round"])
        assert mine["purchaser_division"] == LONGYAN and mine["status"] == "published"
        assert set(mine) == {
            "round_id",
            "contract_id",
            "period",
            "contractor_uscc",
            "purchaser_division",
            "template",
            "total",
            "grade",
            "dimensions",
            "party_weights",
            "party_scores",
            "recipients",
            "published_at",
            "appeal_deadline",
            "status",
        }
        assert set(mine["party_scores"]) == set(mine["party_weights"]) and mine["party_scores"]
        one = _conditional(c, f"/api/public/evaluation/results/{longyan['round']}", {}, 3600)
        assert one == mine
        admin = auth("admin", "000000")
        assert c.get(f"/api/evaluation/rounds/{longyan['round']}/publication", headers=admin).json() == one
        # Nothing unpublished: an open round of Lingwu's looks absent to the public.
        lingwu = loaded.places["灵武市 640181 (seed 002)"]
        h2 = lingwu["rounds"][1]
        missing = c.get(f"/api/public/evaluation/results/{h2}")
        assert missing.status_code == 404 and missing.json()["code"] == "ROUND_NOT_FOUND"
        assert h2 not in {r["round_id"] for r in _pages(c, "/api/public/evaluation/results", {})}

        # "Who serves my village" (闽民保〔2018〕58号 二(二): a worker in each administrative village):
        # the contractor and the coordinator in post, name masked, never an ID number or phone.
        village = longyan["villages"][0]
        page = _conditional(c, f"/api/public/procurement/who-serves/{village}", {}, 300)
        assert page["division_code"] == village and len(page["contracts"]) == 1, page
        serving = page["contracts"][0]
        assert serving["contract_id"] == longyan["villages_contract"] and serving["workers_in_post"] == 1
        assert serving["purchaser_division"] == LONGYAN and serving["contractor_name"]
        (worker,) = serving["workers"]
        assert (
            worker["serves_division"] == village and worker["name"].startswith("林") and "*" in worker["name"]
        )
        assert "id_number" not in str(page) and "phone" not in str(page)
        township = c.get(f"/api/public/procurement/who-serves/{village[:9]}").json()
        assert township["contracts"][0]["workers_in_post"] == len(longyan["villages"])
        assert c.get(f"/api/public/procurement/who-serves/{XUHUI}").json()["contracts"] == []


def test_the_catalogue_per_level_is_public_and_cacheable(live_stack: LiveStack) -> None:
    """Which services a province, city, county and township purchase (seed 003 二, seed 004 四(二)):
    the catalogue in force for the division, per purchaser level, no token, 304 on a second read."""
    path = "/api/public/procurement/catalogue"
    with httpx.Client(base_url=live_stack.gateway, timeout=10) as c:
        fujian = _conditional(c, path, {"division_code": "350000", "on": "2026-06-15"}, 3600)
        assert [lv["level"] for lv in fujian["levels"]] == ["province", "city", "county", "township"]
        by_level = {lv["level"]: {i["code"] for i in lv["items"]} for lv in fujian["levels"]}
        assert by_level["province"] == by_level["city"] == by_level["county"]
        assert "AS08" in by_level["county"] and "AS08" not in by_level["township"]  # 政策研究: county only
        assert by_level["township"] < by_level["county"] and "AS09" in by_level["township"]
        assert all(i["citation"] for lv in fujian["levels"] for i in lv["items"])
        county = _conditional(c, path, {"division_code": LONGYAN, "on": "2026-06-15"}, 3600)
        assert county["division_level"] == "county" and county["rules"].startswith("fj-procurement")
        assert [lv["level"] for lv in county["levels"]] == ["county", "township"]
        town = c.get(path, params={"division_code": LONGYAN, "level": "township", "on": "2026-06-15"}).json()
        assert [lv["level"] for lv in town["levels"]] == ["township"]
        assert {i["code"] for i in town["levels"][0]["items"]} == by_level["township"]
        # Another day's or division's catalogue is another copy: its ETag differs.
        a = c.get(path, params={"division_code": LONGYAN, "on": "2026-06-15"})
        b = c.get(path, params={"division_code": LONGYAN, "on": "2016-06-15"})
        assert b.status_code == 409 and b.json()["code"] == "RULE_NOT_IN_FORCE"  # before any catalogue
        d = c.get(path, params={"division_code": "350800", "on": "2026-06-15"})
        assert a.headers["etag"] != d.headers["etag"]
        assert c.get(path, params={"division_code": "35"}).status_code == 422
        bad = c.get(path, params={"level": "village"})
        assert bad.status_code == 422 and bad.json()["code"] == "REQUEST_INVALID"


def test_a_write_changes_the_public_etag(live_stack: LiveStack, auth: Callable[..., dict[str, str]]) -> None:
    """Invalidation follows writes: a debarment decided in 五华区 (Kunming) changes the ETag of the
    debarments list of its subtree, and the client's old copy is no longer answered 304."""
    div = "530102"
    path = "/api/public/procurement/debarments"
    code = uscc("52", div, 17)
    with httpx.Client(base_url=live_stack.gateway, timeout=10) as c:
        before = c.get(path, params={"division_code": div})
        assert before.status_code == 200 and before.json()["items"] == []
        r = c.post(
            "/api/procurement/contractors",
            json={
                **contractor_body(code, "五华区测试社工服务中心", small=True),
                "legal_representative": "李四光",
            },
            headers=auth("contractor", div, org=code),
        )
        assert r.status_code == 201, r.text
        case = c.post(
            f"/api/procurement/contractors/{code}/debarments",
            json={"grounds": "提供虚假材料谋取中标（政府采购法 77）"},
            headers=auth("bureau", div),
        )
        assert case.status_code == 201, case.text
        cid = case.json()["id"]
        responded = c.post(
            f"/api/procurement/debarments/{cid}/transitions",
            json={"to": "responded", "data": {"response": "无异议"}},
            headers=auth("contractor", div, org=code),
        )
        assert responded.status_code == 200, responded.text
        decided = c.post(
            f"/api/procurement/debarments/{cid}/transitions",
            json={"to": "debarred", "data": {"term_years": 1}, "reason": "情节属实"},
            headers=auth("finance", div),
        )
        assert decided.status_code == 200, decided.text
        after = c.get(path, params={"division_code": div}, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
        [entry] = after.json()["items"]
        assert entry["uscc"] == code and entry["legal_representative"] == "李**"
        again = c.get(path, params={"division_code": div}, headers={"If-None-Match": after.headers["etag"]})
        assert again.status_code == 304
