"""The roster: the contractor adds its workers (checked against the recruitment requirements in
force), moves them through their status (machine.py), the bureau approves them; dispatching the
contracted number meets the contract's dispatch deadline by itself (灵政办发〔2018〕201号 五(五));
an unqualified assessment (asked of the evaluation service) makes a replacement due (四(八)), and
the replacement is recorded both ways. Personal data is sealed on write and masked on every read."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import divisions
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal, Role, RoleForbidden
from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.masking import mask_phone
from jiuzhu_kit.rules.book import RuleBook
from jiuzhu_procurement.contract.models import Contract
from jiuzhu_procurement.contract.policy import POLICY as CONTRACT_POLICY
from jiuzhu_procurement.contract.policy import ContractNotFound
from jiuzhu_procurement.roster import rules
from jiuzhu_procurement.roster.crypto import PersonalDataKey
from jiuzhu_procurement.roster.machine import DISPATCHED, MACHINE
from jiuzhu_procurement.roster.models import Worker
from jiuzhu_procurement.roster.policy import POLICY
from jiuzhu_procurement.roster.schemas import PersonalDataOut, WorkerIn, WorkerOut
from jiuzhu_procurement.workflow.machine import ReasonRequired, snapshot

DISPATCH_KEY = "staff_dispatched"  # contract/rules.py RULE_DEADLINES


class RosterClosed(Conflict):
    code = "ROSTER_CONTRACT_NOT_SIGNED"
    zh = "合同状态为 {status}，只有已签订的合同可以维护花名册"
    en = "The contract is {status}; only a signed contract's roster can be maintained"


class WorkerExists(Conflict):
    code = "ROSTER_WORKER_EXISTS"
    zh = "该身份证号码的人员已在本合同花名册中（{worker_id}）"
    en = "A worker with this ID number is already on this contract's roster ({worker_id})"


class ServesOutside(Conflict):
    code = "ROSTER_DIVISION_OUTSIDE"
    zh = "服务地 {division} 不在合同购买主体 {purchaser} 的辖区内"
    en = "The division served, {division}, is outside the purchaser's {purchaser}"


class ReplacementOnly(Conflict):
    code = "ROSTER_REPLACEMENT_REQUIRED"
    zh = "“已被替换”只能通过记录接替人员（POST …/replacement）达到"
    en = "A worker becomes replaced only by recording the replacement (POST …/replacement)"


class ReplacementInvalid(Conflict):
    code = "ROSTER_REPLACEMENT_INVALID"
    zh = "接替人员应为同一合同花名册中已派遣或到岗、尚未接替他人的人员"
    en = "The replacement must be a dispatched or in-post worker of the same roster not replacing anyone yet"


class ReplacementNotRequired(Conflict):
    code = "ROSTER_REPLACEMENT_NOT_REQUIRED"
    zh = "{year} 年度考核{why}，无需重新选配"
    en = "The {year} assessment {why_en}: no replacement is due"


def mask_id_number(value: str) -> str:
    """640181199001011237 → 640181********1237: the region and the last four only."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def out(key: PersonalDataKey, w: Worker) -> WorkerOut:
    """A worker as every read path shows them: the ID number and phone masked."""
    row = str(w.id)
    phone = key.open(w.phone_sealed, row, "phone") if w.phone_sealed else None
    data = {
        c: getattr(w, c) for c in WorkerOut.model_fields if hasattr(w, c) and c not in ("id_number", "phone")
    }
    return WorkerOut(
        **data,
        id_number=mask_id_number(key.open(w.id_number_sealed, row, "id_number")),
        phone=mask_phone(phone),
        allowed_transitions=[s for s in MACHINE.allowed(w.status) if s != "replaced"],
    )


def audit_view(key: PersonalDataKey, w: Worker) -> dict[str, Any]:
    """What a worker's history keeps: the masked view, never a sealed or clear personal value."""
    return out(key, w).model_dump(mode="json", exclude={"allowed_transitions"})


async def _contract(session: AsyncSession, contract_id: uuid.UUID, *, lock: bool = False) -> Contract | None:
    q = select(Contract).where(Contract.id == contract_id)
    return (await session.execute(q.with_for_update() if lock else q)).scalar_one_or_none()


def may_read_roster(principal: Principal, c: Contract) -> bool:
    """The roster of a contract: its contractor, the purchaser's side covering it, a township under it."""
    if principal.has(Role.CONTRACTOR) and principal.org == c.contractor_uscc:
        return True
    if principal.has(Role.ADMIN, Role.BUREAU, Role.FINANCE, Role.AUDITOR) and principal.covers(
        c.division_code
    ):
        return True
    return principal.has(Role.TOWNSHIP) and divisions.covers(c.division_code, principal.division)


async def readable_contract(session: AsyncSession, principal: Principal, contract_id: uuid.UUID) -> Contract:
    POLICY.ensure_role(principal)
    c = await _contract(session, contract_id)
    if c is None or c.status in ("draft", "discarded") or not may_read_roster(principal, c):
        raise ContractNotFound()
    return c


async def _employer_contract(session: AsyncSession, principal: Principal, contract_id: uuid.UUID) -> Contract:
    """The contract whose roster the caller maintains: its own (contractor party), signed."""
    c = await _contract(session, contract_id)
    if c is None or c.status in ("draft", "discarded"):
        raise ContractNotFound()
    if not (principal.has(Role.CONTRACTOR) and principal.org == c.contractor_uscc):
        if may_read_roster(principal, c):
            raise RoleForbidden()
        raise ContractNotFound()
    if c.status != "signed":
        raise RosterClosed(status=c.status)
    return c


async def add(
    session: AsyncSession,
    audit: AuditLog,
    book: RuleBook[Any],
    key: PersonalDataKey,
    principal: Principal,
    contract_id: uuid.UUID,
    body: WorkerIn,
    today: date,
) -> Worker:
    c = await _employer_contract(session, principal, contract_id)
    if not divisions.covers(c.division_code, body.serves_division):
        raise ServesOutside(division=body.serves_division, purchaser=c.division_code)
    rules.check_requirements(
        book.at(c.division_code, today),
        rules.Candidate(body.id_number, body.education, body.household_division),
    )
    index = key.index(body.id_number)
    same = (
        await session.execute(
            select(Worker.id).where(Worker.contract_id == c.id, Worker.id_number_index == index)
        )
    ).scalar_one_or_none()
    if same is not None:
        raise WorkerExists(worker_id=str(same))
    wid = uuid.uuid4()
    w = Worker(
        id=wid,
        contract_id=c.id,
        division_code=c.division_code,
        contractor_uscc=c.contractor_uscc,
        name=body.name,
        id_number_sealed=key.seal(body.id_number, str(wid), "id_number"),
        id_number_index=index,
        phone_sealed=key.seal(body.phone, str(wid), "phone") if body.phone else None,
        education=body.education,
        household_division=body.household_division,
        social_work_qualification=body.social_work_qualification,
        veteran=body.veteran,
        returning_graduate=body.returning_graduate,
        unit_name=body.unit_name,
        serves_division=body.serves_division,
        start_on=body.start_on,
        end_on=body.end_on,
        status=MACHINE.initial,
        recruited_on=today,
        version=1,
    )
    session.add(w)
    await session.flush()
    await audit.record(session, POLICY, w, "roster_worker.recruited", principal, data=audit_view(key, w))
    return w


async def load(session: AsyncSession, worker_id: uuid.UUID, *, lock: bool = False) -> Worker | None:
    q = select(Worker).where(Worker.id == worker_id)
    return (await session.execute(q.with_for_update() if lock else q)).scalar_one_or_none()


async def get(session: AsyncSession, principal: Principal, worker_id: uuid.UUID) -> Worker:
    return POLICY.check(principal, await load(session, worker_id))


async def _locked(session: AsyncSession, principal: Principal, worker_id: uuid.UUID) -> Worker:
    return POLICY.check(principal, await load(session, worker_id, lock=True))


async def transition(
    session: AsyncSession,
    audit: AuditLog,
    key: PersonalDataKey,
    principal: Principal,
    worker_id: uuid.UUID,
    target: str,
    reason: str | None,
    today: date,
) -> Worker:
    """One move of the worker's table, the row locked; the employer moves its own workers only."""
    w = await _locked(session, principal, worker_id)
    tr = MACHINE.find(w.status, target)
    if target == "replaced":
        raise ReplacementOnly()
    party = principal.has(Role.CONTRACTOR) and principal.org == w.contractor_uscc
    allowed = principal.roles & (tr.roles | {Role.ADMIN})
    if not allowed or (allowed == {Role.CONTRACTOR} and not party):
        raise RoleForbidden()
    if tr.reason_required and not (reason and reason.strip()):
        raise ReasonRequired()
    before = audit_view(key, w)
    w.status = target
    if target == "dispatched":
        w.dispatched_on = today
    if target == "in_post" and w.start_on is None:
        w.start_on = today
    if target == "left":
        w.end_on = today
    w.version += 1
    await session.flush()
    await audit.record(
        session,
        POLICY,
        w,
        f"roster_worker.{tr.name}",
        principal,
        data=audit_view(key, w),
        before=before,
        reason=reason,
        row_locked=True,
    )
    if target == "dispatched":
        await _dispatch_progress(session, audit, principal, w.contract_id, today)
    return w


async def dispatched_count(session: AsyncSession, contract_id: uuid.UUID) -> int:
    q = select(func.count()).where(Worker.contract_id == contract_id, Worker.status.in_(DISPATCHED))
    return int((await session.execute(q)).scalar_one())


async def _dispatch_progress(
    session: AsyncSession, audit: AuditLog, principal: Principal, contract_id: uuid.UUID, today: date
) -> None:
    """五(五): the dispatch deadline is met on the day the roster reaches the contracted number of
    dispatched workers; nobody types it. Recorded once, on the contract, in its history."""
    c = await _contract(session, contract_id, lock=True)
    if c is None or c.headcount is None:
        return
    deadline = next((d for d in c.deadlines if d["key"] == DISPATCH_KEY), None)
    if deadline is None or deadline.get("fulfilled_on"):
        return
    count = await dispatched_count(session, c.id)
    if count < c.headcount:
        return
    before = snapshot(c)
    c.deadlines = [
        {**d, "fulfilled_on": today.isoformat(), "fulfilled_by": f"roster: {count}/{c.headcount}"}
        if d["key"] == DISPATCH_KEY
        else d
        for d in c.deadlines
    ]
    c.version += 1
    await session.flush()
    await audit.record(
        session,
        CONTRACT_POLICY,
        c,
        "contract.deadline_fulfilled",
        principal,
        before=before,
        reason=f"花名册已派遣 {count} 人，达到合同约定的 {c.headcount} 人",
        row_locked=True,
    )


async def approve(
    session: AsyncSession,
    audit: AuditLog,
    key: PersonalDataKey,
    principal: Principal,
    worker_id: uuid.UUID,
    today: date,
) -> Worker:
    """The bureau approves a worker on the roster (四(八): the bureau manages the work)."""
    w = await _locked(session, principal, worker_id)
    if not (principal.has(Role.BUREAU, Role.ADMIN) and principal.covers(w.division_code)):
        raise RoleForbidden()
    before = audit_view(key, w)
    w.approved = {"by": principal.sub, "on": today.isoformat()}
    w.version += 1
    await session.flush()
    await audit.record(
        session,
        POLICY,
        w,
        "roster_worker.approved",
        principal,
        data=audit_view(key, w),
        before=before,
        row_locked=True,
    )
    return w


async def personal_data(
    session: AsyncSession,
    audit: AuditLog,
    key: PersonalDataKey,
    principal: Principal,
    worker_id: uuid.UUID,
    purpose: str,
) -> PersonalDataOut:
    """The full ID number and phone, to the employer and the bureau; each read is audited."""
    w = await get(session, principal, worker_id)
    if not POLICY.may_read_personal_data(principal, w):
        raise RoleForbidden()
    row = str(w.id)
    await audit.record(
        session,
        POLICY,
        w,
        "roster_worker.personal_data_read",
        principal,
        data={"fields": ["id_number", "phone"] if w.phone_sealed else ["id_number"]},
        reason=purpose,
    )
    return PersonalDataOut(
        worker_id=w.id,
        name=w.name,
        id_number=key.open(w.id_number_sealed, row, "id_number"),
        phone=key.open(w.phone_sealed, row, "phone") if w.phone_sealed else None,
    )


async def replacement_due(
    session: AsyncSession,
    audit: AuditLog,
    app_state: Any,
    book: RuleBook[Any],
    key: PersonalDataKey,
    principal: Principal,
    worker_id: uuid.UUID,
    year: int,
    assessment: dict[str, Any] | None,
    today: date,
) -> Worker:
    """The bureau records that the year's assessment (the evaluation service's answer) was 不合格:
    the replacement falls due `replacement_working_days` later (seed 002 四(八))."""
    w = await _locked(session, principal, worker_id)
    if not (principal.has(Role.BUREAU, Role.ADMIN) and principal.covers(w.division_code)):
        raise RoleForbidden()
    years = (assessment or {}).get("years_assessed") or []
    if assessment is None or year not in years or max(years) != year:
        raise ReplacementNotRequired(year=year, why="结果不存在", why_en="has no result")
    if assessment.get("continue_next_year") is not False:
        raise ReplacementNotRequired(year=year, why="合格", why_en="was qualified")
    rule = book.at(w.division_code, today).rule("replacement_working_days")
    cal = await app_state.calendar_store.load(session, today, today + timedelta(days=rule.value * 2 + 60))
    before = audit_view(key, w)
    w.replacement_due = {
        "assessment_year": str(year),
        "due_on": cal.add_working_days(today, rule.value).isoformat(),
        "citation": rule.cite,
        "basis": str(assessment.get("reason") or ""),
    }
    w.version += 1
    await session.flush()
    await audit.record(
        session,
        POLICY,
        w,
        "roster_worker.replacement_due",
        principal,
        data=audit_view(key, w),
        before=before,
        row_locked=True,
    )
    return w


async def replace(
    session: AsyncSession,
    audit: AuditLog,
    key: PersonalDataKey,
    principal: Principal,
    worker_id: uuid.UUID,
    replacement_id: uuid.UUID,
    reason: str,
    today: date,
) -> Worker:
    """The employer records who replaces whom, and when: the one way to `replaced`."""
    w = await _locked(session, principal, worker_id)
    if not (principal.has(Role.CONTRACTOR) and principal.org == w.contractor_uscc):
        raise RoleForbidden()
    tr = MACHINE.find(w.status, "replaced")
    new = await load(session, replacement_id, lock=True)
    if (
        new is None
        or new.id == w.id
        or new.contract_id != w.contract_id
        or new.status not in DISPATCHED
        or new.replaces_id is not None
    ):
        raise ReplacementInvalid()
    before, before_new = audit_view(key, w), audit_view(key, new)
    w.status = "replaced"
    w.replaced_by_id = new.id
    w.replaced_on = today
    w.end_on = w.end_on or today
    if w.replacement_due is not None:
        w.replacement_due = {**w.replacement_due, "met_on": today.isoformat()}
    new.replaces_id = w.id
    w.version += 1
    new.version += 1
    await session.flush()
    await audit.record(
        session,
        POLICY,
        w,
        f"roster_worker.{tr.name}",
        principal,
        data=audit_view(key, w),
        before=before,
        reason=reason,
        row_locked=True,
    )
    await audit.record(
        session,
        POLICY,
        new,
        "roster_worker.replacing",
        principal,
        data=audit_view(key, new),
        before=before_new,
        reason=reason,
        row_locked=True,
    )
    return w


async def who_serves(session: AsyncSession, division: str, on: date) -> list[tuple[Contract, list[Worker]]]:
    """The signed contracts with workers in post serving `division`: at it or under it, or at the
    township or village above it (a township's verifier serves its villages); a county-level worker
    is not listed for a village. Oldest contract first, workers in registration order."""
    ancestors = [division[:9]] if len(division) == 12 else []
    rows = (
        await session.execute(
            select(Worker, Contract)
            .join(Contract, Contract.id == Worker.contract_id)
            .where(
                Worker.status == "in_post",
                Contract.status == "signed",
                (Worker.serves_division.startswith(division, autoescape=True))
                | Worker.serves_division.in_(ancestors),
            )
            .order_by(Contract.signed_on, Contract.id, Worker.created_at, Worker.id)
        )
    ).all()
    out: dict[uuid.UUID, tuple[Contract, list[Worker]]] = {}
    for w, c in rows:
        if on <= c.term_end:
            out.setdefault(c.id, (c, []))[1].append(w)
    return list(out.values())
