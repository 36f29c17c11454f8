"""/webhooks/endpoints: an integration registers its endpoints, sees their state and delivery log,
re-enables one and replays from a point (jiuzhu_kit.webhooks). Each endpoint belongs to the caller
that registered it (an API key's integration, or any token) and is seen by it alone."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import insert, select, update

from jiuzhu_kit.auth import Principal, PrincipalDep, RoleForbidden
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import DomainError, NotFound, responses
from jiuzhu_kit.webhooks import TargetRefused, Webhooks, check_scheme, new_secret, pin


class WebhookEndpointNotFound(NotFound):
    code = "WEBHOOK_ENDPOINT_NOT_FOUND"
    zh = "未找到该推送地址"
    en = "Webhook endpoint not found"


class WebhookTargetRefused(DomainError):
    code = "WEBHOOK_TARGET_REFUSED"
    status = 422
    zh = "推送地址不可用：{why}"
    en = "The webhook target is refused: {why}"


EndpointId = Annotated[uuid.UUID, Path(description="推送地址 id")]


class EndpointIn(BaseModel):
    """推送地址 A webhook endpoint to register."""

    url: str = Field(max_length=2048, examples=["https://sync.example.gov.cn/jiuzhu/webhooks"])
    event_types: list[str] = Field(
        default=["*"],
        min_length=1,
        max_length=50,
        description="事件名过滤（shell 通配符），如 `plan.*`、`project.transition.*` event-name patterns",
    )


class EndpointOut(BaseModel):
    """推送地址 A registered webhook endpoint."""

    id: uuid.UUID
    url: str
    event_types: list[str]
    status: str = Field(description="active | disabled")
    disabled_reason: str | None = Field(description="why it was disabled (deliveries failing for a day)")
    created_at: datetime


class EndpointCreated(EndpointOut):
    """新推送地址 A webhook endpoint just registered, with its signing secret (shown once)."""

    secret: str = Field(description="签名密钥，仅此一次返回 the signing secret, shown once (`whsec_…`)")


class AttemptOut(BaseModel):
    """推送尝试 One attempt to deliver a webhook message."""

    attempted_at: datetime
    status: int | None
    response_ms: int
    error: str | None


class DeliveryOut(BaseModel):
    """推送 A webhook message and its delivery attempts."""

    id: int
    msg_id: str
    event_type: str
    status: str = Field(description="pending | delivered | failed")
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    log: list[AttemptOut]


class ReplayIn(BaseModel):
    """重新推送 Which deliveries to send again."""

    since: datetime = Field(description="deliver again every change from this time on")


class ReplayOut(BaseModel):
    """重新推送 How many deliveries were queued again."""

    enqueued: int


async def validate_target(url: str, prod: bool) -> None:
    """http/https only; in prod, every address the host resolves to must be public (checked again,
    with the address pinned, at every delivery attempt: jiuzhu_kit.webhooks.pin)."""
    try:
        if not prod:
            check_scheme(url)  # dev/test: local receivers
            return
        await pin(url, allow_private=False)
    except TargetRefused as exc:
        raise WebhookTargetRefused(why=str(exc)) from exc


def _hooks(request: Request) -> Webhooks:
    hooks = request.app.state.webhooks
    assert isinstance(hooks, Webhooks)
    return hooks


def _out(row: Any) -> dict[str, Any]:
    return {k: getattr(row, k) for k in EndpointOut.model_fields}


async def _own(session: Any, hooks: Webhooks, principal: Principal, endpoint_id: uuid.UUID) -> Any:
    e = hooks.t.endpoint
    row = (
        await session.execute(select(e).where(e.c.id == endpoint_id, e.c.owner_sub == principal.sub))
    ).first()
    if row is None:
        raise WebhookEndpointNotFound()
    return row


def webhooks_router() -> APIRouter:
    router = APIRouter(prefix="/webhooks/endpoints", tags=["webhooks"])

    @router.post(
        "",
        status_code=status.HTTP_201_CREATED,
        response_model=EndpointCreated,
        responses=responses(RoleForbidden, WebhookTargetRefused),
    )
    async def register_webhook_endpoint(
        request: Request, session: SessionDep, principal: PrincipalDep, body: EndpointIn
    ) -> EndpointCreated:
        """Register an endpoint: every committed change you may read whose event name matches a
        filter is POSTed to it, signed per Standard Webhooks with the secret in this response."""
        hooks = _hooks(request)
        hooks.feed.readable(principal)  # a role that reads nothing here: 403
        await validate_target(body.url, request.app.state.settings.environment == "prod")
        new_id = uuid.uuid4()
        row: dict[str, Any] = {
            "id": new_id,
            "owner_sub": principal.sub,
            "owner_roles": ",".join(sorted(principal.roles)),
            "owner_division": principal.division,
            "owner_org": principal.org,
            "url": body.url,
            "secret": new_secret(),
            "event_types": body.event_types,
        }
        await session.execute(insert(hooks.t.endpoint).values(**row))
        await request.app.state.audit.append(
            session,
            aggregate_type="webhook_endpoint",
            aggregate_id=row["id"],
            action="webhook_endpoint.registered",
            actor=principal,
            data={k: v for k, v in row.items() if k != "secret"},
        )
        created = await _own(session, hooks, principal, new_id)
        return EndpointCreated(**_out(created), secret=row["secret"])

    @router.get("", response_model=list[EndpointOut])
    async def list_webhook_endpoints(
        request: Request, session: SessionDep, principal: PrincipalDep
    ) -> list[EndpointOut]:
        """Your endpoints, with their state (a disabled one says why)."""
        e = _hooks(request).t.endpoint
        rows = await session.execute(
            select(e).where(e.c.owner_sub == principal.sub).order_by(e.c.created_at, e.c.id)
        )
        return [EndpointOut(**_out(r)) for r in rows]

    @router.get("/{endpoint_id}", response_model=EndpointOut, responses=responses(WebhookEndpointNotFound))
    async def get_webhook_endpoint(
        request: Request, session: SessionDep, principal: PrincipalDep, endpoint_id: EndpointId
    ) -> EndpointOut:
        """One of your webhook endpoints: its URL, the events it subscribes to and whether it is enabled."""
        return EndpointOut(**_out(await _own(session, _hooks(request), principal, endpoint_id)))

    @router.get(
        "/{endpoint_id}/deliveries",
        response_model=list[DeliveryOut],
        responses=responses(WebhookEndpointNotFound),
    )
    async def list_webhook_deliveries(
        request: Request, session: SessionDep, principal: PrincipalDep, endpoint_id: EndpointId
    ) -> list[DeliveryOut]:
        """The delivery log, newest first (the last 200): each attempt's status and response time."""
        hooks = _hooks(request)
        await _own(session, hooks, principal, endpoint_id)
        d, a = hooks.t.delivery, hooks.t.attempt
        rows = (
            await session.execute(
                select(d).where(d.c.endpoint_id == endpoint_id).order_by(d.c.id.desc()).limit(200)
            )
        ).all()
        attempts = (
            await session.execute(select(a).where(a.c.delivery_id.in_([r.id for r in rows])).order_by(a.c.id))
        ).all()
        log: dict[int, list[AttemptOut]] = {}
        for x in attempts:
            log.setdefault(x.delivery_id, []).append(
                AttemptOut(
                    attempted_at=x.attempted_at, status=x.status, response_ms=x.response_ms, error=x.error
                )
            )
        return [
            DeliveryOut(
                id=r.id,
                msg_id=r.msg_id,
                event_type=r.event_type,
                status=r.status,
                attempts=r.attempts,
                next_attempt_at=r.next_attempt_at,
                created_at=r.created_at,
                delivered_at=r.delivered_at,
                log=log.get(r.id, []),
            )
            for r in rows
        ]

    @router.post(
        "/{endpoint_id}/enable", response_model=EndpointOut, responses=responses(WebhookEndpointNotFound)
    )
    async def enable_webhook_endpoint(
        request: Request, session: SessionDep, principal: PrincipalDep, endpoint_id: EndpointId
    ) -> EndpointOut:
        """Turn a disabled endpoint on again (after fixing the receiver)."""
        hooks = _hooks(request)
        await _own(session, hooks, principal, endpoint_id)
        e = hooks.t.endpoint
        await session.execute(
            update(e).where(e.c.id == endpoint_id).values(status="active", disabled_reason=None)
        )
        await request.app.state.audit.append(
            session,
            aggregate_type="webhook_endpoint",
            aggregate_id=endpoint_id,
            action="webhook_endpoint.enabled",
            actor=principal,
        )
        return EndpointOut(**_out(await _own(session, hooks, principal, endpoint_id)))

    @router.post(
        "/{endpoint_id}/replay", response_model=ReplayOut, responses=responses(WebhookEndpointNotFound)
    )
    async def replay_webhook_deliveries(
        request: Request,
        session: SessionDep,
        principal: PrincipalDep,
        endpoint_id: EndpointId,
        body: ReplayIn,
    ) -> ReplayOut:
        """Deliver again every change since a time (same `webhook-id`s, so a receiver can deduplicate)."""
        hooks = _hooks(request)
        ep = await _own(session, hooks, principal, endpoint_id)
        return ReplayOut(enqueued=await hooks.replay(session, ep, body.since))

    return router
