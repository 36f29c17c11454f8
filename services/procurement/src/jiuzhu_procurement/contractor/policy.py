"""Who reads the contractor registry (a contractor's debarment cases: debarment/policy.py).

The registry is national and readable by every token; a contractor's legal representative and
contact phone are personal data (个人信息保护法 28), seen in full only by the authorities (bureau,
finance, auditor, admin) and the contractor itself — masked for everyone else, the public included."""

from __future__ import annotations

from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.masking import mask_name, mask_phone
from jiuzhu_kit.policy import FULL, ReadPolicy, View
from jiuzhu_procurement.contractor.models import Contractor

PERSONAL = View(masked={"legal_representative": mask_name, "contact_phone": mask_phone})


class ContractorNotFound(NotFound):
    code = "CONTRACTOR_NOT_FOUND"
    zh = "未找到该承接主体"
    en = "Contractor not found"


def sees_personal(principal: Principal | None, uscc: str) -> bool:
    return principal is not None and (
        principal.has(Role.BUREAU, Role.FINANCE, Role.AUDITOR, Role.ADMIN)
        or (principal.has(Role.CONTRACTOR) and principal.org == uscc)
    )


class ContractorPolicy(ReadPolicy[Contractor]):
    aggregate = "contractor"
    not_found = ContractorNotFound
    roles = None  # the registry is national: any token

    def may_read(self, principal: Principal, row: Contractor) -> bool:
        return True

    def view(self, principal: Principal | None, row: Contractor) -> View:
        return FULL if sees_personal(principal, row.uscc) else PERSONAL


POLICY = ContractorPolicy()
