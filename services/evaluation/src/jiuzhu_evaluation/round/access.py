"""Who may read a round and who may score as which party (role + jurisdiction; no I/O)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, or_

from jiuzhu_evaluation.round.models import EvaluationRound
from jiuzhu_kit import divisions
from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.policy import in_jurisdiction

OVERSIGHT = (Role.BUREAU, Role.FINANCE, Role.AUDITOR)


def _under_purchaser(principal: Principal, purchaser_division: str) -> bool:
    """A township / portal principal inside (or above) the purchaser's division."""
    return divisions.covers(purchaser_division, principal.division) or principal.covers(purchaser_division)


def reads_purchase(principal: Principal, purchaser_division: str, contractor_uscc: str) -> bool:
    """Who reads what one purchase produced (a round, a survey): admin or an oversight role whose
    jurisdiction covers the purchaser (an admin is bound by its jurisdiction too: a national admin
    has 000000); the contractor itself; a township / portal under the purchaser."""
    if principal.has(Role.ADMIN, *OVERSIGHT) and principal.covers(purchaser_division):
        return True
    if principal.has(Role.CONTRACTOR) and principal.org == contractor_uscc:
        return True
    return principal.has(Role.TOWNSHIP, Role.PORTAL) and _under_purchaser(principal, purchaser_division)


def _ancestors(division: str) -> list[str]:
    out, code = [division], divisions.parent(division)
    while code is not None:
        out.append(code)
        code = divisions.parent(code)
    return out


def purchase_readers(principal: Principal, division: Any, uscc: Any) -> Any:
    """`reads_purchase` in SQL over a purchaser-division and a contractor-code column, for lists."""
    conds = []
    if principal.has(Role.ADMIN, *OVERSIGHT):
        conds.append(in_jurisdiction(division, principal))
    if principal.has(Role.CONTRACTOR) and principal.org:
        conds.append(uscc == principal.org)
    if principal.has(Role.TOWNSHIP, Role.PORTAL):
        conds += [in_jurisdiction(division, principal), division.in_(_ancestors(principal.division))]
    return or_(*conds) if conds else false()


def round_readers(principal: Principal) -> Any:
    """`can_read` in SQL (a superset for a third party: the policy's `may_read` decides each row)."""
    cond = purchase_readers(principal, EvaluationRound.purchaser_division, EvaluationRound.contractor_uscc)
    if principal.has(Role.EVALUATOR):
        named = EvaluationRound.parties.contains([{"party": "third_party", "scorer": principal.sub}])
        cond = or_(cond, named, in_jurisdiction(EvaluationRound.purchaser_division, principal))
    return cond


def can_read(principal: Principal, r: EvaluationRound) -> bool:
    if reads_purchase(principal, r.purchaser_division, r.contractor_uscc):
        return True
    return principal.has(Role.EVALUATOR) and any(
        p["party"] == "third_party" and _third_party_may(principal, r, p) for p in r.parties
    )


def can_see_sheets(principal: Principal, r: EvaluationRound) -> bool:
    """The parties' score sheets: admin, or an oversight role whose jurisdiction covers the purchaser."""
    return principal.has(Role.ADMIN, *OVERSIGHT) and principal.covers(r.purchaser_division)


def _third_party_may(principal: Principal, r: EvaluationRound, party: dict[str, Any]) -> bool:
    """A named scorer, wherever registered; otherwise an evaluator whose jurisdiction covers the
    purchaser (a provincial or national firm's token), never an evaluator from elsewhere."""
    if party.get("scorer") is not None:
        return bool(party["scorer"] == principal.sub)
    return principal.covers(r.purchaser_division)


def can_score(principal: Principal, r: EvaluationRound, party: dict[str, Any]) -> bool:
    if party.get("scorer") not in (None, principal.sub):
        return False
    if principal.has(Role.ADMIN):
        return True
    kind = party["party"]
    if kind == "purchaser":
        return principal.has(Role.BUREAU) and principal.covers(r.purchaser_division)
    if kind == "third_party":
        return principal.has(Role.EVALUATOR) and _third_party_may(principal, r, party)
    if kind == "recipients":  # through a portal, or entered by the bureau from a survey / paper forms
        return (principal.has(Role.PORTAL) and _under_purchaser(principal, r.purchaser_division)) or (
            principal.has(Role.BUREAU) and principal.covers(r.purchaser_division)
        )
    # townships receiving staff (seed 002 六(二)); village committees collecting satisfaction (seed 004 四(四))
    roles = (Role.TOWNSHIP,) if kind == "township" else (Role.TOWNSHIP, Role.PORTAL)
    return principal.has(*roles) and divisions.covers(r.purchaser_division, principal.division)
