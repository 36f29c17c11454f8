"""Who reads a project, its bids, ranking, challenges and history: the purchaser's side in its
jurisdiction (bureau, township, finance, auditor; admin). Contractors, evaluators and portals read
what the law makes public through the disclosure routes, never the purchaser's file.

Sealed bids (财政部令第87号 33–41): until the opening nobody reads a bid's bidder or price — not
the purchaser's side, not an admin — except its own bidder. Nothing of a sealed bid is stored in
clear (project/sealing.py): the project row, its history and the bid rows carry only that a bid
was received, when, and its commitment, so no read path can show more; `sees_bid` decides the rest.
The opening record is read by the purchaser's side and by the round's bidders (they attend the
opening and sign its record, 财政部令第87号 40–42).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.errors import Conflict, NotFound
from jiuzhu_kit.policy import ReadPolicy
from jiuzhu_procurement.project.models import Project

READERS = frozenset({Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR})
BIDDERS = frozenset({Role.CONTRACTOR})


class ProjectNotFound(NotFound):
    code = "PROJECT_NOT_FOUND"
    zh = "未找到该采购项目"
    en = "Project not found"


class BidNotFound(NotFound):
    code = "BID_NOT_FOUND"
    zh = "未找到该响应文件"
    en = "Bid not found"


class BidSealed(Conflict):
    code = "BID_SEALED"
    zh = "投标（响应）文件在开标前密封，投标人名称和报价开标后方可查看（财政部令第87号 33、41）"
    en = "Bids are sealed until the opening; bidders and prices can be read after it (财政部令第87号 33, 41)"


class ProjectPolicy(ReadPolicy[Project]):
    aggregate = "project"
    not_found = ProjectNotFound
    roles = READERS
    model = Project


POLICY = ProjectPolicy()


def is_purchaser_side(principal: Principal, project: Project) -> bool:
    """A reader of the purchaser's file of this project (role and jurisdiction)."""
    return principal.has(Role.ADMIN, *READERS) and POLICY.may_read(principal, project)


def sees_bid(principal: Principal, project: Project, *, own: bool, sealed: bool) -> bool:
    """Whether this reader sees a bid's bidder and price: its own bidder always; the purchaser's
    side in its jurisdiction once the bid is opened; anyone else, an admin included, never while
    it is sealed."""
    if own:
        return True
    return not sealed and is_purchaser_side(principal, project)


def sees_opening(principal: Principal, project: Project, record: Mapping[str, Any]) -> bool:
    """The opening record: the purchaser's side, and the bidders whose bids it reads out."""
    if is_purchaser_side(principal, project):
        return True
    org = (principal.org or "").upper()
    return bool(org) and principal.has(*BIDDERS) and any(b.get("uscc") == org for b in record.get("bids", []))
