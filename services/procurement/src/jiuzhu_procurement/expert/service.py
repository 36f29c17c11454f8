"""Expert pools and the verifiable draw of a project's panel (政府采购法实施条例 39; 财政部令第87号 47–48).

The pool: experts registered by the bureau or finance bureau of a jurisdiction, with their fields,
organisation (credit code where it has one) and declared conflicts; audited on their own chain.

The draw of one project round, on the project's chain (expert/draw.py has the algorithm):
- commit (purchaser, while the project is announced, i.e. before bids close): the hash of its seed,
  the panel's composition judged by the panel rule in force on the announcement date, the fields
  needed; the service adds its own seed (`secrets`) and freezes the pool;
- reveal (purchaser, after bids close and before any score is recorded): the seed must match its hash
  (DRAW_SEED_MISMATCH); the experts tied to a bidder or the purchaser are excluded with their
  reasons; too few left is EXPERT_POOL_TOO_SMALL with the rule's clause.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog, snapshot
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.clock import now
from jiuzhu_kit.errors import Conflict, FieldError, ValidationFailed
from jiuzhu_kit.pagination import CursorPage, CursorParams, cursor_page, keyset
from jiuzhu_kit.rules.book import RuleBook
from jiuzhu_procurement.contractor import uscc as uscc_rules
from jiuzhu_procurement.disclosure.ocds import AFTER_TENDER
from jiuzhu_procurement.expert import draw as rules
from jiuzhu_procurement.expert import publish as rules_data
from jiuzhu_procurement.expert import repository
from jiuzhu_procurement.expert.models import Expert, ExpertDraw
from jiuzhu_procurement.expert.policy import POLICY, ExpertDrawNotFound, ExpertNotFound, manages
from jiuzhu_procurement.expert.publish import public_out
from jiuzhu_procurement.expert.schemas import (
    CommitmentIn,
    ConflictIn,
    ExpertIn,
    ExpertOut,
    RevealIn,
    StatusIn,
)
from jiuzhu_procurement.project import methods
from jiuzhu_procurement.project import policy as projects
from jiuzhu_procurement.project.models import Project

COMMIT_STATES = ("announced",)  # before bids close
BEFORE_CLOSE = ("declared", "approved", "announced")
# After bids close, until the first scores are recorded.
DRAW_STATES = ("bidding_closed", "qualification_review", "scoring")


class ExpertPanelInvalid(Conflict):
    code = "PANEL_INVALID"
    zh = "评审小组不符合规定：{why}（{citation}）"
    en = "The evaluation panel does not comply: {why_en} ({citation})"


class ExpertPoolTooSmall(Conflict):
    code = "EXPERT_POOL_TOO_SMALL"
    zh = "专家库中可抽取的专家 {eligible} 人，少于本项目须抽取的 {needed} 人（{citation}）"
    en = (
        "{eligible} experts of the pool may be drawn, fewer than the {needed} this project needs ({citation})"
    )

    def extra(self) -> dict[str, object]:
        return {k: self.params[k] for k in ("eligible", "needed", "citation")}


class DrawCommitmentClosed(Conflict):
    code = "EXPERT_DRAW_COMMITMENT_CLOSED"
    zh = "随机种子的承诺须在投标截止前（项目公告期间）提交；项目当前为 {status}"
    en = "The seed must be committed before bids close (while the project is announced); it is {status}"


class DrawAlreadyCommitted(Conflict):
    code = "EXPERT_DRAW_COMMITTED"
    zh = "本轮已承诺随机种子，不能更改"
    en = "A seed is already committed for this round; it cannot change"


class DrawBeforeBidsClose(Conflict):
    code = "EXPERT_DRAW_BEFORE_BIDS_CLOSE"
    zh = "投标截止前不能抽取评审专家（项目当前为 {status}）"
    en = "Experts are drawn after bids close (the project is {status})"


class DrawTooLate(Conflict):
    code = "EXPERT_DRAW_TOO_LATE"
    zh = "评审已开始或项目已结束（{status}），不能再抽取评审专家"
    en = "The evaluation has started or the project has ended ({status}); no draw now"


class DrawDone(Conflict):
    code = "EXPERT_DRAW_DONE"
    zh = "本轮评审专家已抽取，结果不能更改"
    en = "The experts of this round are drawn; the draw cannot be repeated"


class DrawSeedMismatch(Conflict):
    code = "DRAW_SEED_MISMATCH"
    zh = "公布的种子与投标截止前承诺的哈希值不符"
    en = "The seed does not match the hash committed before bids closed"


# ---- the pool -------------------------------------------------------------------------------


def _check_uscc(code: str | None, pointer: str) -> str | None:
    if code is None:
        return None
    try:
        return uscc_rules.parse(code).code
    except uscc_rules.InvalidUscc as exc:
        raise ValidationFailed([FieldError(pointer=pointer, code="USCC_INVALID", detail=str(exc))]) from exc


def _conflict(c: ConflictIn, pointer: str) -> dict[str, Any]:
    return {
        "uscc": _check_uscc(c.uscc, f"{pointer}/uscc"),
        "division_code": c.division_code,
        "note": c.note,
    }


async def register(session: AsyncSession, audit: AuditLog, principal: Principal, body: ExpertIn) -> Expert:
    principal.ensure_covers(body.pool_division)
    e = Expert(
        pool_division=body.pool_division,
        name=body.name,
        fields=list(dict.fromkeys(body.fields)),
        organisation=body.organisation,
        organisation_uscc=_check_uscc(body.organisation_uscc, "#/organisation_uscc"),
        conflicts=[_conflict(c, f"#/conflicts/{i}") for i, c in enumerate(body.conflicts)],
        active=True,
        registered_by=principal.sub,
    )
    session.add(e)
    await session.flush()
    await audit.record(session, POLICY, e, "expert.registered", principal)
    return e


async def _managed(session: AsyncSession, principal: Principal, expert_id: uuid.UUID) -> Expert:
    e = await repository.load(session, expert_id, lock=True)
    if e is None or not manages(principal, e.pool_division):
        raise ExpertNotFound()
    return e


async def declare_conflict(
    session: AsyncSession, audit: AuditLog, principal: Principal, expert_id: uuid.UUID, body: ConflictIn
) -> Expert:
    e = await _managed(session, principal, expert_id)
    before = snapshot(e)
    e.conflicts = [*e.conflicts, _conflict(body, "#")]
    e.version += 1
    await session.flush()
    await audit.record(
        session, POLICY, e, "expert.conflict_declared", principal, before=before, row_locked=True
    )
    return e


async def set_status(
    session: AsyncSession, audit: AuditLog, principal: Principal, expert_id: uuid.UUID, body: StatusIn
) -> Expert:
    e = await _managed(session, principal, expert_id)
    before = snapshot(e)
    e.active = body.active
    e.version += 1
    await session.flush()
    action = "expert.reactivated" if body.active else "expert.deactivated"
    await audit.record(
        session, POLICY, e, action, principal, before=before, reason=body.reason, row_locked=True
    )
    return e


async def get(session: AsyncSession, principal: Principal, expert_id: uuid.UUID) -> Expert:
    return POLICY.check(principal, await repository.load(session, expert_id))


def out(e: Expert, principal: Principal | None) -> ExpertOut:
    o = ExpertOut.model_validate(e)
    view = POLICY.view(principal, e)
    return o if view.full else ExpertOut.model_validate(view.apply(o.model_dump()))


async def search(
    session: AsyncSession,
    principal: Principal,
    page: CursorParams,
    division_code: str | None,
    field: str | None,
    active: bool | None,
) -> CursorPage[ExpertOut]:
    """The experts of the pools in the reader's jurisdiction (`division_code`: a subtree of it),
    by pool and registration."""
    q = POLICY.narrow(principal, repository.listing(division_code, field, active))
    cols = (Expert.pool_division, Expert.created_at, Expert.id)
    rows = (await session.execute(keyset(q, page, *cols, descending=False))).scalars().all()
    return cursor_page(
        rows, page, lambda e: (e.pool_division, e.created_at, e.id), lambda e: out(e, principal)
    )


# ---- the draw -------------------------------------------------------------------------------


def _candidate(e: Expert) -> rules.Candidate:
    return rules.Candidate(
        id=str(e.id),
        active=e.active,
        fields=frozenset(e.fields),
        organisation_uscc=e.organisation_uscc,
        conflict_usccs=frozenset(c["uscc"] for c in e.conflicts if c.get("uscc")),
        conflict_divisions=frozenset(c["division_code"] for c in e.conflicts if c.get("division_code")),
    )


async def _purchasers_project(session: AsyncSession, principal: Principal, project_id: uuid.UUID) -> Project:
    p = await repository.lock_project(session, project_id)
    if p is None or not principal.covers(p.division_code):
        raise projects.ProjectNotFound()
    return p


async def commit(
    session: AsyncSession,
    audit: AuditLog,
    book: RuleBook[Any],
    principal: Principal,
    project_id: uuid.UUID,
    body: CommitmentIn,
) -> ExpertDraw:
    p = await _purchasers_project(session, principal, project_id)
    if p.status not in COMMIT_STATES:
        raise DrawCommitmentClosed(status=p.status)
    if await repository.draw_for(session, p.id, p.round) is not None:
        raise DrawAlreadyCommitted()
    # The panel rule and the exclusion reasons in force on the announcement date (the rules the
    # bidders relied on); the reasons are frozen on the draw and published with each exclusion.
    at = book.at(p.division_code, p.announced_on or p.declared_on)
    rule = methods.panel_rule(at, p.method or "", p.budget)
    reasons = rules_data.frozen_reasons(at.rule("expert_exclusion_reasons"))
    size_rule = rules.SizeRule(rule.minimum, rule.odd, rule.expert_share)
    comp = rules.compose(size_rule, body.panel_size, body.representatives)
    if isinstance(comp, rules.CompositionRefusal):
        raise ExpertPanelInvalid(why=comp.zh, why_en=comp.en, citation=rule.citation)
    fields = list(dict.fromkeys(body.fields))
    pool = sorted(await repository.active_pool(session, p.division_code), key=lambda e: str(e.id))
    # Who could be drawn if no bidder were tied to anyone: fewer than needed cannot improve.
    _, could = rules.eligible(
        [_candidate(e) for e in pool], rules.Ties(frozenset(), p.division_code, frozenset(fields))
    )
    if len(could) < comp.experts:
        raise ExpertPoolTooSmall(eligible=len(could), needed=comp.experts, citation=rule.citation)
    ids = [str(e.id) for e in pool]
    service_seed = secrets.token_hex(32)
    d = ExpertDraw(
        project_id=p.id,
        round=p.round,
        division_code=p.division_code,
        status="committed",
        algorithm=rules.ALGORITHM,
        purchaser_commitment=body.purchaser_commitment,
        service_seed=service_seed,
        service_commitment=rules.commitment(service_seed),
        panel_size=comp.size,
        representatives=comp.representatives,
        experts=comp.experts,
        fields=fields,
        rule={
            "minimum": rule.minimum,
            "odd": rule.odd,
            "expert_share": f"{rule.expert_share.numerator}/{rule.expert_share.denominator}",
            "citation": rule.citation,
            "reasons": reasons,
        },
        pool=ids,
        pool_hash=rules.pool_hash(ids),
        committed_by=principal.sub,
        committed_at=now(),
    )
    session.add(d)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent commitment for the same round (the row lock orders them)
        raise DrawAlreadyCommitted() from exc
    await audit.record(
        session,
        projects.POLICY,
        p,
        "project.expert_draw_committed",
        principal,
        data=public_out(d).model_dump(mode="json"),  # never the service's seed before the draw
        row_locked=True,
    )
    return d


async def reveal(
    session: AsyncSession, audit: AuditLog, principal: Principal, project_id: uuid.UUID, body: RevealIn
) -> ExpertDraw:
    p = await _purchasers_project(session, principal, project_id)
    d = await repository.draw_for(session, p.id, p.round, lock=True)
    if d is None:
        raise ExpertDrawNotFound()
    if d.status == "drawn":
        raise DrawDone()
    if p.status in BEFORE_CLOSE:
        raise DrawBeforeBidsClose(status=p.status)
    if p.status not in DRAW_STATES or p.scoring is not None:
        raise DrawTooLate(status=p.status)
    if rules.commitment(body.seed) != d.purchaser_commitment:
        raise DrawSeedMismatch()
    experts = {str(e.id): e for e in await repository.by_ids(session, d.pool)}
    pool = [_candidate(experts[i]) for i in d.pool]
    ties = rules.Ties(await repository.bidders(session, p.id, p.round), p.division_code, frozenset(d.fields))
    result = rules.draw(rules.draw_key(body.seed, d.service_seed), pool, ties, d.experts)
    if len(result.eligible) < d.experts:
        raise ExpertPoolTooSmall(eligible=len(result.eligible), needed=d.experts, citation=d.rule["citation"])
    d.purchaser_seed = body.seed
    d.exclusions = [{"expert_id": i, "reason": why} for i, why in result.exclusions]
    d.eligible, d.ranking, d.panel = result.eligible, result.ranking, result.panel
    d.status, d.drawn_by, d.drawn_at = "drawn", principal.sub, now()
    d.version += 1
    await session.flush()
    await audit.record(
        session,
        projects.POLICY,
        p,
        "project.experts_drawn",
        principal,
        data=public_out(d).model_dump(mode="json"),
        row_locked=True,
    )
    return d


async def of_project(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, round_: int | None
) -> ExpertDraw:
    """The draw of a project the principal may read (project/policy.py)."""
    p = projects.POLICY.check(principal, await repository.load_project(session, project_id))
    d = await repository.draw_for(session, p.id, round_ or p.round)
    if d is None:
        raise ExpertDrawNotFound()
    return d


async def published(session: AsyncSession, project_id: uuid.UUID, round_: int | None) -> ExpertDraw:
    """The draw of a project whose procurement is public (announced or later)."""
    p = await repository.load_project(session, project_id)
    d = None
    if p is not None and p.status in AFTER_TENDER:
        d = await repository.draw_for(session, p.id, round_ or p.round)
    if d is None:
        raise ExpertDrawNotFound()
    return d
