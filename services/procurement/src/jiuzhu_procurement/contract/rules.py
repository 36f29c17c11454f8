"""Contract rules, pure: term length, subcontracting, payments adding up, amendment limits, the
payment terms (a small enterprise's payment term, the grade scale). The numbers are dated rules of
the procurement packs (rulebook/data), passed in as in force. Money is Decimal, rounded half-up to
the fen (jiuzhu_kit.money.round_fen)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jiuzhu_kit.clock import add_years
from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.money import percent, round_fen
from jiuzhu_kit.rules.book import RulesAt


class ContractTermTooLong(Conflict):
    code = "CONTRACT_TERM_TOO_LONG"
    zh = "合同期限{why}（{citation}）"
    en = "Contract term {why_en} ({citation})"


class SubcontractingForbidden(Conflict):
    code = "SUBCONTRACTING_FORBIDDEN"
    zh = "严禁服务转包（闽民保〔2018〕58号 一(七)；沪 三(六)）"
    en = "Subcontracting the service is forbidden (闽民保〔2018〕58号 一(七))"


class DeadlineTooLate(Conflict):
    code = "CONTRACT_DEADLINE_TOO_LATE"
    zh = "期限“{name}”为签订后 {days} 个工作日，晚于规定的 {limit} 个工作日（{citation}）"
    en = "Deadline {key} is {days} working days after signing, later than the {limit} the rules allow ({citation})"


class PaymentsMismatch(Conflict):
    code = "CONTRACT_PAYMENTS_MISMATCH"
    zh = "付款计划合计 {total} 元与合同金额 {price} 元不一致"
    en = "The payment schedule totals {total}, not the contract price {price}"


class PaymentTermTooLong(Conflict):
    code = "PAYMENT_TERM_TOO_LONG"
    zh = "向中小企业付款的期限约定为验收合格后 {days} 日，超过最长 {limit} 日（{citation}）"
    en = "The payment term agreed with a small enterprise, {days} days after acceptance, exceeds the {limit} days allowed ({citation})"


class GradeScaleRequired(Conflict):
    code = "GRADE_SCALE_REQUIRED"
    zh = "有按评价等级折算的付款期次，但合同未约定等级比例，且 {on} 没有生效的默认比例"
    en = "Some payments are scaled by the evaluation grade, but the contract states no scale and no default is in force on {on}"


class IncreaseTooLarge(Conflict):
    code = "AMENDMENT_INCREASE_TOO_LARGE"
    zh = "追加金额不得超过原合同金额的 {percent}%（{citation}）：原 {original} 元，至多 {limit} 元"
    en = "An increase may not exceed {percent}% of the original amount ({citation}): original {original}, at most {limit}"


def check_term(at: RulesAt, start: date, end: date, reason: str | None) -> None:
    """Within the longest term in force, and beyond the normal term only with a stated reason
    (财政部令第102号 24 from 2020-03-01; Fujian's 3 years from 2018, fj-procurement). Where no
    limit is in force on `at.on`, none is enforced."""
    if end < start:
        raise ContractTermTooLong(why="结束日早于开始日", why_en="ends before it starts", citation="—")
    longest, normal = at.get("contract_term_years_max"), at.get("contract_term_years_normal")
    if longest and end > add_years(start, longest.value) - timedelta(days=1):
        raise ContractTermTooLong(
            why=f"超过 {longest.value} 年", why_en=f"exceeds {longest.value} years", citation=longest.cite
        )
    if (
        normal
        and end > add_years(start, normal.value) - timedelta(days=1)
        and not (reason and reason.strip())
    ):
        raise ContractTermTooLong(
            why=f"超过 {normal.value} 年但未说明理由",
            why_en=f"exceeds {normal.value} year(s) without a stated reason",
            citation=normal.cite,
        )


# Deadlines a contract must hold when the rules in force set them: rule → (key, name).
RULE_DEADLINES = {"dispatch_working_days": ("staff_dispatched", "完成人员招聘、培训和派遣")}


def with_rule_deadlines(at: RulesAt, typed: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contract's deadlines: those typed, plus each one the rules require (灵政办发〔2018〕201号
    五(五): dispatch within 15 working days of signing), which nobody has to type. A typed one may
    be earlier than the rule, never later."""
    out = [dict(d) for d in typed]
    for rule_name, (key, name) in RULE_DEADLINES.items():
        r = at.get(rule_name)
        if r is None:
            continue
        mine = next((d for d in out if d["key"] == key), None)
        if mine is None:
            out.append({"key": key, "name": name, "working_days": r.value, "citation": r.cite})
        elif mine["working_days"] > r.value:
            raise DeadlineTooLate(
                key=key, name=mine["name"], days=mine["working_days"], limit=r.value, citation=r.cite
            )
        else:
            mine["citation"] = mine.get("citation") or r.cite
    return out


def check_payments(price: Decimal, amounts: Sequence[Decimal]) -> None:
    total = sum(amounts, Decimal("0.00"))
    if total != price:
        raise PaymentsMismatch(total=str(total), price=str(price))


def check_increase(original: Decimal, new: Decimal, max_ratio: Decimal, citation: str) -> None:
    """The amended price against the original plus the share the rules in force allow (rounded
    half-up to the fen)."""
    limit = (original * (1 + max_ratio)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if new > limit:
        raise IncreaseTooLarge(
            percent=percent(max_ratio),
            citation=citation,
            original=str(original),
            limit=str(limit),
        )


def payment_terms(at: RulesAt, small_enterprise: bool, agreed_days: int | None) -> dict[str, Any]:
    """The contract's payment terms as drafted on `at.on`: an agreed term above the longest the rules
    allow for a small enterprise is refused with its clause (保障中小企业款项支付条例: 30 days, up to
    60 by agreement, from 2020-09-01). The enterprise's size is the one at the contract's conclusion
    (第三条第二款), so the flag is kept with the terms. Where no rule is in force, none is enforced."""
    longest = at.get("sme_payment_days_max") if small_enterprise else None
    if longest is not None and agreed_days is not None and agreed_days > longest.value:
        raise PaymentTermTooLong(days=agreed_days, limit=longest.value, citation=longest.cite)
    terms: dict[str, Any] = {
        "small_enterprise": small_enterprise,
        "agreed_days_after_acceptance": agreed_days,
    }
    default = at.get("sme_payment_days") if small_enterprise else None
    if default is not None:
        terms["statutory"] = {
            "days": default.value,
            "max_days": longest.value if longest else None,
            "citation": default.cite,
        }
    return terms


def due_after_acceptance(at: RulesAt, terms: dict[str, Any], accepted_on: date) -> dict[str, Any] | None:
    """When a payment gated by acceptance falls due, by the rules in force on the acceptance day:
    the agreed term (a small enterprise's capped at the longest allowed), else a small enterprise's
    statutory term; None where neither applies (the contract's own date stands). Calendar days."""
    agreed = terms.get("agreed_days_after_acceptance")
    small = bool(terms.get("small_enterprise"))
    default, longest = (at.get("sme_payment_days"), at.get("sme_payment_days_max")) if small else (None, None)
    if agreed is not None:
        if longest is not None and agreed > longest.value:
            days, cite = longest.value, longest.cite
        else:
            days, cite = (
                agreed,
                f"合同约定（验收合格之日起 {agreed} 日）" + (f"；{longest.cite}" if longest else ""),
            )
    elif default is not None:
        days, cite = default.value, default.cite
    else:
        return None
    return {"days": days, "due_on": (accepted_on + timedelta(days=days)).isoformat(), "citation": cite}


def grade_scale(at: RulesAt, scaled: bool, typed: Sequence[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The contract's grade scale: the one it states, else the default in force (`payment_grade_scale`,
    dated and cited); None when no payment is scaled. Refused when a payment is scaled and neither is."""
    if not scaled:
        return None
    if typed:
        return {"source": "contract", "ratios": [dict(x) for x in typed], "citation": None}
    rule = at.get("payment_grade_scale")
    if rule is None:
        raise GradeScaleRequired(on=at.on.isoformat())
    ratios = [{"grade": g.grade, "ratio": str(g.ratio)} for g in rule.value]
    return {"source": "rules", "ratios": ratios, "citation": rule.cite}


def scaled_amount(
    scheduled: Decimal, scale: dict[str, Any] | None, grade: str | None
) -> tuple[Decimal, Decimal] | None:
    """(ratio, amount) for `grade` under the contract's scale, the amount rounded half-up to the fen;
    None when the scale has no such grade."""
    for x in (scale or {}).get("ratios", []):
        if x["grade"] == grade:
            ratio = Decimal(str(x["ratio"]))
            return ratio, round_fen(scheduled * ratio)
    return None
