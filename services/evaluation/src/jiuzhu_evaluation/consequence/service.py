"""What other services read from evaluation results: payment release, history, debarment advice."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.consequence.schemas import (
    ContractorHistoryOut,
    DebarmentSuggestionOut,
    HistoryItem,
    PaymentReleaseOut,
)
from jiuzhu_evaluation.round import access
from jiuzhu_evaluation.round.models import EvaluationRound, RoundStatus
from jiuzhu_evaluation.round.repository import RoundRepository
from jiuzhu_evaluation.template.rules import round_score
from jiuzhu_kit.auth import Principal

PAYMENT_BASIS = "灵政办发〔2018〕201号 六(二): 半年评估作为资金拨付的主要依据"
DEBARMENT_BASIS = [
    "龙民〔2018〕170号 一(七) (seed 001): 情节严重的记入信用记录，3年内不得再承接政府购买社会救助服务",
    "seed 003 三(六): 依法禁止相关主体在一定期限内参与政府购买社会救助服务工作",
    "政府采购法 第七十七条: 一至三年内禁止参加政府采购活动（由主管部门依法决定）",
]


async def payment_release(
    session: AsyncSession, principal: Principal, contract_id: uuid.UUID, period: str
) -> PaymentReleaseOut:
    r = await RoundRepository(session).by_contract_period(contract_id, period)
    if r is None or not access.can_read(principal, r):  # outside jurisdiction: same answer as absent
        return PaymentReleaseOut(
            contract_id=contract_id,
            period=period,
            released=False,
            reason="NO_ROUND: 该合同本期没有评价轮次",
            round_id=None,
            total=None,
            grade=None,
        )
    total = f"{r.total:.2f}" if r.total is not None else None
    base = dict(contract_id=contract_id, period=period, round_id=r.id, total=total, grade=r.grade)
    if r.status == RoundStatus.APPEALED:
        return PaymentReleaseOut(**base, released=False, reason="APPEAL_PENDING: 承接主体已申诉，复核中")
    if r.status != RoundStatus.PUBLISHED:
        return PaymentReleaseOut(**base, released=False, reason=f"NOT_PUBLISHED: 评价尚未公示（{r.status}）")
    if not r.passed:
        return PaymentReleaseOut(
            **base, released=False, reason=f"FAILED: 评价等级{r.grade}，低于合格; {PAYMENT_BASIS}"
        )
    return PaymentReleaseOut(
        **base, released=True, reason=f"RELEASED: 评价已公示，等级{r.grade}; {PAYMENT_BASIS}"
    )


def _item(r: EvaluationRound) -> HistoryItem:
    assert r.total is not None and r.grade is not None and r.published_at is not None
    return HistoryItem(
        round_id=r.id,
        contract_id=r.contract_id,
        period=r.period,
        total=f"{r.total:.2f}",
        grade=r.grade,
        published_at=r.published_at,
    )


async def _published(session: AsyncSession, uscc: str) -> list[EvaluationRound]:
    rows = await RoundRepository(session).published_for_contractor(uscc)
    return [r for r in rows if r.status in (RoundStatus.PUBLISHED, RoundStatus.APPEALED)]


async def contractor_history(session: AsyncSession, uscc: str) -> ContractorHistoryOut:
    rows = await _published(session, uscc)
    totals = [r.total for r in rows if r.total is not None]
    avg = round_score(sum(totals, Decimal(0)) / len(totals)) if totals else None
    return ContractorHistoryOut(
        uscc=uscc, results=[_item(r) for r in rows], average=f"{avg:.2f}" if avg is not None else None
    )


async def debarment_suggestion(session: AsyncSession, uscc: str) -> DebarmentSuggestionOut:
    """A suggestion only: the purchaser decides. Latest published result failing → suggest; two or
    more failing results → suggest the 3-year bar of seed 001 一(七)."""
    rows = await _published(session, uscc)
    failing = [r for r in rows if r.passed is False]
    latest_failed = bool(rows) and rows[-1].passed is False
    if not latest_failed:
        return DebarmentSuggestionOut(
            uscc=uscc,
            suggested=False,
            reason="最近一次公示结果为合格以上（或尚无公示结果）",
            failing_results=[_item(r) for r in failing],
            suggested_years=None,
            basis=DEBARMENT_BASIS,
        )
    years = 3 if len(failing) >= 2 else 1
    return DebarmentSuggestionOut(
        uscc=uscc,
        suggested=True,
        reason=f"最近一次公示评价不合格（共 {len(failing)} 次不合格）：建议启动退出机制并评估是否记入信用记录",
        failing_results=[_item(r) for r in failing],
        suggested_years=years,
        basis=DEBARMENT_BASIS,
    )
