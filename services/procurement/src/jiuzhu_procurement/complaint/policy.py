"""Who handles and reads a complaint. The finance department at the purchaser's level decides it
(政府采购法 55: 同级政府采购监督管理部门): a county's, city's or province's own finance for its
bureau, the county's for a township; a higher level's finance may read it but not decide.
Readers are the project's (bureau, township, finance, auditor in the jurisdiction), through the
project (`GET /projects/{id}/complaints`) and finance's worklist (`GET /complaints`)."""

from __future__ import annotations

from jiuzhu_kit import divisions
from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.errors import Forbidden, NotFound

AGGREGATE = "complaint"


class ComplaintNotFound(NotFound):
    code = "COMPLAINT_NOT_FOUND"
    zh = "未找到该投诉"
    en = "Complaint not found"


class NotSameLevelFinance(Forbidden):
    code = "COMPLAINT_NOT_AT_LEVEL"
    zh = "投诉由采购人同级的财政部门（{division}）处理（政府采购法 第五十五条）"
    en = "The complaint is handled by the finance department at the purchaser's level ({division}; 政府采购法 55)"


def finance_division(purchaser: str) -> str:
    """The division whose finance department handles complaints about `purchaser`'s purchases:
    its own, or its county's for a township or village."""
    if divisions.level(purchaser) in ("township", "village"):
        return purchaser[:6]
    return purchaser


def ensure_handler(principal: Principal, division: str) -> None:
    if principal.has(Role.ADMIN):
        return
    if principal.division != division:
        raise NotSameLevelFinance(division=division)
