from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from jiuzhu_evaluation.template.builtin import builtin_id

COMPREHENSIVE = str(builtin_id("social-assistance-comprehensive"))


def _body(code: str, w1: str = "60", w2: str = "40") -> dict[str, object]:
    return {
        "code": code,
        "name": "测试模板",
        "dimensions": [
            {
                "key": "quality",
                "name": "质量",
                "weight": w1,
                "indicators": [
                    {"key": "q1", "name": "q1", "type": "likert", "weight": "100", "config": {"points": 5}}
                ],
            },
            {
                "key": "volume",
                "name": "数量",
                "weight": w2,
                "indicators": [
                    {"key": "v1", "name": "v1", "type": "count", "weight": "100", "config": {"target": 10}}
                ],
            },
        ],
    }


async def test_builtins_are_listed(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    r = await client.get(
        "/templates", params={"builtin": "true", "limit": 500}, headers=auth("auditor", "640100")
    )
    codes = [t["code"] for t in r.json()["items"]]
    assert {"social-assistance-comprehensive", "finance-project", "staff-annual"} <= set(codes)
    assert codes == sorted(codes) and r.json()["next_cursor"] is None
    r = await client.get(
        "/templates", params={"kind": "staff", "q": "staff-annual"}, headers=auth("portal", "640181")
    )
    assert [t["code"] for t in r.json()["items"]] == ["staff-annual"]
    seen, cursor = [], None
    while True:  # by one: every built-in once
        params = {"builtin": "true", "limit": 1} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/templates", params=params, headers=auth("contractor", "640181"))).json()
        seen += [t["code"] for t in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == codes
    t = (await client.get(f"/templates/{COMPREHENSIVE}", headers=auth("contractor", "640181"))).json()
    assert t["builtin"] and t["grade_bands"][0] == {
        "code": "excellent",
        "label": "优秀",
        "min_score": "90.00",
        "passed": True,
    }


async def test_sibling_weights_must_sum_to_100(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    code = f"t-{uuid.uuid4().hex[:8]}"
    r = await client.post("/templates", json=_body(code, "60", "39.99"), headers=auth("bureau", "640181"))
    assert r.status_code == 422 and "100" in r.text
    r = await client.post("/templates", json=_body(code), headers=auth("bureau", "640181"))
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and r.json()["dimensions"][0]["weight"] == "60.00"
    dup = await client.post("/templates", json=_body(code), headers=auth("bureau", "640181"))
    assert dup.status_code == 409 and dup.json()["code"] == "TEMPLATE_CODE_TAKEN"


async def test_versions_are_new_rows(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    code = f"t-{uuid.uuid4().hex[:8]}"
    v1 = (await client.post("/templates", json=_body(code), headers=auth("bureau", "640181"))).json()
    body = _body(code, "50", "50")
    body.pop("code")
    other = await client.post(
        f"/templates/by-code/{code}/versions", json=body, headers=auth("bureau", "640104")
    )
    assert other.status_code == 403  # a sibling county cannot version it
    v2 = await client.post(f"/templates/by-code/{code}/versions", json=body, headers=auth("bureau", "640181"))
    assert v2.status_code == 201 and v2.json()["version"] == 2
    old = (await client.get(f"/templates/{v1['id']}", headers=auth("bureau", "640181"))).json()
    assert old["dimensions"][0]["weight"] == "60.00"  # version 1 unchanged
    builtin = await client.post(
        "/templates/by-code/staff-annual/versions", json=body, headers=auth("bureau", "640181")
    )
    assert builtin.status_code == 403
    ev = (await client.get(f"/templates/by-code/{code}/events", headers=auth("bureau", "640181"))).json()
    assert [e["action"] for e in ev] == ["template.created", "template.versioned"]


async def test_grade_bands_configurable_and_checked(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = _body(f"t-{uuid.uuid4().hex[:8]}")
    body["grade_bands"] = [
        {"code": "pass", "label": "合格", "min_score": "70", "passed": True},
        {"code": "fail", "label": "不合格", "min_score": "10", "passed": False},
    ]
    r = await client.post("/templates", json=body, headers=auth("bureau", "640181"))
    assert r.status_code == 422  # a gap below 10
    body["grade_bands"][1]["min_score"] = "0"  # type: ignore[index]
    assert (await client.post("/templates", json=body, headers=auth("bureau", "640181"))).status_code == 201
