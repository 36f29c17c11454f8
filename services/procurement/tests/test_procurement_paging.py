"""Cursor paging (the one paging shape for lists): every record exactly once, in a stable order,
even when records are written between two pages; a forged cursor is a 400 with its code."""

from __future__ import annotations

from jiuzhu_devtools.testing import test_today

from .conftest import Kit

JINSHAN = "310116"  # 金山区: a district no other procurement test writes in


async def test_paging_by_cursor_sees_each_project_once_while_others_are_written(kit: Kit) -> None:
    plan = await kit.plan(JINSHAN, test_today().year, amount="9000000.00")
    made = [str((await kit.project(JINSHAN, plan, budget="100000.00")).json()["id"]) for _ in range(5)]
    h = kit.auth("bureau", JINSHAN)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        r = await kit.c.get("/projects", params=params, headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"items", "next_cursor"} and len(body["items"]) <= 2
        seen += [p["id"] for p in body["items"]]
        if len(seen) == 2:  # written between pages: newer than the cursor, so not on a later page
            made.append(str((await kit.project(JINSHAN, plan, budget="100000.00")).json()["id"]))
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made[:5])), "newest first, each once, none skipped"


async def test_a_forged_cursor_is_refused_with_its_code(kit: Kit) -> None:
    h = kit.auth("bureau", JINSHAN)
    for forged in ("not-base64!", "W10", "WyJ4Il0", "WyJub3QtYS1kYXRlIiwgIngiXQ"):
        r = await kit.c.get("/projects", params={"cursor": forged}, headers=h)
        assert r.status_code == 400 and r.json()["code"] == "CURSOR_INVALID", (forged, r.text)
