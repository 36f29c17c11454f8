"""Money on the contract's terms: what gates each payment (an advance on signing, an acceptance, an
evaluation), a small enterprise's payment term (保障中小企业款项支付条例: 30 days after acceptance, 60
at most by agreement, from 2020-09-01; revised by 国务院令第802号 from 2025-06-01), the grade scale,
finance's overrides with their reason, and the payments overdue per purchaser.

The evaluation service is not running here: a release that asked it would be 503, so a payment
released on signing or on acceptance proves it was not asked. Grades scaling real rounds are walked
through the gateway in tests/test_story_payments.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from jiuzhu_devtools.testing import test_today
from jiuzhu_procurement.contract import rules
from jiuzhu_procurement.rulebook.book import default_book

from .conftest import LINGWU, Kit

SH = "310104"  # 徐汇区: national rules only (no local pack sets a grade scale)


def contract_body(schedule: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "subject": "社会救助经办服务",
        "service_standards": "按采购文件约定的服务标准执行",
        "quantity": "1 项",
        "term_start": test_today().isoformat(),
        "term_end": (test_today() + timedelta(days=300)).isoformat(),
        "payment_method": "按合同约定的付款条件拨付",
        "payment_schedule": schedule,
        "breach_liability": "按合同约定追究违约责任",
        "dispute_resolution": "协商不成向采购人所在地人民法院起诉",
        "takeover_plan": "承接主体不能履约时由民政局临时接管，并重新组织采购",
        **extra,
    }


async def awarded(kit: Kit, price: str, *, small: bool, n: int, div: str = LINGWU) -> tuple[str, str]:
    """A project awarded at `price` to a new contractor (small enterprise or not)."""
    plans: dict[str, str] = kit.__dict__.setdefault("payment_plans", {})  # one plan a year per purchaser
    if div not in plans:
        plans[div] = await kit.plan(div, test_today().year)
    plan = plans[div]
    pid = (await kit.project(div, plan, budget=price)).json()["id"]
    company = await kit.contractor(n, small=small)
    await kit.jump("project", pid, status="awarded", awarded_uscc=company, awarded_amount=Decimal(price))
    return pid, company


def by_period(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["period"]: p for p in c["payments"]}


# ---- the dated rules -------------------------------------------------------------------------


async def test_sme_payment_terms_are_dated_rules_on_both_sides_of_their_dates(
    client: httpx.AsyncClient,
) -> None:
    async def rules_on(on: str, div: str = SH) -> dict[str, dict[str, Any]]:
        r = await client.get("/rules/in-force", params={"division_code": div, "on": on})
        assert r.status_code == 200, r.text
        return {x["name"]: x for x in r.json()["rules"]}

    before = await rules_on("2020-08-31")
    assert "sme_payment_days" not in before and "sme_payment_days_max" not in before
    first = await rules_on("2020-09-01")
    assert (first["sme_payment_days"]["value"], first["sme_payment_days_max"]["value"]) == (30, 60)
    assert first["sme_payment_days"]["citation"]["text"] == "国务院令第728号 第八条"
    assert (
        first["sme_payment_days"]["verified"] is False
    )  # the article number is not checked against the gazette
    last_728 = await rules_on("2025-05-31")
    assert last_728["sme_payment_days_max"]["citation"]["text"] == "国务院令第728号 第八条"
    revised = await rules_on("2025-06-01")
    assert (revised["sme_payment_days"]["value"], revised["sme_payment_days_max"]["value"]) == (30, 60)
    assert revised["sme_payment_days_max"]["citation"]["text"] == "国务院令第802号 第九条"
    assert revised["sme_payment_days_max"]["verified"] is True
    docs = {d["key"]: d for d in (await client.get("/rules/documents")).json()}
    assert docs["国务院令第802号"]["title"].startswith("保障中小企业款项支付条例")
    # The grade scale: the product's default, unverified; Lingwu's cites the clause tying funds to the
    # half-yearly evaluation (灵政办发〔2018〕201号 六(二)) from the day the seed took effect.
    national = (await rules_on("2026-06-15"))["payment_grade_scale"]
    assert national["verified"] is False and national["citation"]["text"] == "国办发〔2013〕96号 二(六)"
    assert national["value"] == [
        {"grade": "优秀", "ratio": "1.00"},
        {"grade": "良好", "ratio": "1.00"},
        {"grade": "合格", "ratio": "0.90"},
        {"grade": "不合格", "ratio": "0"},
    ]
    assert "payment_grade_scale" not in await rules_on("2013-12-31")
    lingwu_before = (await rules_on("2018-11-20", LINGWU))["payment_grade_scale"]
    lingwu = (await rules_on("2018-11-21", LINGWU))["payment_grade_scale"]
    assert lingwu_before["citation"]["text"] == "国办发〔2013〕96号 二(六)"
    assert (
        lingwu["citation"]["text"] == "灵政办发〔2018〕201号 六(二)"
        and lingwu["defined_in"] == "lingwu-procurement"
    )


@pytest.mark.parametrize(
    ("on", "refused_with"),
    [
        (date(2020, 8, 31), None),  # before the regulation: no limit to enforce
        (date(2020, 9, 1), "国务院令第728号 第八条（未核实）"),
        (date(2025, 5, 31), "国务院令第728号 第八条（未核实）"),
        (date(2025, 6, 1), "国务院令第802号 第九条"),
    ],
)
def test_a_61_day_term_with_a_small_enterprise_is_refused_from_2020_09_01(
    on: date, refused_with: str | None
) -> None:
    at = default_book().at(SH, on)
    assert rules.payment_terms(at, True, 60)["agreed_days_after_acceptance"] == 60
    assert rules.payment_terms(at, False, 61)["agreed_days_after_acceptance"] == 61  # a large one: no cap
    if refused_with is None:
        assert rules.payment_terms(at, True, 61) == {
            "small_enterprise": True,
            "agreed_days_after_acceptance": 61,
        }
        return
    with pytest.raises(rules.PaymentTermTooLong) as exc:
        rules.payment_terms(at, True, 61)
    assert exc.value.params["citation"] == refused_with and exc.value.params["limit"] == 60


def test_a_small_enterprise_is_due_30_days_after_acceptance_from_2020_09_01() -> None:
    small = {"small_enterprise": True, "agreed_days_after_acceptance": None}
    book = default_book()
    assert rules.due_after_acceptance(book.at(SH, date(2020, 8, 31)), small, date(2020, 8, 31)) is None
    due = rules.due_after_acceptance(book.at(SH, date(2020, 9, 1)), small, date(2020, 9, 1))
    assert due == {"days": 30, "due_on": "2020-10-01", "citation": "国务院令第728号 第八条（未核实）"}
    due = rules.due_after_acceptance(book.at(SH, date(2025, 6, 1)), small, date(2025, 6, 1))
    assert due == {"days": 30, "due_on": "2025-07-01", "citation": "国务院令第802号 第九条"}
    # A term agreed before the regulation (90 days) is capped at 60 once it is in force.
    agreed = {"small_enterprise": True, "agreed_days_after_acceptance": 90}
    assert rules.due_after_acceptance(book.at(SH, date(2020, 8, 31)), agreed, date(2020, 8, 31))["days"] == 90  # type: ignore[index]
    capped = rules.due_after_acceptance(book.at(SH, date(2021, 3, 1)), agreed, date(2021, 3, 1))
    assert capped == {"days": 60, "due_on": "2021-04-30", "citation": "国务院令第728号 第八条（未核实）"}
    large = {"small_enterprise": False, "agreed_days_after_acceptance": None}
    assert rules.due_after_acceptance(book.at(SH, date(2026, 1, 5)), large, date(2026, 1, 5)) is None


def test_scaled_amounts_round_half_up_to_the_fen() -> None:
    scale = {"ratios": [{"grade": "合格", "ratio": "0.90"}, {"grade": "良好", "ratio": "0.955"}]}
    assert rules.scaled_amount(Decimal("243360.00"), scale, "合格") == (Decimal("0.90"), Decimal("219024.00"))
    # 0.955 × 100.01 = 95.50955 → 95.51; 0.955 × 0.05 = 0.04775 → 0.05 (half-up)
    assert rules.scaled_amount(Decimal("100.01"), scale, "良好") == (Decimal("0.955"), Decimal("95.51"))
    assert rules.scaled_amount(Decimal("0.05"), scale, "良好") == (Decimal("0.955"), Decimal("0.05"))
    assert rules.scaled_amount(Decimal("100.00"), scale, "优秀") is None


# ---- through the service -------------------------------------------------------------------


async def test_small_enterprise_paid_on_acceptance_within_30_days_and_listed_when_overdue(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    today = test_today()
    pid, company = await awarded(kit, "300000.00", small=True, n=8801, div=SH)
    # Planned dates after any as_of below, whatever the suite's clock (it also runs on 2 January).
    planned = [(today + timedelta(days=d)).isoformat() for d in (90, 180)]
    schedule = [
        {"period": "2026-Q3", "amount": "150000.00", "due_on": planned[0], "gate": "acceptance"},
        {"period": "2026-Q4", "amount": "150000.00", "due_on": planned[1], "gate": "acceptance"},
    ]
    bureau, finance = auth("bureau", SH), auth("finance", SH)
    # 61 days after acceptance: refused with the clause in force today (2026: the revised regulation).
    r = await client.post(
        f"/projects/{pid}/contract",
        json=contract_body(schedule, payment_days_after_acceptance=61),
        headers=bureau,
    )
    assert (r.status_code, r.json()["code"]) == (409, "PAYMENT_TERM_TOO_LONG"), r.text
    assert "最长 60 日（国务院令第802号 第九条）" in r.json()["detail"]
    en = await client.post(
        f"/projects/{pid}/contract",
        json=contract_body(schedule, payment_days_after_acceptance=61),
        headers={**bureau, "Accept-Language": "en"},
    )
    assert "exceeds the 60 days allowed (国务院令第802号 第九条)" in en.json()["detail"]
    r = await client.post(f"/projects/{pid}/contract", json=contract_body(schedule), headers=bureau)
    assert r.status_code == 201, r.text
    c = r.json()
    cid = c["id"]
    assert c["payment_terms"] == {
        "small_enterprise": True,
        "agreed_days_after_acceptance": None,
        "statutory": {"days": 30, "max_days": 60, "citation": "国务院令第802号 第九条"},
    }
    await kit.tr("projects", pid, "contract_signed", "bureau", SH)
    # Not accepted yet: nothing to release (the evaluation is not asked: this would be 503).
    r = await client.post(f"/contracts/{cid}/payments/2026-Q3/release", headers=finance)
    assert (r.status_code, r.json()["code"]) == (409, "PAYMENT_NOT_ACCEPTED")
    # Acceptance: once, not in the future, recorded on the payment; due 30 days later.
    body = {"on": today.isoformat(), "note": "第三季度服务经验收合格"}
    r = await client.post(
        f"/contracts/{cid}/payments/2026-Q3/acceptance",
        json={**body, "on": (today + timedelta(days=1)).isoformat()},
        headers=bureau,
    )
    assert (r.status_code, r.json()["code"]) == (422, "ACCEPTANCE_DATE_INVALID")
    r = await client.post(f"/contracts/{cid}/payments/2026-Q3/acceptance", json=body, headers=finance)
    assert r.status_code == 403  # the purchaser accepts; finance pays
    r = await client.post(f"/contracts/{cid}/payments/2026-Q3/acceptance", json=body, headers=bureau)
    assert r.status_code == 200, r.text
    q3 = by_period(r.json())["2026-Q3"]
    due = today + timedelta(days=30)
    assert (q3["accepted_on"], q3["due_on"]) == (today.isoformat(), due.isoformat())
    assert q3["acceptance"]["due"] == {
        "days": 30,
        "due_on": due.isoformat(),
        "citation": "国务院令第802号 第九条",
    }
    assert q3["acceptance"]["planned_due_on"] == planned[0]
    again = await client.post(f"/contracts/{cid}/payments/2026-Q3/acceptance", json=body, headers=bureau)
    assert again.json()["code"] == "PAYMENT_ALREADY_ACCEPTED"
    # Overdue: nothing on the due day, the payment the day after, for the purchaser and those above it.
    on_due = await client.get("/contracts/overdue-payments", params={"on": due.isoformat()}, headers=bureau)
    assert on_due.status_code == 200 and on_due.json()["items"] == []
    late = await client.get(
        "/contracts/overdue-payments",
        params={"on": (due + timedelta(days=1)).isoformat()},
        headers=auth("auditor", "310000"),
    )
    assert [
        (x["contract_id"], x["period"], x["days_overdue"], x["small_enterprise"])
        for x in late.json()["items"]
    ] == [(cid, "2026-Q3", 1, True)]
    assert (
        late.json()["items"][0]["citation"] == "国务院令第802号 第九条"
        and late.json()["items"][0]["amount"] == "150000.00"
    )
    # Another county sees nothing of it; asking for a division outside one's own is refused.
    other = await client.get(
        "/contracts/overdue-payments", params={"on": "2099-01-01"}, headers=auth("bureau", "310105")
    )
    assert other.json()["items"] == []
    assert (
        await client.get(
            "/contracts/overdue-payments", params={"division_code": SH}, headers=auth("bureau", "310105")
        )
    ).status_code == 403
    # Released on the acceptance: the whole amount, and the list clears.
    r = await client.post(f"/contracts/{cid}/payments/2026-Q3/release", headers=finance)
    assert r.status_code == 200, r.text
    q3 = by_period(r.json())["2026-Q3"]
    assert (q3["status"], q3["amount"], q3["basis"]["gate"]) == ("released", "150000.00", "acceptance")
    cleared = await client.get(
        "/contracts/overdue-payments", params={"on": (due + timedelta(days=1)).isoformat()}, headers=bureau
    )
    assert cleared.json()["items"] == []
    # The Q4 line still waits (its contract date): listed once that date has passed.
    much_later = await client.get(
        "/contracts/overdue-payments",
        params={"on": (date.fromisoformat(planned[1]) + timedelta(days=1)).isoformat()},
        headers=bureau,
    )
    assert [(x["period"], x["citation"]) for x in much_later.json()["items"]] == [
        ("2026-Q4", "合同约定的付款日")
    ]
    events = (
        await client.get(f"/contracts/{cid}/payments/2026-Q3/events", headers=auth("auditor", SH))
    ).json()
    assert [e["action"] for e in events] == ["payment.accepted", "payment.release"]
    verify = (await client.get(f"/contracts/{cid}/payments/2026-Q3/events/verify", headers=bureau)).json()
    assert verify["ok"] is True and verify["events"] == 2


async def test_an_agreed_term_up_to_60_days_and_a_large_enterprise(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    today = test_today()
    schedule = [{"period": "2026-H2", "amount": "80000.00", "due_on": "2026-12-31", "gate": "acceptance"}]
    body = {"on": today.isoformat(), "note": "服务经验收合格"}
    for n, small, days, expect in ((8811, True, 60, 60), (8812, False, 90, 90), (8813, False, None, None)):
        pid, _ = await awarded(kit, "80000.00", small=small, n=n, div=SH)
        extra = {"payment_days_after_acceptance": days} if days else {}
        r = await client.post(
            f"/projects/{pid}/contract", json=contract_body(schedule, **extra), headers=auth("bureau", SH)
        )
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        await kit.tr("projects", pid, "contract_signed", "bureau", SH)
        r = await client.post(
            f"/contracts/{cid}/payments/2026-H2/acceptance", json=body, headers=auth("bureau", SH)
        )
        pay = by_period(r.json())["2026-H2"]
        if expect is None:  # a large enterprise with no agreed term: the contract's date stands
            assert pay["due_on"] == "2026-12-31" and pay["acceptance"]["due"] is None
        else:
            assert pay["due_on"] == (today + timedelta(days=expect)).isoformat()
            assert pay["acceptance"]["due"]["citation"].startswith(f"合同约定（验收合格之日起 {expect} 日）")


async def test_an_advance_on_signing_is_released_without_asking_the_evaluation(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    pid, _ = await awarded(kit, "486720.00", small=False, n=8821)
    schedule = [
        {"period": "advance", "amount": "243360.00", "due_on": "2026-06-30", "gate": "on_signing"},
        {"period": "2026-H2", "amount": "243360.00", "due_on": "2026-12-28", "scale_by_grade": True},
    ]
    bureau, finance = auth("bureau", LINGWU), auth("finance", LINGWU)
    # Scaling by grade needs a grade: only an evaluation-gated line may scale.
    bad = [{**schedule[0], "scale_by_grade": True}, schedule[1]]
    r = await client.post(f"/projects/{pid}/contract", json=contract_body(bad), headers=bureau)
    assert r.status_code == 422
    r = await client.post(f"/projects/{pid}/contract", json=contract_body(schedule), headers=bureau)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    # No scale in the contract: Lingwu's default, with its citation, is written into it.
    assert r.json()["grade_scale"]["source"] == "rules"
    assert r.json()["grade_scale"]["citation"] == "灵政办发〔2018〕201号 六(二)（未核实）"
    assert r.json()["payment_terms"]["small_enterprise"] is False
    # Before the signing there is no payment to release.
    r = await client.post(f"/contracts/{cid}/payments/advance/release", headers=finance)
    assert r.status_code == 404
    await kit.tr("projects", pid, "contract_signed", "bureau", LINGWU)
    r = await client.post(f"/contracts/{cid}/payments/advance/release", headers=bureau)
    assert r.status_code == 200, r.text
    adv = by_period(r.json())["advance"]
    assert (adv["status"], adv["amount"], adv["gate"], adv["override"]) == (
        "released",
        "243360.00",
        "on_signing",
        None,
    )
    assert (
        adv["basis"]["reason"].startswith("ON_SIGNING")
        and adv["basis"]["signed_on"] == test_today().isoformat()
    )
    # The half-year waits for its evaluation (not running here: 503, never a guess).
    r = await client.post(f"/contracts/{cid}/payments/2026-H2/release", headers=bureau)
    assert (r.status_code, r.json()["code"]) == (503, "EVALUATION_UNAVAILABLE")


async def test_finance_overrides_a_gate_or_an_amount_with_a_reason_audited(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    pid, _ = await awarded(kit, "500000.00", small=False, n=8831)
    schedule = [
        {"period": "2026-H1", "amount": "250000.00", "due_on": "2026-06-30"},
        {"period": "2026-H2", "amount": "250000.00", "due_on": "2026-12-28", "scale_by_grade": True},
    ]
    grade_scale = [
        {"grade": "优秀", "ratio": "1"},
        {"grade": "合格", "ratio": "0.85"},
        {"grade": "不合格", "ratio": "0"},
    ]
    bureau, finance = auth("bureau", LINGWU), auth("finance", LINGWU)
    r = await client.post(
        f"/projects/{pid}/contract", json=contract_body(schedule, grade_scale=grade_scale), headers=bureau
    )
    assert r.status_code == 201, r.text
    assert r.json()["grade_scale"] == {
        "source": "contract",
        "citation": None,
        "ratios": [
            {"grade": "优秀", "ratio": "1"},
            {"grade": "合格", "ratio": "0.85"},
            {"grade": "不合格", "ratio": "0"},
        ],
    }
    cid = r.json()["id"]
    await kit.tr("projects", pid, "contract_signed", "bureau", LINGWU)
    url = f"/contracts/{cid}/payments/2026-H1/release"
    waive = {"override_gate": True, "reason": "评价因疫情延期，经局务会研究先行拨付"}
    # Never silently: only finance overrides, and only with a reason.
    r = await client.post(url, json=waive, headers=bureau)
    assert (r.status_code, r.json()["code"]) == (403, "OVERRIDE_FINANCE_ONLY")
    r = await client.post(url, json={"override_gate": True}, headers=finance)
    assert (r.status_code, r.json()["code"]) == (400, "REASON_REQUIRED")
    r = await client.post(url, json={**waive, "override_amount": "250000.01"}, headers=finance)
    assert (r.status_code, r.json()["code"]) == (409, "OVERRIDE_AMOUNT_INVALID")
    r = await client.post(url, json=waive, headers=finance)
    assert r.status_code == 200, r.text
    h1 = by_period(r.json())["2026-H1"]
    assert (h1["status"], h1["amount"]) == ("released", "250000.00")
    assert h1["override"] == {
        "by": "user-finance-640181",
        "on": test_today().isoformat(),
        "reason": waive["reason"],
        "gate_waived": True,
        "amount": None,
        "gate_amount": None,
    }
    # A scaled half-year without its round: the gate waived, finance must name the amount.
    url2 = f"/contracts/{cid}/payments/2026-H2/release"
    r = await client.post(url2, json=waive, headers=finance)
    assert (r.status_code, r.json()["code"]) == (409, "OVERRIDE_AMOUNT_INVALID")
    r = await client.post(url2, json={**waive, "override_amount": "212500.00"}, headers=finance)
    h2 = by_period(r.json())["2026-H2"]
    assert (h2["amount"], h2["scheduled_amount"], h2["override"]["amount"]) == (
        "212500.00",
        "250000.00",
        "212500.00",
    )
    # The audit chain keeps who overrode, why, and what was paid.
    events = (
        await client.get(f"/contracts/{cid}/payments/2026-H1/events", headers=auth("auditor", LINGWU))
    ).json()
    assert [(e["action"], e["reason"], e["actor"]) for e in events] == [
        ("payment.release", waive["reason"], "user-finance-640181")
    ]
    assert events[0]["data"]["override"]["gate_waived"] is True
    # Elsewhere the payment's history looks absent, as its contract does.
    r = await client.get(f"/contracts/{cid}/payments/2026-H1/events", headers=auth("auditor", "640104"))
    assert r.status_code == 404
    # What was paid is what the plan counts and OCDS publishes (the amount released).
    c = (await client.get(f"/contracts/{cid}", headers=bureau)).json()
    assert sum(Decimal(p["amount"]) for p in c["payments"] if p["status"] == "released") == Decimal(
        "462500.00"
    )


async def test_an_amended_schedule_keeps_released_payments_and_takes_the_gates(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    pid, _ = await awarded(kit, "200000.00", small=False, n=8841)
    schedule = [
        {"period": "advance", "amount": "100000.00", "due_on": "2026-06-30", "gate": "on_signing"},
        {"period": "2026-H2", "amount": "100000.00", "due_on": "2026-12-28"},
    ]
    bureau = auth("bureau", LINGWU)
    cid = (
        await client.post(f"/projects/{pid}/contract", json=contract_body(schedule), headers=bureau)
    ).json()["id"]
    assert (await client.get(f"/contracts/{cid}", headers=bureau)).json()["grade_scale"] is None
    await kit.tr("projects", pid, "contract_signed", "bureau", LINGWU)
    r = await client.post(f"/contracts/{cid}/payments/advance/release", headers=bureau)
    assert r.status_code == 200, r.text
    amended = [schedule[0], {**schedule[1], "gate": "acceptance"}]
    r = await client.post(
        f"/contracts/{cid}/amendments",
        json={"reason": "下半年改为验收后付款", "payment_schedule": amended},
        headers=bureau,
    )
    assert r.status_code == 200, r.text
    pays = by_period(r.json())
    assert (pays["advance"]["status"], pays["2026-H2"]["gate"]) == ("released", "acceptance")
    # An evaluation-gated or advance line cannot be "accepted".
    r = await client.post(
        f"/contracts/{cid}/payments/advance/acceptance",
        json={"on": test_today().isoformat(), "note": "验收"},
        headers=bureau,
    )
    assert r.json()["code"] == "PAYMENT_GATE_MISMATCH"
