"""The machines of a contract's money: a scheduled payment is released once its evaluation passed
(灵政办发〔2018〕201号 六(二): the half-yearly evaluation is the basis for releasing funds)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from jiuzhu_kit.auth import Role
from jiuzhu_kit.errors import Conflict
from jiuzhu_procurement.common import evaluation
from jiuzhu_procurement.contract.models import Contract, Payment
from jiuzhu_procurement.workflow.machine import Ctx, Machine, t


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


async def _release(ctx: Ctx) -> None:
    pay: Payment = ctx.entity
    c = (await ctx.session.execute(select(Contract).where(Contract.id == pay.contract_id))).scalar_one()
    if c.status in ("draft", "discarded"):
        raise ContractNotActive(status=c.status)
    answer = await evaluation.payment_release(
        ctx.app.state.settings, str(c.id), pay.period, ctx.authorization
    )
    if not answer["released"]:
        raise PaymentNotReleasable(period=pay.period, reason=str(answer.get("reason") or "—"), answer=answer)
    pay.basis = answer
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
            doc="评价通过后按计划拨付（问评价服务，不猜测）",
        )
    ],
)
