"""OCDS where the stories do not go: an award lost after its announcement and a second round by
another method, and the bulk package of a period. The releases must merge (ocdsmerge, the reference
implementation) into the record's compiled release, satisfy the strict schema and hold nothing empty;
the whole-story check with libcoveocds is tests/test_ocds_stories.py."""

from __future__ import annotations

import json
import warnings
from copy import deepcopy
from datetime import date, timedelta
from typing import Any

import httpx
from jsonschema import Draft4Validator
from ocdskit.schema import add_validation_properties
from ocdsmerge import Merger
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from jiuzhu_devtools.testing import test_today

from .conftest import SH_DISTRICT, Kit
from .test_procurement_shanghai import OCDS


def strict(name: str) -> Draft4Validator:
    """The schema made strict as `ocdskit schema-strict` does (no empty string, array or object)."""
    docs = {p.name: json.loads(p.read_text()) for p in OCDS.glob("*-schema.json")}
    for doc in docs.values():
        add_validation_properties(doc)
    registry: Registry = Registry().with_resources(
        (doc["id"], Resource.from_contents(doc, default_specification=DRAFT4)) for doc in docs.values()
    )
    return Draft4Validator(docs[name], registry=registry)


def empties(value: Any, path: str = "") -> list[str]:
    """Strings, arrays and objects set but empty (libcoveocds' `empty_field` check)."""
    if isinstance(value, str):
        return [path] if not value.strip() else []
    if isinstance(value, (dict, list)) and not value:
        return [path]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    return [e for k, v in items for e in empties(v, f"{path}/{k}")]


async def test_an_award_lost_then_a_second_round_by_another_method(
    kit: Kit, client: httpx.AsyncClient
) -> None:
    div = SH_DISTRICT
    # Round 1: single source (a ground, so a rationale), awarded, then lost: the procurement fails.
    pid, bids = await kit.to_scoring(
        div, method="single_source", ground="only_one_supplier", prices=["480000.00"], budget="500000.00"
    )
    await kit.score(div, pid, bids, ["70"])
    await kit.tr("projects", pid, "awarded", "bureau", div)
    await kit.tr("projects", pid, "failed", "bureau", div, reason="质疑成立，成交结果无效")
    # Round 2: an open tender (no ground: the rationale no longer applies), three bidders, awarded.
    ann = {"method": "open_tender", "scoring": {"price_weight": "30"}}
    await kit.tr("projects", pid, "announced", "bureau", div, ann)
    second = []
    for price in ("470000.00", "460000.00", "490000.00"):
        kit.n += 1
        c = await kit.contractor(kit.n)
        second.append((await kit.bid(pid, c, price)).json()["id"])
    await kit.tr("projects", pid, "bidding_closed", "bureau", div)
    await kit.tr("projects", pid, "qualification_review", "bureau", div)
    for b in second:
        r = await client.post(
            f"/projects/{pid}/bids/{b}/qualification",
            json={"qualified": True},
            headers=kit.auth("bureau", div),
        )
        assert r.status_code == 200, r.text
    await kit.tr("projects", pid, "scoring", "bureau", div)
    await kit.score(div, pid, second, ["60", "66", "62"])
    await kit.tr("projects", pid, "awarded", "bureau", div)

    pkg = (await client.get(f"/ocds/releases/{pid}")).json()
    rec = (await client.get(f"/ocds/records/{pid}")).json()
    rels = pkg["releases"]
    assert [r["tag"] for r in rels] == [
        ["planning"],
        ["planningUpdate"],
        ["tender"],
        ["award", "tenderUpdate"],
        ["awardCancellation", "tenderUpdate"],
        ["tender"],
        ["award", "tenderUpdate"],
    ]
    assert list(strict("release-package-schema.json").iter_errors(pkg)) == []
    assert list(strict("record-package-schema.json").iter_errors(rec)) == []
    assert empties(pkg) == [] and empties(rec) == []
    # The rationale of round 1 is removed once (null), and is gone from the compiled release.
    assert rels[2]["tender"]["procurementMethodRationale"].startswith("适用情形：政府采购法")
    assert rels[5]["tender"]["procurementMethodRationale"] is None
    assert all("procurementMethodRationale" not in r["tender"] for r in rels[6:])
    compiled = rec["records"][0]["compiledRelease"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        merged = Merger(
            schema=json.loads((OCDS / "release-schema.json").read_text())
        ).create_compiled_release(deepcopy(rels))
    assert merged == compiled
    t = compiled["tender"]
    assert (
        t["id"].endswith("-tender-2")
        and t["procurementMethod"] == "open"
        and "procurementMethodRationale" not in t
    )
    # The lost award stays, cancelled; the tenderers of both rounds stay named.
    assert [a["status"] for a in compiled["awards"]] == ["cancelled", "active"]
    assert t["numberOfTenderers"] == len(t["tenderers"]) == 4
    roles = {p["id"]: p["roles"] for p in compiled["parties"]}
    assert roles[compiled["buyer"]["id"]] == ["buyer", "procuringEntity"]
    # The buyer is named by the purchaser registry (purchaser/data/purchasers.yaml), not by its code.
    assert compiled["buyer"] == {"id": f"CN-GBT2260-{div}", "name": "上海市徐汇区民政局"}
    party = next(p for p in compiled["parties"] if p["id"] == compiled["buyer"]["id"])
    assert party["identifier"] == {"scheme": "CN-GBT2260", "id": div, "legalName": "上海市徐汇区民政局"}
    assert party["address"] == {"region": "上海市", "locality": "徐汇区", "countryName": "中国"}
    assert party["contactPoint"] == {"name": "上海市徐汇区民政局办公室"}
    assert all(roles[x["id"]][0] == "tenderer" for x in t["tenderers"])
    # Steps that change nothing OCDS shows publish nothing; dates never go back.
    assert all(
        {k: v for k, v in a.items() if k not in ("id", "date", "tag")}
        != {k: v for k, v in b.items() if k not in ("id", "date", "tag")}
        for a, b in zip(rels, rels[1:], strict=False)
    )
    assert [r["date"] for r in rels] == sorted(r["date"] for r in rels)


async def test_the_releases_of_a_period(kit: Kit, client: httpx.AsyncClient) -> None:
    div = SH_DISTRICT
    plan = await kit.plan(div, test_today().year)
    # A month back, within the plan's year (the suite also runs on 2 January).
    earlier = max(test_today() - timedelta(days=30), date(test_today().year, 1, 1))
    pid = (await kit.project(div, plan, budget="500000.00", declared_on=earlier)).json()["id"]
    hidden = (await kit.project(div, plan, budget="400000.00")).json()["id"]  # never announced
    await kit.tr("projects", pid, "approved", "finance", div)
    data = {"method": "single_source", "ground": "only_one_supplier", "publicity_working_days": 5}
    await kit.tr("projects", pid, "announced", "bureau", div, data)
    everything = (await client.get(f"/ocds/releases/{pid}")).json()["releases"]
    assert [r["date"][:10] for r in everything] == [earlier.isoformat()] + [test_today().isoformat()] * 2

    def period(start: Any, end: Any, **kw: Any) -> Any:
        return client.get("/ocds/releases/period", params={"from": str(start), "to": str(end), **kw})

    r = await period(earlier, test_today())
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "3" and "link" not in r.headers
    assert r.json()["releases"] == everything
    assert r.json()["uri"].endswith(
        f"/ocds/releases/period?from={earlier}&to={test_today()}&limit=50&offset=0"
    )
    assert all(hidden not in x["ocid"] for x in r.json()["releases"])
    only_today = (await period(test_today(), test_today())).json()["releases"]
    assert only_today == everything[1:]
    assert (await period(earlier, earlier)).json()["releases"] == everything[:1]
    assert (await period(test_today() + timedelta(days=1), test_today() + timedelta(days=9))).json()[
        "releases"
    ] == []
    first = await period(earlier, test_today(), limit=2)
    assert first.json()["releases"] == everything[:2]
    nxt = first.links["next"]["url"]
    assert nxt.endswith("limit=2&offset=2") and "prev" not in first.links
    second = await period(earlier, test_today(), limit=2, offset=2)
    assert second.json()["releases"] == everything[2:] and "next" not in second.links
    bad = await period(test_today(), earlier)
    assert bad.status_code == 422 and bad.json()["code"] == "RANGE_INVERTED"
    assert (await client.get("/ocds/releases/period", params={"from": str(earlier)})).status_code == 422
