"""Lists of contracts and of their payments, as a bureau searches them (records issue): narrowed by
the contract's read policy (a payment is read by whoever reads its contract), masked by its view."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, cast

from fastapi import Query
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.auth import Principal
from jiuzhu_kit.ids import Uscc
from jiuzhu_kit.listing import (
    DateFilter,
    DivisionFilter,
    StatusCountsOut,
    TextFilter,
    equal,
    in_division,
    in_range,
    matching,
    status_counts,
)
from jiuzhu_kit.pagination import CursorPage, CursorParams, cursor_page, keyset
from jiuzhu_procurement.contract.models import Contract, Payment
from jiuzhu_procurement.contract.policy import PAYMENT_POLICY, POLICY
from jiuzhu_procurement.contract.schemas import ContractOut, PaymentOut

ContractStatus = Annotated[
    str | None, Query(pattern="^[a-z_]{1,16}$", description="合同状态 (draft, signed, …)")
]
PaymentStatus = Annotated[
    str | None, Query(pattern="^[a-z_]{1,16}$", description="付款状态 (scheduled, released)")
]


@dataclass
class ContractFilters:
    division_code: DivisionFilter = None
    status: ContractStatus = None
    project_id: uuid.UUID | None = None
    contractor_uscc: Annotated[Uscc | None, Query()] = None
    as_of: Annotated[date | None, Query(alias="on", description="该日在合同期内 (in force on this day)")] = (
        None
    )
    signed_from: DateFilter = None
    signed_to: DateFilter = None
    q: TextFilter = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        query = in_division(query, Contract.division_code, self.division_code)
        query = equal(equal(query, Contract.status, self.status), Contract.project_id, self.project_id)
        query = equal(query, Contract.contractor_uscc, self.contractor_uscc)
        if self.as_of is not None:
            query = query.where(Contract.term_start <= self.as_of, Contract.term_end >= self.as_of)
        query = in_range(query, Contract.signed_on, self.signed_from, self.signed_to, "signed")
        return matching(query, self.q, Contract.subject, Contract.contractor_name)


async def contracts(
    session: AsyncSession, principal: Principal, page: CursorParams, filters: ContractFilters
) -> CursorPage[ContractOut]:
    query = filters.apply(POLICY.narrow(principal, select(Contract)))
    rows = (await session.execute(keyset(query, page, Contract.created_at, Contract.id))).scalars().all()
    pays: dict[uuid.UUID, list[PaymentOut]] = defaultdict(list)
    ids = [c.id for c in rows]
    for p in (
        await session.execute(
            select(Payment).where(Payment.contract_id.in_(ids)).order_by(Payment.due_on, Payment.id)
        )
    ).scalars():
        pays[p.contract_id].append(PaymentOut.model_validate(p))

    def out(c: Contract) -> ContractOut:
        o = ContractOut.model_validate(c)
        o.payments = pays[c.id]
        view = POLICY.view(principal, c)
        return o if view.full else ContractOut.model_validate(view.apply(o.model_dump()))

    return cursor_page(
        rows, page, lambda c: (c.created_at, c.id), out, keep=lambda c: POLICY.may_read(principal, c)
    )


class PaymentItemOut(PaymentOut):
    """付款 A scheduled payment as listed."""

    contract_id: uuid.UUID
    division_code: str


@dataclass
class PaymentFilters:
    division_code: DivisionFilter = None
    status: PaymentStatus = None
    contract_id: uuid.UUID | None = None
    contractor_uscc: Annotated[Uscc | None, Query()] = None
    due_from: DateFilter = None
    due_to: DateFilter = None
    released_from: DateFilter = None
    released_to: DateFilter = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        query = in_division(query, Payment.division_code, self.division_code)
        query = equal(equal(query, Payment.status, self.status), Payment.contract_id, self.contract_id)
        query = equal(query, Contract.contractor_uscc, self.contractor_uscc)
        query = in_range(query, Payment.due_on, self.due_from, self.due_to, "due")
        return in_range(query, Payment.released_on, self.released_from, self.released_to, "released")


async def payments(
    session: AsyncSession, principal: Principal, page: CursorParams, filters: PaymentFilters
) -> CursorPage[PaymentItemOut]:
    """Payments by due date (soonest first), whoever may read the contract reading them."""
    query = filters.apply(
        PAYMENT_POLICY.narrow(principal, cast("Select[Any]", select(Payment, Contract).join(Contract)))
    )
    rows = (await session.execute(keyset(query, page, Payment.due_on, Payment.id, descending=False))).all()
    return cursor_page(
        rows,
        page,
        lambda r: (r[0].due_on, r[0].id),
        lambda r: PaymentItemOut.model_validate(r[0]),
        keep=lambda r: PAYMENT_POLICY.may_read(principal, r[1]),
    )


async def contract_counts(
    session: AsyncSession, principal: Principal, filters: ContractFilters
) -> StatusCountsOut:
    """Contracts per status you may read under the list's filters (the SQL narrowing is the
    contract policy's `may_read`, so the counts and the list agree)."""
    query = filters.apply(POLICY.narrow(principal, select(Contract)))
    return await status_counts(session, query, Contract.status)


async def payment_counts(
    session: AsyncSession, principal: Principal, filters: PaymentFilters
) -> StatusCountsOut:
    """Payments per status (scheduled, released) of the contracts you may read, under the list's filters."""
    query = filters.apply(
        PAYMENT_POLICY.narrow(principal, cast("Select[Any]", select(Payment).join(Contract)))
    )
    return await status_counts(session, query, Payment.status)
