"""Contract rules, pure: term length, subcontracting, payments adding up, amendment limits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from jiuzhu_kit.clock import add_years
from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.money import percent


class ContractTermTooLong(Conflict):
    code = "CONTRACT_TERM_TOO_LONG"
    zh = "合同期限{why}（财政部令第102号 24：一般不超过 1 年，服务稳定且资金有保障的最长 3 年；闽民保〔2018〕58号 一(四)）"
    en = "Contract term {why_en} (财政部令第102号 24: normally ≤1 year; ≤3 years for stable services with a stated reason)"


class SubcontractingForbidden(Conflict):
    code = "SUBCONTRACTING_FORBIDDEN"
    zh = "严禁服务转包（闽民保〔2018〕58号 一(七)；沪 三(六)）"
    en = "Subcontracting the service is forbidden (闽民保〔2018〕58号 一(七))"


class PaymentsMismatch(Conflict):
    code = "CONTRACT_PAYMENTS_MISMATCH"
    zh = "付款计划合计 {total} 元与合同金额 {price} 元不一致"
    en = "The payment schedule totals {total}, not the contract price {price}"


class IncreaseTooLarge(Conflict):
    code = "AMENDMENT_INCREASE_TOO_LARGE"
    zh = "追加金额不得超过原合同金额的 {percent}%（{citation}）：原 {original} 元，至多 {limit} 元"
    en = "An increase may not exceed {percent}% of the original amount ({citation}): original {original}, at most {limit}"


def check_term(start: date, end: date, reason: str | None) -> None:
    if end < start:
        raise ContractTermTooLong(why="结束日早于开始日", why_en="ends before it starts")
    if end <= add_years(start, 1) - timedelta(days=1):
        return
    if end > add_years(start, 3) - timedelta(days=1):
        raise ContractTermTooLong(why="超过 3 年", why_en="exceeds 3 years")
    if not (reason and reason.strip()):
        raise ContractTermTooLong(
            why="超过 1 年但未说明理由", why_en="exceeds 1 year without a stated reason"
        )


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
