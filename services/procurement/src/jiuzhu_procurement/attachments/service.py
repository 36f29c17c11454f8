"""Who reads and who attaches the documents of each procurement aggregate.

Readers are exactly the aggregate's readers (its policy.py): another county's plan, project or
contract looks absent (its own 404). A bid's documents are sealed like its price (project/policy.py
`sees_bid`): until the opening only its bidder reads or adds them, the purchaser's side gets 409
BID_SEALED, anyone else 404; their events join the project's chain under the sealed actor, naming
neither the bidder nor the title; their files are stored encrypted with the project's sealing key
(project/sealing.py `file_key`) until the opening decrypts them (project/machine.py `open_bids`).
Challenges and complaints: the project's readers and the supplier that raised them. An award's
documents: the project's readers and the awarded supplier, once there is an award. A contract's
amendment and payment documents: the contract's readers (its policy), filed by the purchaser's
side and the contractor party (finance too on a payment). A debarment case's: its readers (the
reporting side in its jurisdiction, the supplier concerned), filed by any of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.auth import Principal, Role, RoleForbidden
from jiuzhu_kit.documents.api import Owner
from jiuzhu_kit.documents.sealed import FileSealer
from jiuzhu_procurement.challenge.models import Challenge
from jiuzhu_procurement.challenge.policy import AGGREGATE as CHALLENGE
from jiuzhu_procurement.challenge.policy import ChallengeNotFound
from jiuzhu_procurement.complaint.models import Complaint
from jiuzhu_procurement.complaint.policy import AGGREGATE as COMPLAINT
from jiuzhu_procurement.complaint.policy import ComplaintNotFound
from jiuzhu_procurement.contract.policy import PAYMENT_POLICY, ContractNotFound
from jiuzhu_procurement.contract.policy import POLICY as CONTRACTS
from jiuzhu_procurement.contract.service import load as load_contract
from jiuzhu_procurement.contract.service import payment_id
from jiuzhu_procurement.debarment.models import Debarment
from jiuzhu_procurement.debarment.policy import POLICY as DEBARMENTS
from jiuzhu_procurement.plan.policy import POLICY as PLANS
from jiuzhu_procurement.plan.repository import load as load_plan
from jiuzhu_procurement.project import repository as projects_repo
from jiuzhu_procurement.project.models import Bid, Project
from jiuzhu_procurement.project.notice import AwardNotMade
from jiuzhu_procurement.project.policy import (
    POLICY as PROJECTS,
)
from jiuzhu_procurement.project.policy import (
    READERS,
    BidNotFound,
    BidSealed,
    ProjectNotFound,
    is_purchaser_side,
    sees_bid,
)
from jiuzhu_procurement.project.service import _sealed_actor
from jiuzhu_procurement.project.service import load as load_project

Resolve = Callable[..., Awaitable[Owner]]

PURCHASER = (Role.ADMIN, Role.BUREAU, Role.TOWNSHIP)  # who files a purchase's own documents
# Who may ever read a bid's, a challenge's or a complaint's documents: the project's readers and
# suppliers (each only its own); any other role is refused before anything is looked up.
PARTIES = (Role.ADMIN, *READERS, Role.CONTRACTOR)


def _role(principal: Principal, *roles: str) -> None:
    if not principal.has(*roles):
        raise RoleForbidden()


def _uuid(key: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(key)
    except ValueError:
        return None


def _may_file(principal: Principal) -> None:
    if not principal.has(*PURCHASER):
        raise RoleForbidden()


def _owner(kind: str, row: Any, chain: str | None = None, chain_id: Any = None, **kw: Any) -> Owner:
    return Owner(
        kind=kind,
        id=str(row.id),
        division=row.division_code,
        chain=chain or kind,
        chain_id=str(chain_id or row.id),
        **kw,
    )


# ---- plan, project, contract: the aggregate's own policy -------------------------------------


async def read_plan(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    k = _uuid(key)
    plan = PLANS.check(principal, await load_plan(session, k) if k else None)
    return _owner("plan", plan)


async def write_plan(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    _may_file(principal)
    owner = await read_plan(request, session, principal, key)
    return owner


async def read_project(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    k = _uuid(key)
    return _owner("project", PROJECTS.check(principal, await load_project(session, k) if k else None))


async def write_project(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    _may_file(principal)
    owner = await read_project(request, session, principal, key)
    return owner


async def read_contract(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    k = _uuid(key)
    return _owner("contract", CONTRACTS.check(principal, await load_contract(session, k) if k else None))


async def write_contract(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    """The purchaser's side files the contract; the contractor party its own reports."""
    _role(principal, *PURCHASER, Role.CONTRACTOR)
    k = _uuid(key)
    c = CONTRACTS.check(principal, await load_contract(session, k) if k else None)
    if not (principal.has(*PURCHASER) or CONTRACTS.is_party(principal, c)):
        raise RoleForbidden()
    return _owner("contract", c)


# ---- bids: sealed until the opening -----------------------------------------------------------


async def _sealer(request: Request, session: AsyncSession, b: Bid, p: Project) -> FileSealer | None:
    """The key a sealed bid's files are stored under (its project's), None once it is opened."""
    if b.sealed is None:
        return None
    key = await projects_repo.data_key(session, request.app.state.bid_keys, p.id)
    return FileSealer(key.file_key()) if key is not None else None


async def _bid(
    request: Request, session: AsyncSession, principal: Principal, key: str
) -> tuple[Bid, Project, bool]:
    """The bid, its project and whether the caller is its bidder; 404 for a bid it cannot know of."""
    _role(principal, *PARTIES)
    k = _uuid(key)
    b = (await session.execute(select(Bid).where(Bid.id == k))).scalar_one_or_none() if k else None
    p = await load_project(session, b.project_id) if b is not None else None
    if b is None or p is None:
        raise BidNotFound()
    org = (principal.org or "").upper()
    own = False
    if org and principal.has(Role.CONTRACTOR):
        if b.uscc is not None:
            own = b.uscc == org
        else:
            key_ = await projects_repo.data_key(session, request.app.state.bid_keys, p.id)
            own = key_ is not None and b.bidder_tag is not None and b.bidder_tag == key_.bidder_tag(org)
    return b, p, own


async def read_bid(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    b, p, own = await _bid(request, session, principal, key)
    if not sees_bid(principal, p, own=own, sealed=b.sealed is not None):
        if is_purchaser_side(principal, p):
            raise BidSealed()
        raise BidNotFound()
    return Owner(
        kind="bid",
        id=str(b.id),
        division=p.division_code,
        chain="project",
        chain_id=str(p.id),
        sealer=await _sealer(request, session, b, p),
    )


async def write_bid(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    """Only its bidder, only while it is sealed and not withdrawn (a bid's content is fixed at the
    opening, 财政部令第87号 34); the event names the sealed actor, as the bid's own do."""
    _role(principal, Role.ADMIN, Role.CONTRACTOR)
    b, p, own = await _bid(request, session, principal, key)
    if not own:
        if is_purchaser_side(principal, p):
            raise BidSealed() if b.sealed is not None else RoleForbidden()
        raise BidNotFound()
    if b.sealed is None or b.withdrawn_at is not None or p.status != "announced":
        raise RoleForbidden()
    return Owner(
        kind="bid",
        id=str(b.id),
        division=p.division_code,
        chain="project",
        chain_id=str(p.id),
        actor=_sealed_actor(principal),
        sealer=await _sealer(request, session, b, p),
    )


# ---- the award: the project's readers and the awarded supplier, once there is one ---------------


async def read_award(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    _role(principal, *PARTIES)
    k = _uuid(key)
    p = await load_project(session, k) if k else None
    if p is None:
        raise ProjectNotFound()
    winner = bool(principal.org) and principal.has(Role.CONTRACTOR) and principal.org == p.awarded_uscc
    if not winner:
        p = PROJECTS.check(principal, p)
    if p.awarded_uscc is None:
        raise AwardNotMade()
    return Owner(kind="award", id=str(p.id), division=p.division_code, chain="project", chain_id=str(p.id))


async def write_award(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    _may_file(principal)
    return await read_award(request, session, principal, key)


# ---- a contract's amendments and payments: the contract's readers ------------------------------


async def _contract_writer(session: AsyncSession, principal: Principal, key: str, *extra: str) -> Any:
    _role(principal, *PURCHASER, Role.CONTRACTOR, *extra)
    k = _uuid(key)
    c = CONTRACTS.check(principal, await load_contract(session, k) if k else None)
    if not (principal.has(*PURCHASER, *extra) or CONTRACTS.is_party(principal, c)):
        raise RoleForbidden()
    return c


def _amendment(c: Any, number: str) -> Owner:
    n = int(number) if number.isdigit() else 0
    if not 1 <= n <= len(c.amendments or []):
        raise ContractNotFound()
    return Owner("amendment", f"{c.id}/{n}", c.division_code, CONTRACTS.aggregate, str(c.id))


async def read_amendment(
    request: Request, session: AsyncSession, principal: Principal, key: str, number: str
) -> Owner:
    k = _uuid(key)
    return _amendment(CONTRACTS.check(principal, await load_contract(session, k) if k else None), number)


async def write_amendment(
    request: Request, session: AsyncSession, principal: Principal, key: str, number: str
) -> Owner:
    return _amendment(await _contract_writer(session, principal, key), number)


async def read_payment(
    request: Request, session: AsyncSession, principal: Principal, key: str, period: str
) -> Owner:
    k = _uuid(key)
    c = PAYMENT_POLICY.check(principal, await load_contract(session, k) if k else None)
    pay = await payment_id(session, c, period)
    return Owner("payment", str(pay), c.division_code, PAYMENT_POLICY.aggregate, str(pay))


async def write_payment(
    request: Request, session: AsyncSession, principal: Principal, key: str, period: str
) -> Owner:
    """The purchaser's side (acceptance reports), finance (its release) and the contractor party."""
    c = await _contract_writer(session, principal, key, Role.FINANCE)
    pay = await payment_id(session, c, period)
    return Owner("payment", str(pay), c.division_code, PAYMENT_POLICY.aggregate, str(pay))


# ---- debarment cases: their readers, each filing its part ----------------------------------------


async def read_debarment(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    k = _uuid(key)
    d = DEBARMENTS.check(principal, await session.get(Debarment, k) if k else None)
    return _owner(DEBARMENTS.aggregate, d)


async def write_debarment(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    """The reporting bureau, finance (its decision) and the supplier concerned (its defence)."""
    _role(principal, Role.ADMIN, Role.BUREAU, Role.FINANCE, Role.CONTRACTOR)
    return await read_debarment(request, session, principal, key)


# ---- challenges and complaints: the project's readers and the supplier that raised them -------


async def _raised(
    session: AsyncSession, principal: Principal, row: Challenge | Complaint | None, missing: type[Exception]
) -> tuple[Any, bool]:
    """The challenge or complaint, and whether the caller is the supplier that raised it."""
    _role(principal, *PARTIES)
    if row is None:
        raise missing()
    p = await load_project(session, row.project_id)
    supplier = bool(principal.org) and principal.has(Role.CONTRACTOR) and principal.org == row.uscc
    if p is None or not (supplier or is_purchaser_side(principal, p)):
        raise missing()
    return row, supplier


async def read_challenge(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    k = _uuid(key)
    row = await session.get(Challenge, k) if k else None
    c, _ = await _raised(session, principal, row, ChallengeNotFound)
    return _owner(CHALLENGE, c)


async def write_challenge(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    """The challenger (its evidence) and the purchaser (its reply)."""
    _role(principal, *PURCHASER, Role.CONTRACTOR)
    k = _uuid(key)
    row = await session.get(Challenge, k) if k else None
    c, supplier = await _raised(session, principal, row, ChallengeNotFound)
    if not supplier:
        _may_file(principal)
    return _owner(CHALLENGE, c)


async def read_complaint(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    k = _uuid(key)
    row = await session.get(Complaint, k) if k else None
    c, _ = await _raised(session, principal, row, ComplaintNotFound)
    return _owner(COMPLAINT, c)


async def write_complaint(request: Request, session: AsyncSession, principal: Principal, key: str) -> Owner:
    """The complainant, the purchaser (its statement) and finance at the purchaser's level (its
    decision, 财政部令第94号)."""
    _role(principal, *PURCHASER, Role.FINANCE, Role.CONTRACTOR)
    k = _uuid(key)
    row = await session.get(Complaint, k) if k else None
    c, supplier = await _raised(session, principal, row, ComplaintNotFound)
    deciding = principal.has(Role.FINANCE) and principal.division == c.finance_division
    if not (supplier or deciding):
        _may_file(principal)
    return _owner(COMPLAINT, c)
