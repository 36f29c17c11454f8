from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy import select

from jiuzhu_kit import httpcache
from jiuzhu_kit.auth import Principal, PrincipalDep, Role, RoleForbidden, require_roles
from jiuzhu_kit.clock import today
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode
from jiuzhu_kit.listing import DivisionFilter
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_kit.peers import wired_transport
from jiuzhu_procurement.common import evaluation
from jiuzhu_procurement.contract.models import Contract
from jiuzhu_procurement.contract.policy import ContractNotFound
from jiuzhu_procurement.roster import oversight, rules, service, training
from jiuzhu_procurement.roster.crypto import PersonalDataKey
from jiuzhu_procurement.roster.models import Training, Worker
from jiuzhu_procurement.roster.policy import POLICY, TRAINING_POLICY, WorkerNotFound
from jiuzhu_procurement.roster.schemas import (
    AssessmentCheckIn,
    InPostOut,
    LatestGradeOut,
    MissingTrainingOut,
    PersonalDataIn,
    PersonalDataOut,
    ReplacementIn,
    ServingContractOut,
    ServingWorkerOut,
    TrainingIn,
    TrainingOut,
    TrainingStatusOut,
    WhoServesOut,
    WorkerIn,
    WorkerOut,
)
from jiuzhu_procurement.workflow.http import add_event_routes, by_uuid
from jiuzhu_procurement.workflow.machine import ReasonRequired, TransitionNotAllowed
from jiuzhu_procurement.workflow.schemas import TransitionIn

router = APIRouter(tags=["roster"])

Employer = Annotated[Principal, Depends(require_roles(Role.CONTRACTOR))]
Bureau = Annotated[Principal, Depends(require_roles(Role.BUREAU))]
# Who may ask at all; the service decides the rest (the party, the jurisdiction, the machine's roles).
Keeper = Annotated[Principal, Depends(require_roles(Role.CONTRACTOR, Role.BUREAU))]
Mover = Annotated[Principal, Depends(require_roles(Role.CONTRACTOR, Role.BUREAU, Role.TOWNSHIP))]
WorkerStatus = Annotated[
    str | None, Query(alias="status", pattern=r"^(recruited|trained|dispatched|in_post|left|replaced)$")
]


def _key(request: Request) -> PersonalDataKey:
    key: PersonalDataKey = request.app.state.personal_data_key
    return key


@router.post(
    "/contracts/{contract_id}/workers",
    response_model=WorkerOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        ContractNotFound,
        RoleForbidden,
        service.RosterClosed,
        service.ServesOutside,
        service.WorkerExists,
        rules.RequirementNotMet,
    ),
)
async def add_worker(
    request: Request, session: SessionDep, principal: Employer, contract_id: uuid.UUID, body: WorkerIn
) -> WorkerOut:
    """The contractor adds a recruited worker to its roster. Refused with the clause when the worker fails
    the recruitment requirements in force for the contract's division today (`recruitment_requirements`:
    age, education, household registration, 灵政办发〔2018〕201号 五(五)). ID number and phone are stored
    encrypted and come back masked."""
    key = _key(request)
    w = await service.add(
        session, request.app.state.audit, request.app.state.rules, key, principal, contract_id, body, today()
    )
    return service.out(key, w)


@router.get(
    "/contracts/{contract_id}/workers",
    response_model=CursorPage[WorkerOut],
    responses=responses(ContractNotFound, RoleForbidden, CursorInvalid),
)
async def list_workers(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    contract_id: uuid.UUID,
    page: Annotated[CursorParams, Depends(cursor_params)],
    status_: WorkerStatus = None,
    serves_division: DivisionCode | None = None,
) -> CursorPage[WorkerOut]:
    """A contract's roster as you may read it (a township: the workers serving in it), oldest first;
    personal data masked."""
    c = await service.readable_contract(session, principal, contract_id)
    q = POLICY.narrow(principal, select(Worker).where(Worker.contract_id == c.id))
    if status_:
        q = q.where(Worker.status == status_)
    if serves_division:
        q = q.where(Worker.serves_division.startswith(serves_division, autoescape=True))
    rows = (
        (await session.execute(keyset(q, page, Worker.created_at, Worker.id, descending=False)))
        .scalars()
        .all()
    )
    key = _key(request)
    return cursor_page(rows, page, lambda w: (w.created_at, w.id), lambda w: service.out(key, w))


@router.get("/workers/in-post", response_model=InPostOut, responses=responses(RoleForbidden))
async def count_workers_in_post(
    session: SessionDep,
    principal: PrincipalDep,
    division_code: Annotated[
        DivisionCode | None,
        Query(description="购买主体区划（含下级）；缺省为你的管辖区", examples=["640181"]),
    ] = None,
    on: Annotated[date | None, Query(description="基准日，缺省为今天", examples=["2019-06-01"])] = None,
) -> InPostOut:
    """Workers in post on a day (took post on or before it, not left before it) under a purchaser's
    division, by the township or village and unit they serve, with the contracts bound to the roster
    then: what staffing-calc's compliance reports count as "actual" (seed 000 三(二))."""
    return await oversight.in_post(session, principal, division_code or principal.division, on or today())


@router.get(
    "/workers/overdue-replacements",
    response_model=CursorPage[WorkerOut],
    responses=responses(RoleForbidden, CursorInvalid),
)
async def list_overdue_replacements(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: DivisionFilter = None,
    on: Annotated[date | None, Query(description="基准日，缺省为今天", examples=["2020-02-04"])] = None,
) -> CursorPage[WorkerOut]:
    """Workers assessed 不合格 whose replacement fell due before `on` and is not recorded yet (灵政办发
    〔2018〕201号 四(八)), as you may read them, oldest registration first; personal data masked."""
    q = oversight.overdue_replacements(principal, division_code, on or today())
    rows = (
        (await session.execute(keyset(q, page, Worker.created_at, Worker.id, descending=False)))
        .scalars()
        .all()
    )
    key = _key(request)
    return cursor_page(
        rows,
        page,
        lambda w: (w.created_at, w.id),
        lambda w: service.out(key, w),
        lambda w: POLICY.may_read(principal, w),
    )


@router.get(
    "/trainings/missing",
    response_model=CursorPage[MissingTrainingOut],
    responses=responses(RoleForbidden, CursorInvalid),
)
async def list_missing_trainings(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: DivisionFilter = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="默认为今年", examples=[2019])] = None,
) -> CursorPage[MissingTrainingOut]:
    """The contracts you may read whose year lacks the training the rules in force require (Lingwu: 2
    sessions a year, 六(三); seed 000 三(三): an induction for every worker in post), oldest contract
    first; a contract with nothing missing is left out (a page may be short)."""
    y = year or today().year
    q = oversight.readable_contracts(principal, division_code, y)
    rows = (await session.execute(keyset(q, page, Contract.id, descending=False))).scalars().all()
    found = await oversight.training_gaps(
        session, request.app.state.rules, principal, list(rows[: page.limit]), y
    )
    return cursor_page(
        rows,
        page,
        lambda c: (c.id,),
        lambda c: MissingTrainingOut(
            **found[c.id].model_dump(), purchaser_division=c.division_code, contractor_name=c.contractor_name
        ),
        lambda c: c.id in found and bool(found[c.id].missing),
    )


@router.get(
    "/workers/{worker_id}", response_model=WorkerOut, responses=responses(WorkerNotFound, RoleForbidden)
)
async def get_worker(
    request: Request, session: SessionDep, principal: PrincipalDep, worker_id: uuid.UUID
) -> WorkerOut:
    """One worker, personal data masked."""
    return service.out(_key(request), await service.get(session, principal, worker_id))


@router.post(
    "/workers/{worker_id}/personal-data",
    response_model=PersonalDataOut,
    responses=responses(WorkerNotFound, RoleForbidden),
)
async def read_personal_data(
    request: Request, session: SessionDep, principal: Keeper, worker_id: uuid.UUID, body: PersonalDataIn
) -> PersonalDataOut:
    """The full ID number and phone, to the employer (the contractor party) and the bureau covering the
    contract only, for a stated purpose. A POST because each disclosure is recorded (who, when, why) in the
    worker's history as `roster_worker.personal_data_read`, without the values."""
    return await service.personal_data(
        session, request.app.state.audit, _key(request), principal, worker_id, body.purpose
    )


@router.post(
    "/workers/{worker_id}/transitions",
    response_model=WorkerOut,
    responses=responses(
        WorkerNotFound, RoleForbidden, TransitionNotAllowed, ReasonRequired, service.ReplacementOnly
    ),
)
async def transition_worker(
    request: Request, session: SessionDep, principal: Mover, worker_id: uuid.UUID, body: TransitionIn
) -> WorkerOut:
    """Move a worker along `GET /workflows/roster_worker`. Dispatching the contracted number (the contract's
    `headcount`) meets the contract's dispatch deadline that day, by itself."""
    key = _key(request)
    w = await service.transition(
        session, request.app.state.audit, key, principal, worker_id, body.to, body.reason, today()
    )
    return service.out(key, w)


@router.post(
    "/workers/{worker_id}/approval",
    response_model=WorkerOut,
    responses=responses(WorkerNotFound, RoleForbidden),
)
async def approve_worker(
    request: Request, session: SessionDep, principal: Bureau, worker_id: uuid.UUID
) -> WorkerOut:
    """The bureau approves a worker on the roster."""
    key = _key(request)
    w = await service.approve(session, request.app.state.audit, key, principal, worker_id, today())
    return service.out(key, w)


@router.post(
    "/workers/{worker_id}/assessment",
    response_model=WorkerOut,
    responses=responses(
        WorkerNotFound, RoleForbidden, service.ReplacementNotRequired, evaluation.EvaluationUnavailable
    ),
)
async def assessment_outcome(
    request: Request, session: SessionDep, principal: Bureau, worker_id: uuid.UUID, body: AssessmentCheckIn
) -> WorkerOut:
    """Read the worker's assessment of `year` from the evaluation service (its `staff_ref` is this worker's
    id): 不合格 makes a replacement due (`replacement_due`, 灵政办发〔2018〕201号 四(八))."""
    key = _key(request)
    w = await service.get(session, principal, worker_id)
    answer = await evaluation.staff_renewal(
        request.app.state.settings, str(w.contract_id), str(w.id), request.headers.get("authorization")
    )
    w = await service.replacement_due(
        session,
        request.app.state.audit,
        request.app.state,
        request.app.state.rules,
        key,
        principal,
        worker_id,
        body.year,
        answer,
        today(),
    )
    return service.out(key, w)


@router.post(
    "/workers/{worker_id}/replacement",
    response_model=WorkerOut,
    responses=responses(WorkerNotFound, RoleForbidden, TransitionNotAllowed, service.ReplacementInvalid),
)
async def replace_worker(
    request: Request, session: SessionDep, principal: Employer, worker_id: uuid.UUID, body: ReplacementIn
) -> WorkerOut:
    """The employer records who replaces this worker (already dispatched), and when (today)."""
    key = _key(request)
    w = await service.replace(
        session, request.app.state.audit, key, principal, worker_id, body.replacement_id, body.reason, today()
    )
    return service.out(key, w)


add_event_routes(router, "/workers/{worker_id}", POLICY, by_uuid(service.load))


@router.post(
    "/contracts/{contract_id}/trainings",
    response_model=TrainingOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(ContractNotFound, RoleForbidden, training.AttendeesUnknown),
)
async def record_training(
    request: Request, session: SessionDep, principal: Keeper, contract_id: uuid.UUID, body: TrainingIn
) -> TrainingOut:
    """Record a training session (date, hours, subject, attendees) of the contract's workers."""
    t = await training.record(session, request.app.state.audit, principal, contract_id, body)
    return TrainingOut.model_validate(t)


@router.get(
    "/contracts/{contract_id}/trainings",
    response_model=CursorPage[TrainingOut],
    responses=responses(ContractNotFound, RoleForbidden, CursorInvalid),
)
async def list_trainings(
    session: SessionDep,
    principal: PrincipalDep,
    contract_id: uuid.UUID,
    page: Annotated[CursorParams, Depends(cursor_params)],
) -> CursorPage[TrainingOut]:
    """The contract's training sessions, newest first."""
    c = await service.readable_contract(session, principal, contract_id)
    q = select(Training).where(Training.contract_id == c.id)
    rows = TRAINING_POLICY.filter(
        principal, (await session.execute(keyset(q, page, Training.on, Training.id))).scalars().all()
    )
    return cursor_page(rows, page, lambda t: (t.on, t.id), TrainingOut.model_validate)


@router.get(
    "/contracts/{contract_id}/trainings/missing",
    response_model=TrainingStatusOut,
    responses=responses(ContractNotFound, RoleForbidden),
)
async def missing_training(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    contract_id: uuid.UUID,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="默认为今年")] = None,
) -> TrainingStatusOut:
    """The training the rules in force require and the year lacks: too few sessions (Lingwu: 2 a year,
    六(三)), workers in post without an induction (seed 000 三(三))."""
    return await training.status(
        session, request.app.state.rules, principal, contract_id, year or today().year
    )


WHO_SERVES_MAX_AGE = 300  # a roster changes more often than a published record, less than a list


@router.get(
    "/public/who-serves/{division_code}",
    response_model=WhoServesOut,
    tags=["public"],
    responses=httpcache.documented(WHO_SERVES_MAX_AGE),
)
async def get_who_serves(
    request: Request, session: SessionDep, response: Response, division_code: DivisionCode
) -> Any:
    """Who serves my township or village (portals such as e 龙岩): the contractor, the contract period,
    the workers in post there today, names masked (张**), never an ID number or phone, and the contract's
    latest published evaluation grade (from the evaluation service's public results). Public, cacheable:
    a strong `ETag` of the answer itself (it draws on several aggregates), `If-None-Match` → 304."""
    on = today()
    found = await service.who_serves(session, division_code, on)
    settings, transport = request.app.state.settings, wired_transport(request.app.state, "evaluation")
    grades = {
        c.id: await evaluation.latest_published(
            settings, transport, str(c.id), c.contractor_uscc, c.division_code
        )
        for c, _ in found
    }
    out = WhoServesOut(
        division_code=division_code,
        on=on,
        contracts=[
            ServingContractOut(
                contract_id=c.id,
                contractor_name=c.contractor_name,
                contractor_uscc=c.contractor_uscc,
                purchaser_division=c.division_code,
                term_start=c.term_start,
                term_end=c.term_end,
                workers_in_post=len(ws),
                latest_evaluation=LatestGradeOut.model_validate(grades[c.id]) if grades[c.id] else None,
                workers=[
                    ServingWorkerOut.model_validate(
                        POLICY.view(None, w).apply(
                            {"name": w.name, "unit_name": w.unit_name, "serves_division": w.serves_division}
                        )
                    )
                    for w in ws
                ],
            )
            for c, ws in found
        ],
    )
    stamp = httpcache.Stamp.of("who-serves", out.model_dump(mode="json"))
    if (hit := httpcache.answer(request, response, stamp, WHO_SERVES_MAX_AGE)) is not None:
        return hit
    return out
