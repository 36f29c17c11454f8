"""The machines of a contract's money. A scheduled payment is released once its gate is met, as the
contract's schedule says (schemas.PaymentLine.gate):

- `on_signing`: an advance the contract agrees, once it is signed (灵政办发〔2018〕201号 五(四): after
  signing the bureau pays as the contract agrees);
- `acceptance`: once the purchaser recorded the acceptance (验收) of the period;
- `evaluation` (the default): once the period's evaluation round is published and passed — the
  evaluation service is asked, never guessed (六(二): the half-yearly evaluation is the basis for
  releasing funds). Where the line is `scale_by_grade`, the amount released is the scheduled amount
  times the contract's ratio for the published grade, rounded half-up to the fen; a ratio of 0
  withholds the payment and points to the takeover plan.

Finance may override the gate or the amount, always with a reason: the override is kept on the
payment (`override`) and in its audit chain, beside what the gate would have given."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from jiuzhu_kit.auth import Role
from jiuzhu_kit.errors import Conflict, Forbidden
from jiuzhu_kit.money import Money
from jiuzhu_procurement.common import evaluation
from jiuzhu_procurement.contract import rules
from jiuzhu_procurement.contract.models import Contract, Payment
from jiuzhu_procurement.workflow.machine import Ctx, Machine, ReasonRequired, t


class ContractNotActive(Conflict):
    code = "CONTRACT_NOT_ACTIVE"
    zh = "合同不在履行中（当前 {status}）"
    en = "The contract is not in force (status {status})"


class PaymentNotReleasable(Conflict):
    code = "PAYMENT_NOT_RELEASABLE"
    zh = "评价结果不支持拨付 {period} 期资金：{reason}（灵政办发〔2018〕201号 六(二)）"
    en = "The evaluation does not allow releasing period {period}: {reason}"

    def extra(self) -> dict[str, Any]:
        return {"evaluation": self.params.get("answer")}


class PaymentNotAccepted(Conflict):
    code = "PAYMENT_NOT_ACCEPTED"
    zh = "{period} 期以验收合格为付款条件，尚未记录验收"
    en = "Period {period} is paid on acceptance, and no acceptance is recorded"


class PaymentWithheld(Conflict):
    code = "PAYMENT_WITHHELD"
    zh = "{period} 期评价等级为{grade}，合同约定的拨付比例为 {ratio}：不予拨付，请研究启动临时接管预案（{citation}）"
    en = "Period {period} was graded {grade}; the contract's ratio is {ratio}: withheld — consider the takeover plan ({citation})"

    def extra(self) -> dict[str, Any]:
        return {"evaluation": self.params.get("answer"), "takeover_plan": self.params.get("takeover_plan")}


class GradeNotInScale(Conflict):
    code = "GRADE_NOT_IN_SCALE"
    zh = "{period} 期评价等级为{grade}，合同的等级比例中没有该等级；可由财政部门说明理由后改定金额"
    en = "Period {period} was graded {grade}, which the contract's scale does not name; finance may set the amount with a reason"


class OverrideFinanceOnly(Forbidden):
    code = "OVERRIDE_FINANCE_ONLY"
    zh = "只有财政部门可以变更付款条件或拨付金额"
    en = "Only finance may override a payment's gate or amount"


class OverrideAmountInvalid(Conflict):
    code = "OVERRIDE_AMOUNT_INVALID"
    zh = "改定的拨付金额应大于 0 且不超过计划金额 {scheduled} 元{why}"
    en = "An overridden amount must be above 0 and at most the scheduled {scheduled}{why}"


class ReleaseOverride(BaseModel):
    """The release transition's data: finance's override, if any (the reason is the transition's)."""

    model_config = ConfigDict(extra="forbid")

    override_gate: bool = False
    override_amount: Money | None = None


def _gate_of(pay: Payment) -> str:
    return pay.gate or "evaluation"


async def _release(ctx: Ctx) -> None:
    pay: Payment = ctx.entity
    c = (await ctx.session.execute(select(Contract).where(Contract.id == pay.contract_id))).scalar_one()
    if c.status in ("draft", "discarded"):
        raise ContractNotActive(status=c.status)
    ov: ReleaseOverride = ctx.payload or ReleaseOverride()
    overriding = ov.override_gate or ov.override_amount is not None
    if overriding:
        if not ctx.principal.has(Role.FINANCE, Role.ADMIN):
            raise OverrideFinanceOnly()
        if not (ctx.reason and ctx.reason.strip()):
            raise ReasonRequired()
    scheduled = pay.scheduled_amount if pay.scheduled_amount is not None else pay.amount
    gate = _gate_of(pay)
    basis: dict[str, Any] = {"gate": gate}
    amount: Decimal | None = scheduled
    if gate == "on_signing":
        basis["signed_on"] = c.signed_on.isoformat() if c.signed_on else None
        basis["reason"] = "ON_SIGNING: 合同约定签订后拨付（灵政办发〔2018〕201号 五(四)）"
    elif gate == "acceptance":
        if pay.accepted_on is None and not ov.override_gate:
            raise PaymentNotAccepted(period=pay.period)
        basis["accepted_on"] = pay.accepted_on.isoformat() if pay.accepted_on else None
    elif not ov.override_gate:
        answer = await evaluation.payment_release(
            ctx.app.state.settings, str(c.id), pay.period, ctx.authorization
        )
        scale = c.grade_scale if pay.scale_by_grade else None
        if not answer["released"]:
            if scale is not None and str(answer.get("reason") or "").startswith("FAILED"):
                found = rules.scaled_amount(scheduled, scale, answer.get("grade"))
                raise PaymentWithheld(
                    period=pay.period,
                    grade=answer.get("grade") or "—",
                    ratio=str(found[0]) if found else "0",
                    citation=scale.get("citation") or "合同约定",
                    answer=answer,
                    takeover_plan=c.takeover_plan,
                )
            raise PaymentNotReleasable(
                period=pay.period, reason=str(answer.get("reason") or "—"), answer=answer
            )
        basis = {**answer, **basis}
        if scale is not None:
            found = rules.scaled_amount(scheduled, scale, answer.get("grade"))
            if found is None:
                amount = None
                if ov.override_amount is None:
                    raise GradeNotInScale(period=pay.period, grade=answer.get("grade") or "—")
            else:
                ratio, amount = found
                basis["scaled"] = {
                    "grade": answer.get("grade"),
                    "ratio": str(ratio),
                    "scheduled_amount": str(scheduled),
                    "amount": str(amount),
                    "rounding": "ROUND_HALF_UP to 0.01",
                    "citation": scale.get("citation") or "合同约定",
                }
                if amount == 0 and ov.override_amount is None:
                    raise PaymentWithheld(
                        period=pay.period,
                        grade=answer.get("grade") or "—",
                        ratio=str(ratio),
                        citation=scale.get("citation") or "合同约定",
                        answer=answer,
                        takeover_plan=c.takeover_plan,
                    )
    elif pay.scale_by_grade and ov.override_amount is None:
        # The gate waived, no grade to scale by: finance names the amount.
        raise OverrideAmountInvalid(
            scheduled=str(scheduled), why="（按等级折算的期次不经评价拨付时须改定金额）"
        )
    if ov.override_amount is not None:
        if not Decimal(0) < ov.override_amount <= scheduled:
            raise OverrideAmountInvalid(scheduled=str(scheduled), why="")
    if overriding:
        pay.override = {
            "by": ctx.principal.sub,
            "on": ctx.today.isoformat(),
            "reason": ctx.reason,
            "gate_waived": ov.override_gate,
            "amount": str(ov.override_amount) if ov.override_amount is not None else None,
            "gate_amount": str(amount) if amount is not None and not ov.override_gate else None,
        }
    final = ov.override_amount if ov.override_amount is not None else amount
    assert final is not None
    pay.amount = final
    pay.basis = basis
    pay.released_on = ctx.today


PAYMENT_MACHINE = Machine(
    "payment",
    "合同付款",
    "scheduled",
    [
        t(
            "scheduled",
            "released",
            "release",
            [Role.BUREAU, Role.TOWNSHIP, Role.FINANCE],
            _release,
            payload=ReleaseOverride,
            doc="付款条件满足后按计划拨付：签订后预付、验收合格、或评价公示（问评价服务，不猜测；可按等级折算）；"
            "财政部门可说明理由变更条件或金额",
        )
    ],
)
