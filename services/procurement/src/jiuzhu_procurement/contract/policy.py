"""Who reads a contract and its history: the purchaser's side and the evaluator in the contract's
jurisdiction, and the contractor party itself (wherever its token was issued). The parties' contact
persons and phones are personal data (个人信息保护法 28): the evaluator and the public see them masked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, or_

from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.masking import mask_name, mask_phone
from jiuzhu_kit.policy import FULL, ReadPolicy, View, in_jurisdiction
from jiuzhu_procurement.contract.models import Contract

PURCHASER_SIDE = frozenset({Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR})
MASKED_CONTACTS = View(masked={"parties[].contact_person": mask_name, "parties[].contact_phone": mask_phone})


class ContractNotFound(NotFound):
    code = "CONTRACT_NOT_FOUND"
    zh = "未找到该合同"
    en = "Contract not found"


class ContractPolicy(ReadPolicy[Contract]):
    aggregate = "contract"
    not_found = ContractNotFound
    roles = PURCHASER_SIDE | {Role.EVALUATOR, Role.CONTRACTOR}

    def is_party(self, principal: Principal, row: Contract) -> bool:
        return (
            principal.has(Role.CONTRACTOR)
            and principal.org is not None
            and principal.org == row.contractor_uscc
        )

    def may_read(self, principal: Principal, row: Contract) -> bool:
        if row.status == "discarded":
            return False
        if self.is_party(principal, row):
            return True
        return principal.has(*PURCHASER_SIDE, Role.EVALUATOR) and principal.covers(row.division_code)

    def narrow(self, principal: Principal, stmt: Select[Any]) -> Select[Any]:
        """`may_read` in SQL (a query over contracts, or joined to them): the party's own anywhere,
        the purchaser's side and the evaluator in their jurisdiction; never a discarded draft."""
        self.ensure_role(principal)
        mine = []
        if principal.has(Role.CONTRACTOR) and principal.org is not None:
            mine.append(Contract.contractor_uscc == principal.org)
        if principal.has(*PURCHASER_SIDE, Role.EVALUATOR):
            mine.append(in_jurisdiction(Contract.division_code, principal))
        return stmt.where(Contract.status != "discarded", or_(*mine) if mine else false())

    def view(self, principal: Principal | None, row: Contract) -> View:
        if principal is not None and (
            principal.has(Role.ADMIN)
            or self.is_party(principal, row)
            or (principal.has(*PURCHASER_SIDE) and principal.covers(row.division_code))
        ):
            return FULL
        return MASKED_CONTACTS


POLICY = ContractPolicy()


class PaymentPolicy(ContractPolicy):
    """A payment's history (release, acceptance, finance's overrides) is read by whoever may read its
    contract: the row the decision is made on is the contract, the chain the payment's own."""

    aggregate = "payment"


PAYMENT_POLICY = PaymentPolicy()
