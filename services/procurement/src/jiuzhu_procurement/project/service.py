"""Project rules outside the transition table: declaration, bids, qualification, scoring, explanations."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import clock, divisions
from jiuzhu_kit.audit import Actor, AuditLog
from jiuzhu_kit.auth import Principal, Role, RoleForbidden
from jiuzhu_kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from jiuzhu_kit.listing import Overdue
from jiuzhu_kit.money import round_fen
from jiuzhu_kit.pagination import CursorPage, CursorParams, cursor_page, keyset
from jiuzhu_kit.rules.book import RuleBook, RulesAt
from jiuzhu_procurement.catalogue import service as catalogue
from jiuzhu_procurement.common import evaluation
from jiuzhu_procurement.contractor import service as contractors
from jiuzhu_procurement.debarment.service import ensure_not_debarred
from jiuzhu_procurement.expert import draw as expert_draw
from jiuzhu_procurement.expert import repository as expert_draws
from jiuzhu_procurement.expert.models import ExpertDraw
from jiuzhu_procurement.plan import service as plans
from jiuzhu_procurement.project import methods, periods, repository, scoring, sealing
from jiuzhu_procurement.project.machine import HORIZON, MACHINE, DeadlineNotLater, ensure_budget, touch
from jiuzhu_procurement.project.models import Bid, Project
from jiuzhu_procurement.project.policy import (
    BIDDERS,
    POLICY,
    READERS,
    is_purchaser_side,
    sees_bid,
    sees_opening,
)
from jiuzhu_procurement.project.policy import BidNotFound as BidNotFound  # the service's refusals too
from jiuzhu_procurement.project.policy import BidSealed as BidSealed
from jiuzhu_procurement.project.policy import ProjectNotFound as ProjectNotFound
from jiuzhu_procurement.project.schemas import (
    BidDetailOut,
    BidIn,
    BidOut,
    BidReceiptOut,
    DeadlineExtensionIn,
    ExplanationIn,
    OverdueProjectDeadlineOut,
    ProjectDeadlineOut,
    ProjectIn,
    ProjectOut,
    QualificationIn,
    ScoringIn,
)
from jiuzhu_procurement.workflow.machine import snapshot

AGGREGATE = "project"


class WrongStage(Conflict):
    code = "WRONG_STAGE"
    zh = "项目当前为 {status}，此操作只能在 {needed} 阶段进行"
    en = "The project is {status}; this is possible only in {needed}"


class PanelInvalid(Conflict):
    code = "PANEL_INVALID"
    zh = "评审小组不符合规定：{why}（{citation}）"
    en = "The evaluation panel does not comply: {why_en} ({citation})"


class DuplicateBid(Conflict):
    code = "DUPLICATE_BID"
    zh = "同一供应商本轮只能提交一份响应文件"
    en = "One bid per supplier per round"


class BidWithdrawn(Conflict):
    code = "BID_WITHDRAWN"
    zh = "该响应文件已撤回；可在截止时间前重新递交（财政部令第87号 34）"
    en = "This bid was withdrawn; a new one may be submitted before the deadline (财政部令第87号 34)"


class PlanYearMismatch(Conflict):
    code = "PLAN_YEAR_MISMATCH"
    zh = "申报日期 {on} 不在计划年度 {year} 内"
    en = "The declaration date {on} is outside the plan year {year}"


class ProjectDeadlineNotFound(NotFound):
    code = "PROJECT_DEADLINE_NOT_FOUND"
    zh = "该项目没有此期限"
    en = "The project has no such deadline"


class DeadlineNotManual(Conflict):
    code = "DEADLINE_NOT_MANUAL"
    zh = "该期限由状态变更完成（如签订合同），不能登记"
    en = "This deadline is met by a transition (e.g. signing the contract), not recorded by hand"


class DeadlineAlreadyMet(Conflict):
    code = "DEADLINE_ALREADY_MET"
    zh = "该期限已于 {on} 登记完成"
    en = "This deadline was already recorded as met on {on}"


class DeadlineDateInvalid(Conflict):
    code = "DEADLINE_DATE_INVALID"
    zh = "完成之日应在 {start} 至今天（{today}）之间"
    en = "The date must fall between {start} and today ({today})"


def project_out(p: Project) -> ProjectOut:
    o = ProjectOut.model_validate(p)
    o.allowed_transitions = MACHINE.allowed(p.status)
    on = clock.today()
    o.deadlines = [
        ProjectDeadlineOut.model_validate({**d, "status": periods.status(d, on)}) for d in (p.deadlines or [])
    ]
    return o


async def declare(
    session: AsyncSession,
    audit: AuditLog,
    book: RuleBook[Any],
    principal: Principal,
    body: ProjectIn,
    today: date,
) -> Project:
    principal.ensure_covers(body.division_code)
    plan = await plans.get(session, principal, body.plan_id)
    if not body.division_code.startswith(plan.division_code[:6]):
        raise ValidationFailed(
            [FieldError(pointer="#/division_code", code="NOT_IN_PLAN", detail="项目不属于该计划的购买主体")]
        )
    on = body.declared_on or today
    if on > today:
        raise ValidationFailed(
            [FieldError(pointer="#/declared_on", code="IN_FUTURE", detail="申报日期不能晚于今天")]
        )
    if on.year != plan.year:
        raise PlanYearMismatch(on=on.isoformat(), year=plan.year)
    # The rules in force on the declaration date decide (dated negative list and catalogue).
    catalogue.ensure_lawful(book.at(body.division_code, on), body.purchase_form, body.items)
    await ensure_budget(session, plan, body.funding_source, body.budget)
    p = Project(
        plan_id=plan.id,
        division_code=body.division_code,
        title=body.title,
        purchase_form=body.purchase_form,
        items=body.items,
        quantity=body.quantity,
        budget=body.budget,
        funding_source=body.funding_source,
        declared_on=on,
        status=MACHINE.initial,
        created_by=principal.sub,
    )
    session.add(p)
    await session.flush()
    await audit.record(
        session,
        POLICY,
        p,
        "project.declared",
        principal,
    )
    return p


async def load(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    return (await session.execute(select(Project).where(Project.id == project_id))).scalar_one_or_none()


async def get(session: AsyncSession, principal: Principal, project_id: uuid.UUID) -> Project:
    """The project if `principal` may read it (project/policy.py), else its refusal."""
    return POLICY.check(principal, await load(session, project_id))


async def locked(
    session: AsyncSession,
    project_id: uuid.UUID,
    needed: str | None = None,
    *,
    principal: Principal | None = None,
) -> Project:
    """The project row locked for the transaction (SELECT … FOR UPDATE), fresh from the database.

    404 if absent or, when `principal` is given, outside its jurisdiction; WrongStage unless its
    status is `needed` (when given)."""
    p = await repository.locked(session, project_id)
    if p is None or (principal is not None and not principal.covers(p.division_code)):
        raise ProjectNotFound()
    if needed is not None and p.status != needed:
        raise WrongStage(status=p.status, needed=needed)
    return p


# Who submitted, replaced or withdrew a sealed bid is itself sealed: the history (a read path, and a
# table a database reader sees) names this actor; the envelope keeps the real one, and the
# purchaser's copy of the opening record reads it out with the bid.
def _sealed_actor(principal: Principal) -> Actor:
    return Actor(sub="sealed-bidder", roles=",".join(sorted(principal.roles)), division=None)


def _receipt_data(b: Bid) -> dict[str, Any]:
    """A sealed bid in the history: that it was received, when, and its commitment."""
    return {"bid_id": b.id, "round": b.round, "submitted_at": b.submitted_at, "commitment": b.commitment}


def receipt(b: Bid) -> BidReceiptOut:
    return BidReceiptOut(
        id=b.id,
        project_id=b.project_id,
        round=b.round,
        sealed=b.sealed is not None,
        submitted_at=b.submitted_at,
        withdrawn_at=b.withdrawn_at,
        commitment=b.commitment,
    )


def bid_out(b: Bid) -> BidOut:
    """The purchaser's view: a sealed bid shows only that it was received and when."""
    return BidOut(
        id=b.id,
        project_id=b.project_id,
        round=b.round,
        sealed=b.sealed is not None,
        uscc=b.uscc,
        contractor_name=b.contractor_name,
        price=b.price,
        small_enterprise=b.small_enterprise,
        qualified=b.qualified,
        qualification_note=b.qualification_note,
        explanation=b.explanation,
        explanation_accepted=b.explanation_accepted,
        submitted_at=b.submitted_at,
        opened_at=b.opened_at,
    )


def _detail(b: Bid, content: dict[str, Any] | None = None) -> BidDetailOut:
    """One bid whole; `content`: a sealed bid's envelope, opened for its own bidder only."""
    out = bid_out(b).model_dump()
    if content is not None:
        out |= {
            "uscc": content["uscc"],
            "contractor_name": content["contractor_name"],
            "price": Decimal(content["price"]),
            "small_enterprise": content["small_enterprise"],
        }
    return BidDetailOut(
        **out,
        proposal=content["proposal"] if content is not None else b.proposal,
        commitment=b.commitment,
        withdrawn_at=b.withdrawn_at,
    )


def _seal(key: sealing.DataKey, b: Bid, c: Any, body: BidIn, principal: Principal) -> None:
    """Put the offer in `b`'s envelope, with a fresh salt and its commitment."""
    price = str(round_fen(body.price))
    salt = sealing.new_salt()
    b.sealed = key.seal(
        b.id,
        {
            "contractor_id": str(c.id),
            "uscc": c.uscc,
            "contractor_name": c.name,
            "price": price,
            "small_enterprise": c.small_enterprise,
            "proposal": body.proposal,
            "submitted_by": principal.sub,
            "salt": salt,
        },
    )
    b.commitment = sealing.commitment(
        salt, b.id, b.round, c.uscc, price, sealing.proposal_digest(body.proposal)
    )


async def submit_bid(
    session: AsyncSession,
    audit: AuditLog,
    keyring: sealing.Keyring,
    principal: Principal,
    project_id: uuid.UUID,
    body: BidIn,
    today: date,
) -> Bid:
    """A contractor submits its own bid while the project is announced (nationwide debarment
    applies). The bid is sealed until the opening: see project/sealing.py."""
    if principal.org != body.uscc.upper() and not principal.has(Role.ADMIN):
        raise RoleForbidden()
    p = await locked(session, project_id, "announced")
    c = await contractors.get_by_uscc(session, body.uscc)
    await ensure_not_debarred(session, c.uscc, today)
    gaps = contractors.capacity_gaps(c)
    if gaps:
        raise contractors.ContractorNotEligible(
            why="申报能力不足：" + "、".join(gaps),
            why_en="missing " + ", ".join(gaps),
            rule=contractors.ELIGIBILITY_RULE,
        )
    key = await repository.ensure_data_key(session, keyring, p.id)
    if await repository.live_bid_of(session, p.id, p.round, key, c.uscc) is not None:
        raise DuplicateBid()
    b = Bid(
        id=uuid.uuid4(),
        project_id=p.id,
        round=p.round,
        bidder_tag=key.bidder_tag(c.uscc),
        submitted_at=clock.now(),
    )
    _seal(key, b, c, body, principal)
    session.add(b)
    await session.flush()
    await audit.record(
        session, POLICY, p, "project.bid_submitted", _sealed_actor(principal), data=_receipt_data(b)
    )
    return b


async def _own_sealed(
    session: AsyncSession, keyring: sealing.Keyring, principal: Principal, p: Project, bid_id: uuid.UUID
) -> tuple[Bid, sealing.DataKey]:
    """The caller's own bid of the round, locked, with the project's key; 404 if it is not its own
    (the same answer as for a bid that does not exist)."""
    key = await repository.data_key(session, keyring, p.id)
    b = (
        await session.execute(
            select(Bid)
            .where(Bid.id == bid_id, Bid.project_id == p.id, Bid.round == p.round)
            .with_for_update()
        )
    ).scalar_one_or_none()
    org = principal.org or ""
    if b is None or key is None or not org or b.bidder_tag != key.bidder_tag(org):
        raise BidNotFound()
    if b.withdrawn_at is not None:
        raise BidWithdrawn()
    return b, key


async def replace_bid(
    session: AsyncSession,
    audit: AuditLog,
    keyring: sealing.Keyring,
    principal: Principal,
    project_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: BidIn,
    today: date,
) -> Bid:
    """The bidder replaces its sealed bid before the deadline (财政部令第87号 34): a new envelope,
    salt and commitment; the time of the last submission counts."""
    if (principal.org or "") != body.uscc.upper():
        raise RoleForbidden()
    p = await locked(session, project_id, "announced")
    b, key = await _own_sealed(session, keyring, principal, p, bid_id)
    c = await contractors.get_by_uscc(session, body.uscc)
    await ensure_not_debarred(session, c.uscc, today)
    _seal(key, b, c, body, principal)
    b.submitted_at = clock.now()
    await session.flush()
    await audit.record(
        session, POLICY, p, "project.bid_replaced", _sealed_actor(principal), data=_receipt_data(b)
    )
    return b


async def withdraw_bid(
    session: AsyncSession,
    audit: AuditLog,
    keyring: sealing.Keyring,
    principal: Principal,
    project_id: uuid.UUID,
    bid_id: uuid.UUID,
) -> Bid:
    """The bidder withdraws its bid before the deadline (财政部令第87号 34): it will not be opened,
    and the bidder may submit a new one."""
    p = await locked(session, project_id, "announced")
    b, _ = await _own_sealed(session, keyring, principal, p, bid_id)
    b.withdrawn_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        POLICY,
        p,
        "project.bid_withdrawn",
        _sealed_actor(principal),
        data={"bid_id": b.id, "round": b.round, "withdrawn_at": b.withdrawn_at},
    )
    return b


async def bids(session: AsyncSession, p: Project) -> list[Bid]:
    """This round's live bids (withdrawn ones are not), sealed or opened."""
    return list(
        (
            await session.execute(
                select(Bid)
                .where(Bid.project_id == p.id, Bid.round == p.round, Bid.withdrawn_at.is_(None))
                .order_by(Bid.submitted_at, Bid.id)
            )
        ).scalars()
    )


async def _visible_project(session: AsyncSession, principal: Principal, project_id: uuid.UUID) -> Project:
    """The project for a bid read: the purchaser's side in its jurisdiction, or a contractor
    anywhere (bidders come from anywhere, 政府采购法 22); anyone else is refused by role."""
    if principal.has(*BIDDERS) and not principal.has(Role.ADMIN, *READERS):
        p = await load(session, project_id)
        if p is None or p.announced_on is None:
            raise ProjectNotFound()
        return p
    return await get(session, principal, project_id)


async def own_bid(
    session: AsyncSession, keyring: sealing.Keyring, principal: Principal, project_id: uuid.UUID
) -> BidDetailOut:
    """The caller's own live bid of the current round (its token's `org`), sealed or not."""
    p = await _visible_project(session, principal, project_id)
    org = principal.org or ""
    key = await repository.data_key(session, keyring, p.id)
    b = await repository.live_bid_of(session, p.id, p.round, key, org) if org else None
    if b is None:
        raise BidNotFound()
    return _detail(b, key.unseal(b.id, b.sealed) if b.sealed is not None and key is not None else None)


async def bid_detail(
    session: AsyncSession,
    keyring: sealing.Keyring,
    principal: Principal,
    project_id: uuid.UUID,
    bid_id: uuid.UUID,
) -> BidDetailOut:
    """One bid: its own bidder sees it whole (sealed or not, withdrawn too); the purchaser's side
    sees it once opened (before: 409 BID_SEALED); anyone else finds nothing."""
    p = await _visible_project(session, principal, project_id)
    b = (
        await session.execute(select(Bid).where(Bid.id == bid_id, Bid.project_id == p.id))
    ).scalar_one_or_none()
    if b is None:
        raise BidNotFound()
    org = (principal.org or "").upper()
    # The key only to tell a bidder its own sealed bid (the purchaser's side has no `org`).
    key = await repository.data_key(session, keyring, p.id) if org and b.sealed is not None else None
    own = bool(org) and (
        b.uscc == org
        or (key is not None and b.bidder_tag is not None and b.bidder_tag == key.bidder_tag(org))
    )
    if sees_bid(principal, p, own=own, sealed=b.sealed is not None):
        return _detail(b, key.unseal(b.id, b.sealed) if b.sealed is not None and key is not None else None)
    if is_purchaser_side(principal, p):
        raise BidSealed()
    raise BidNotFound()


async def opening(session: AsyncSession, principal: Principal, project_id: uuid.UUID) -> dict[str, Any]:
    """The current round's opening record, for the purchaser's side and the round's bidders."""
    p = await _visible_project(session, principal, project_id)
    if p.opening is None:
        if is_purchaser_side(principal, p):
            raise BidSealed()
        raise ProjectNotFound()  # a contractor learns nothing before the opening
    if not sees_opening(principal, p, p.opening):
        raise ProjectNotFound()
    if is_purchaser_side(principal, p):
        return p.opening
    # A bidder reads the record as read out, without the other bidders' user accounts.
    return {
        **p.opening,
        "bids": [{k: v for k, v in b.items() if k != "submitted_by"} for b in p.opening["bids"]],
    }


async def _bid(session: AsyncSession, p: Project, bid_id: uuid.UUID) -> Bid:
    b = (
        await session.execute(
            select(Bid)
            .where(Bid.id == bid_id, Bid.project_id == p.id, Bid.round == p.round, Bid.withdrawn_at.is_(None))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if b is None:
        raise BidNotFound()
    return b


async def qualify(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    project_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: QualificationIn,
) -> Bid:
    p = await locked(session, project_id, "qualification_review", principal=principal)
    b = await _bid(session, p, bid_id)
    b.qualified, b.qualification_note = body.qualified, body.note
    await session.flush()
    await audit.record(
        session,
        POLICY,
        p,
        "project.bid_qualified",
        principal,
        data={"bid_id": b.id, "qualified": b.qualified, "note": b.qualification_note},
    )
    return b


def _check_panel(
    at: RulesAt,
    p: Project,
    body: ScoringIn,
    valid_ids: set[str],
    panel_max: Decimal,
    draw: ExpertDraw | None = None,
) -> dict[str, dict[str, Decimal]]:
    rule = methods.panel_rule(at, p.method or "", p.budget)
    n = len(body.members)
    ids = [m.id for m in body.members]
    experts = sum(1 for m in body.members if m.expert)
    if len(set(ids)) != n:
        raise PanelInvalid(why="成员重复", why_en="duplicate members", citation=rule.citation)
    if draw is not None:  # committed for the round: its drawn experts and representatives
        bad = expert_draw.panel_refusal(
            draw.panel, draw.representatives, [(m.id, m.expert) for m in body.members]
        )
        if bad is not None:
            raise PanelInvalid(why=bad.zh, why_en=bad.en, citation=expert_draw.BASIS)
    if n < rule.minimum or (rule.odd and n % 2 == 0):
        raise PanelInvalid(
            why=f"{n} 人，应为 {rule.minimum} 人以上{'单数' if rule.odd else ''}",
            why_en=f"{n} members; needs {rule.minimum}+{' and odd' if rule.odd else ''}",
            citation=rule.citation,
        )
    num, den = rule.expert_share.numerator, rule.expert_share.denominator
    if experts * den < num * n:
        raise PanelInvalid(
            why=f"专家 {experts}/{n}，不得少于 {num}/{den}",
            why_en=f"experts {experts}/{n}, below {num}/{den}",
            citation=rule.citation,
        )
    table: dict[str, dict[str, Decimal]] = {}
    for s in body.scores:
        if str(s.bid_id) not in valid_ids or s.member_id not in ids:
            raise PanelInvalid(
                why="评分对象或评委不在名单中", why_en="unknown bid or member", citation=rule.citation
            )
        if s.score > panel_max:
            raise PanelInvalid(
                why=f"评分 {s.score} 超过满分 {panel_max}",
                why_en=f"score above {panel_max}",
                citation="财政部令第87号 55",
            )
        table.setdefault(str(s.bid_id), {})[s.member_id] = s.score
    for bid_id in valid_ids:
        if set(table.get(bid_id, {})) != set(ids):
            raise PanelInvalid(
                why="每位评委须对每份合格响应文件评分",
                why_en="every member must score every valid bid",
                citation=rule.citation,
            )
    return table


def _params(p: Project) -> scoring.Params:
    sp = p.scoring_params or {}
    return scoring.Params(
        price_weight=Decimal(str(sp.get("price_weight", "30"))),
        history_weight=Decimal(str(sp.get("history_weight", "0"))),
        sme_deduction_percent=Decimal(str(sp.get("sme_deduction_percent", "10"))),
        abnormal_low_ratio=Decimal(str(sp.get("abnormal_low_ratio", "0.80"))),
    )


def _inputs(rows: list[Bid]) -> list[scoring.BidIn]:
    out = []
    for b in rows:  # scoring comes after the opening: every bid is opened
        assert b.uscc is not None and b.contractor_name is not None and b.price is not None, "a sealed bid"
        out.append(
            scoring.BidIn(
                str(b.id),
                b.uscc,
                b.contractor_name,
                b.price,
                bool(b.small_enterprise),
                bool(b.qualified),
                b.explanation_accepted,
            )
        )
    return out


async def score(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    project_id: uuid.UUID,
    body: ScoringIn,
    book: RuleBook[Any],
    settings: Any,
    authorization: str | None,
) -> dict[str, Any]:
    p = await locked(session, project_id, "scoring", principal=principal)
    rows = await bids(session, p)
    params = _params(p)
    # The panel rules in force when the project was announced.
    at = book.at(p.division_code, p.announced_on or p.declared_on)
    draw = await expert_draws.draw_for(session, p.id, p.round)
    table = _check_panel(at, p, body, {str(b.id) for b in rows if b.qualified}, params.panel_max, draw)
    history: dict[str, Decimal | None] = {}
    if params.history_weight > 0:
        for b in rows:
            if b.qualified and b.uscc is not None:
                history[b.uscc] = await evaluation.contractor_average(settings, b.uscc, authorization)
    result = scoring.rank(_inputs(rows), params, table, history)
    p.scoring = {
        "members": [m.model_dump() for m in body.members],
        "panel_scores": {k: {m: str(v) for m, v in d.items()} for k, d in table.items()},
        "history": {k: (str(v) if v is not None else None) for k, v in history.items()},
        **result,
    }
    p.version += 1
    await session.flush()
    await audit.record(
        session,
        POLICY,
        p,
        "project.scored",
        principal,
        data=p.scoring,
    )
    return p.scoring


async def explain(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    project_id: uuid.UUID,
    bid_id: uuid.UUID,
    body: ExplanationIn,
) -> dict[str, Any]:
    """Record the bidder's explanation of an abnormally low price and whether the panel accepts it
    (财政部令第87号 60); the ranking is recomputed from the recorded scores."""
    p = await locked(session, project_id, "scoring", principal=principal)
    b = await _bid(session, p, bid_id)
    b.explanation, b.explanation_accepted = body.explanation, body.accepted
    await session.flush()
    rows = await bids(session, p)
    if p.scoring:
        table = {k: {m: Decimal(v) for m, v in d.items()} for k, d in p.scoring["panel_scores"].items()}
        history = {k: (Decimal(v) if v is not None else None) for k, v in p.scoring["history"].items()}
        p.scoring = {**p.scoring, **scoring.rank(_inputs(rows), _params(p), table, history)}
        p.version += 1
        await session.flush()
    await audit.record(
        session,
        POLICY,
        p,
        "project.low_price_explained",
        principal,
        data={"bid_id": b.id, "accepted": body.accepted, "explanation": body.explanation},
    )
    return p.scoring or {}


async def extend_deadline(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    project_id: uuid.UUID,
    body: DeadlineExtensionIn,
) -> Project:
    """An audited amendment of the announcement: the response deadline moves later, never earlier
    (an earlier one could fall below the method's minimum period, and bidders relied on it)."""
    p = await locked(session, project_id, "announced", principal=principal)
    if body.response_deadline > clock.today() + HORIZON:
        raise ValidationFailed(
            [FieldError(pointer="#/response_deadline", code="TOO_FAR", detail="响应文件截止之日过远")]
        )
    if p.response_deadline is not None and body.response_deadline <= p.response_deadline:
        raise DeadlineNotLater(
            current=p.response_deadline.isoformat(), asked=body.response_deadline.isoformat()
        )
    before = snapshot(p)
    details = dict(p.method_details or {})
    period = dict(details.get("period") or {})
    period["extensions"] = [
        *period.get("extensions", []),
        {
            "from": p.response_deadline.isoformat() if p.response_deadline else None,
            "to": body.response_deadline.isoformat(),
            "on": clock.today().isoformat(),
            "by": principal.sub,
            "reason": body.reason,
        },
    ]
    period["response_deadline"] = body.response_deadline.isoformat()
    details["period"] = period
    p.method_details = details
    p.response_deadline = body.response_deadline
    p.version += 1
    touch(p)
    await session.flush()
    await audit.record(
        session, POLICY, p, "project.response_deadline_extended", principal, before=before, reason=body.reason
    )
    return p


async def deadline_met(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    project_id: uuid.UUID,
    key: str,
    on: date,
    today: date,
    calendar_store: Any,
) -> Project:
    """Record once that a post-award deadline was met (the result announced, the contract
    published), on a day between its start and today; audited."""
    p = await locked(session, project_id, principal=principal)
    d = next((x for x in (p.deadlines or []) if x["key"] == key), None)
    if d is None:
        raise ProjectDeadlineNotFound()
    if not d.get("manual"):
        raise DeadlineNotManual()
    if d.get("fulfilled_on"):
        raise DeadlineAlreadyMet(on=d["fulfilled_on"])
    start = date.fromisoformat(d["from"])
    if on < start or on > today:
        raise DeadlineDateInvalid(start=start.isoformat(), today=today.isoformat())
    before = snapshot(p)
    cal = await calendar_store.load(session, on, on + periods.CALENDAR_SPAN)
    p.deadlines = periods.fulfil(cal, list(p.deadlines), key, on)
    p.version += 1
    touch(p)
    await session.flush()
    await audit.record(session, POLICY, p, "project.deadline_met", principal, before=before)
    return p


async def overdue(
    session: AsyncSession, principal: Principal, as_of: date, division: str | None, page: CursorParams
) -> CursorPage[OverdueProjectDeadlineOut]:
    """Post-award deadlines past due and not met, for every project in the caller's jurisdiction
    (whatever its status now: a deadline missed stays listed until it is recorded as met), soonest
    due first: one row per deadline (`periods.status` overdue), paged by keyset in SQL."""
    scope = division or principal.division
    principal.ensure_covers(scope)
    d = Overdue(Project.deadlines)
    query = POLICY.narrow(principal, d.select(Project)).where(
        Project.division_code.startswith(divisions.prefix(scope))
    )
    query = keyset(d.past_due(query, as_of), page, d.due_on, Project.id, d.key, descending=False)
    rows = (await session.execute(query)).all()

    def out(row: Any) -> OverdueProjectDeadlineOut:
        p, v = row
        due = date.fromisoformat(v["due_on"])
        return OverdueProjectDeadlineOut(
            project_id=p.id,
            division_code=p.division_code,
            title=p.title,
            project_status=p.status,
            key=v["key"],
            name=v["name"],
            due_on=due,
            days_overdue=(as_of - due).days,
            citation=v["citation"],
        )

    return cursor_page(rows, page, lambda r: (r[1]["due_on"], r[0].id, r[1]["key"]), out)
