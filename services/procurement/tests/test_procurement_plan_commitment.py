"""What a plan's budget line still holds after a contract ends early (闽民保〔2018〕58号 一(七)).

Found by the whole-story test tests/test_story_debarment.py: a taken-over project kept its whole
budget committed, so the re-procurement it opened was refused with BUDGET_EXCEEDED whenever the
plan covered the purchase exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from jiuzhu_devtools.testing import test_today

from .conftest import LINGWU, Kit


async def _line(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], plan: str) -> dict[str, Any]:
    """The plan's (only) budget line as Lingwu's finance bureau sees it."""
    r = await client.get(f"/plans/{plan}", headers=auth("finance", LINGWU))
    return dict(r.json()["budget_lines"][0])


async def test_takeover_frees_the_unspent_budget_for_the_reprocurement(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    plan = await kit.plan(LINGWU, test_today().year, amount="1000000.00")
    pid = (await kit.project(LINGWU, plan, budget="1000000.00")).json()["id"]
    await kit.jump("project", pid, status="performance_supervision")
    p = (
        await kit.tr(
            "projects",
            pid,
            "taken_over",
            "bureau",
            LINGWU,
            {"taken_over_by": "灵武市民政局"},
            reason="承接主体停止服务",
        )
    ).json()
    again = p["outcome"]["taken_over"]["reprocurement_project_id"]
    # Nothing was paid under the ended contract: the re-procurement's 1,000,000 is all that is committed.
    line = await _line(client, auth, plan)
    assert (line["committed"], line["remaining"]) == ("1000000.00", "0.00")
    r = await kit.tr("projects", again, "approved", "finance", LINGWU)
    assert r.json()["status"] == "approved"
    # A live project still commits its whole budget: a second purchase does not fit.
    r = await kit.project(LINGWU, plan, budget="0.01", expect=409)
    assert r.json()["code"] == "BUDGET_EXCEEDED"


async def test_termination_keeps_only_what_was_paid(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    plan = await kit.plan(LINGWU, test_today().year, amount="1000000.00")
    pid = (await kit.project(LINGWU, plan, budget="600000.00")).json()["id"]
    await kit.jump("project", pid, status="performance_supervision")
    # A contract with one half-year paid (released on the evaluation's answer in real life).
    rows = await kit.sql(
        """
        INSERT INTO procurement.contract (id, project_id, division_code, contractor_uscc, contractor_name, status,
            subject, service_standards, quantity, price, term_start, term_end, payment_method, payment_schedule,
            breach_liability, dispute_resolution, parties, takeover_plan, deadlines, amendments, version)
        VALUES (gen_random_uuid(), $1::uuid, $2, '91640181MA0000001X', '某公司', 'signed', 's', 's', 'q',
            600000, '2026-01-01', '2026-12-31', 'm', '[]', 'b', 'd', '[]', 't', '[]', '[]', 1)
        RETURNING id
        """,
        pid,
        LINGWU,
    )
    cid = rows[0]["id"]
    await kit.sql(
        """
        INSERT INTO procurement.payment (id, contract_id, division_code, period, amount, scheduled_amount, due_on,
            status, version)
        VALUES (gen_random_uuid(), $1, $2, '2026-H1', 250000, 250000, '2026-06-30', 'released', 1),
               (gen_random_uuid(), $1, $2, '2026-H2', 350000, 350000, '2026-12-31', 'scheduled', 1)
        """,
        cid,
        LINGWU,
    )
    await kit.jump("project", pid, contract_id=cid)
    line = await _line(client, auth, plan)
    assert line["committed"] == "600000.00"
    await kit.tr("projects", pid, "terminated", "bureau", LINGWU, reason="严重违约，解除合同")
    line = await _line(client, auth, plan)
    assert (line["committed"], line["remaining"]) == ("250000.00", "750000.00")
    await kit.tr("projects", pid, "closed", "bureau", LINGWU)
    line = await _line(client, auth, plan)
    assert line["committed"] == "250000.00"  # closing after the termination does not bring it back
