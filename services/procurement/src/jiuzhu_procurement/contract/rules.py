"""Contract rules, pure: term length, subcontracting, payments adding up, amendment limits. The
numbers are dated rules of the procurement packs (rulebook/data), passed in as in force."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jiuzhu_kit.clock import add_years
from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.money import percent
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
