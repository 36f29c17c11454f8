"""Local rule packs: a bureau publishes its own rules without a redeploy.

A county (or city, or province) bureau submits a pack in the same format as the files — validated
against the format, against what its level may set (the service's `Spec.local_parameters`), and
together with every pack already in force — as a `draft`. Another person of a bureau covering that
jurisdiction (or an admin) reviews it: `published` puts it in force from its `effective_from`,
`withdrawn` takes it out. Every step is audited; the service's RuleBook is rebuilt at once in the
process that published it and within `rules_refresh_seconds` in every other replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jiuzhu_kit import clock, divisions
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from jiuzhu_kit.policy import ReadPolicy
from jiuzhu_kit.rules.book import RuleBook
from jiuzhu_kit.rules.loader import load_from
from jiuzhu_kit.rules.parse import PackError, Spec

log = logging.getLogger("jiuzhu.rules")
AGGREGATE = "rule_pack"
LEVELS = ("province", "city", "county", "township")


def rule_pack_table(metadata: MetaData) -> Table:
    return Table(
        "rule_pack",
        metadata,
        Column("id", PgUUID(as_uuid=True), primary_key=True, default=uuid.uuid4),
        Column("pack_id", String(64), nullable=False),
        Column("version", Integer, nullable=False),
        Column("jurisdiction", String(12), nullable=False, index=True),
        Column("status", String(16), nullable=False),  # draft | published | withdrawn
        Column("body", JSONB, nullable=False),
        Column("submitted_by", String(256), nullable=False),
        Column("submitted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("decided_by", String(256), nullable=True),
        Column("decided_at", DateTime(timezone=True), nullable=True),
        Column("reason", Text, nullable=True),
        UniqueConstraint("pack_id", "version"),
    )


class LocalPackNotFound(NotFound):
    code = "RULE_PACK_NOT_FOUND"
    zh = "未找到该本地规则包"
    en = "Local rule pack not found"


class LocalPackInvalid(ValidationFailed):
    code = "RULE_PACK_INVALID"
    zh = "规则包校验失败"
    en = "The rule pack was refused"


class LocalPackExists(Conflict):
    code = "RULE_PACK_EXISTS"
    zh = "规则包 {pack} 已存在（{status}，记录 {existing}）"
    en = "Rule pack {pack} already exists ({status}, record {existing})"


class LocalPackWrongState(Conflict):
    code = "RULE_PACK_WRONG_STATE"
    zh = "规则包处于 {status} 状态，不能改为 {to}"
    en = "The rule pack is {status}; it cannot become {to}"


class ReviewerIsSubmitter(Forbidden):
    code = "FOUR_EYES_REQUIRED"
    zh = "提交人不能审核自己提交的规则包"
    en = "The submitter may not review their own rule pack"


class LocalPackPolicy(ReadPolicy[Any]):
    """Local packs in review are read by the bureau side of their jurisdiction; once published they
    are also public through `GET /rules`."""

    aggregate = AGGREGATE
    not_found = LocalPackNotFound
    roles = frozenset({Role.BUREAU, Role.FINANCE, Role.AUDITOR})
    division_attr = "jurisdiction"


POLICY = LocalPackPolicy()


def _problems(problems: Sequence[str]) -> LocalPackInvalid:
    return LocalPackInvalid(
        [FieldError(pointer="#/pack", code="RULE_PACK_INVALID", detail=p) for p in problems]
    )


class LocalPacks:
    """Local packs of one service: the file packs (`file_sources`) plus the published rows."""

    def __init__(
        self, table: Table, spec: Spec, file_sources: Callable[[], list[tuple[str, Any]]], audit: AuditLog
    ) -> None:
        self.table = table
        self.spec = spec
        self.file_sources = file_sources
        self.audit = audit
        self.signature: tuple[int, datetime | None] = (0, None)

    # ---- the book ------------------------------------------------------------------------

    async def published(self, session: AsyncSession) -> list[tuple[str, Any]]:
        rows = (
            await session.execute(select(self.table).where(self.table.c.status == "published"))
        ).mappings()
        return [(f"local:{r['pack_id']}@{r['version']}", dict(r["body"])) for r in rows]

    async def build(self, session: AsyncSession) -> RuleBook[Any]:
        self.signature = await self._signature(session)
        return RuleBook(load_from([*self.file_sources(), *await self.published(session)], self.spec))

    async def _signature(self, session: AsyncSession) -> tuple[int, datetime | None]:
        row = (
            await session.execute(
                select(func.count(), func.max(self.table.c.decided_at)).where(self.table.c.status != "draft")
            )
        ).one()
        return int(row[0]), row[1]

    async def refresh_forever(
        self, app_state: Any, maker: async_sessionmaker[AsyncSession], every: float
    ) -> None:
        """Rebuild the book when another replica published or withdrew a pack (polls a signature)."""
        while True:
            await asyncio.sleep(every)
            try:
                async with maker() as session:
                    if await self._signature(session) != self.signature:
                        app_state.rules = await self.build(session)
                        log.info("rules rebuilt: local packs changed")
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a while; try again next time
                log.warning("rules refresh failed", exc_info=True)

    # ---- writes --------------------------------------------------------------------------

    def _check_level(self, pack: dict[str, Any]) -> None:
        jurisdiction = str(pack.get("jurisdiction"))
        level = divisions.level(jurisdiction)
        errors = []
        if level not in LEVELS:
            errors.append(
                FieldError(
                    pointer="#/pack/jurisdiction",
                    code="LEVEL_NOT_LOCAL",
                    detail=f"{level} 级规则须随版本发布",
                )
            )
        params = pack.get("parameters")
        for name in params if isinstance(params, dict) else {}:
            allowed = self.spec.local_parameters.get(name, frozenset())
            if level not in allowed:
                errors.append(
                    FieldError(
                        pointer=f"#/pack/parameters/{name}",
                        code="PARAMETER_NOT_LOCAL",
                        detail=f"{level} 级不能设定 {name}（可设定的层级：{'、'.join(sorted(allowed)) or '无'}）",
                    )
                )
        if errors:
            raise ValidationFailed(errors)

    async def submit(self, session: AsyncSession, principal: Principal, pack: dict[str, Any]) -> Any:
        """A draft from a bureau (its route admits the role) covering the pack's jurisdiction, valid
        together with every pack in force (so its id and version are well formed before any query)."""
        try:
            jurisdiction = divisions.validate_division_code(str(pack.get("jurisdiction")))
        except divisions.InvalidDivisionCode as exc:
            raise _problems([f"jurisdiction: {exc}"]) from exc
        principal.ensure_covers(jurisdiction)
        self._check_level(pack)
        key = (str(pack.get("id")), pack.get("version"))
        files = self.file_sources()
        if any(str(raw.get("id")) == key[0] for _, raw in files):
            raise LocalPackExists(pack=key[0], status="随版本发布", existing="-")
        body = {**pack, "status": "published"}  # validated as it would be in force
        try:
            load_from(
                [*files, *await self.published(session), (f"submitted:{key[0]}", dict(body))], self.spec
            )
        except PackError as exc:
            raise _problems(exc.problems) from exc
        existing = (
            (
                await session.execute(
                    select(self.table).where(self.table.c.pack_id == key[0], self.table.c.version == key[1])
                )
            )
            .mappings()
            .first()
        )
        if existing is not None:
            raise LocalPackExists(
                pack=f"{key[0]}@{key[1]}", status=existing["status"], existing=str(existing["id"])
            )
        pack_uuid = uuid.uuid4()
        row = {
            "id": pack_uuid,
            "pack_id": key[0],
            "version": key[1],
            "jurisdiction": jurisdiction,
            "status": "draft",
            "body": body,
            "submitted_by": principal.sub,
        }
        await session.execute(self.table.insert().values(**row))
        await self.audit.append(
            session,
            aggregate_type=AGGREGATE,
            aggregate_id=row["id"],
            action="rule_pack.submitted",
            actor=principal,
            data={k: v for k, v in row.items() if k != "id"},
            jurisdiction=jurisdiction,
        )
        return await self.get(session, pack_uuid)

    async def get(self, session: AsyncSession, pack_uuid: uuid.UUID) -> Any:
        return (await session.execute(select(self.table).where(self.table.c.id == pack_uuid))).first()

    async def list(self, session: AsyncSession, principal: Principal) -> list[Any]:
        stmt = select(self.table).order_by(self.table.c.submitted_at.desc())
        return POLICY.filter(principal, (await session.execute(stmt)).all())

    async def decide(
        self, session: AsyncSession, principal: Principal, pack_uuid: uuid.UUID, to: str, reason: str | None
    ) -> Any:
        row = (
            await session.execute(select(self.table).where(self.table.c.id == pack_uuid).with_for_update())
        ).first()
        if row is None or not POLICY.may_read(principal, row):
            raise LocalPackNotFound()
        allowed = {("draft", "published"), ("draft", "withdrawn"), ("published", "withdrawn")}
        if (row.status, to) not in allowed:
            raise LocalPackWrongState(status=row.status, to=to)
        if row.submitted_by == principal.sub:
            raise ReviewerIsSubmitter()
        if to == "published":  # still valid with what has been published since it was submitted
            others = [
                s for s in await self.published(session) if s[0] != f"local:{row.pack_id}@{row.version}"
            ]
            try:
                load_from(
                    [*self.file_sources(), *others, (f"local:{row.pack_id}", dict(row.body))], self.spec
                )
            except PackError as exc:
                raise _problems(exc.problems) from exc
        now = clock.now()
        await session.execute(
            self.table.update()
            .where(self.table.c.id == pack_uuid)
            .values(status=to, decided_by=principal.sub, decided_at=now, reason=reason)
        )
        await self.audit.append(
            session,
            aggregate_type=AGGREGATE,
            aggregate_id=pack_uuid,
            action=f"rule_pack.{to}",
            actor=principal,
            data={"pack_id": row.pack_id, "version": row.version, "status": to},
            before={"status": row.status},
            reason=reason,
            jurisdiction=row.jurisdiction,
            row_locked=True,
        )
        return await self.get(session, pack_uuid)


def local_packs(request: Request) -> LocalPacks:
    local = getattr(request.app.state, "local_packs", None)
    assert isinstance(local, LocalPacks), "local packs not set up"
    return local


async def start_local_packs(app: Any) -> None:
    """Start-up: the published local packs join the file packs; a refresher keeps replicas in step
    (every `settings.rules_refresh_seconds`)."""
    local: LocalPacks = app.state.local_packs
    try:
        async with app.state.sessionmaker() as session:
            app.state.rules = await local.build(session)
    except Exception:  # the database may not be up yet: start on the file packs, the refresher catches up
        log.warning("local rule packs not loaded at start-up", exc_info=True)
    every = float(app.state.settings.rules_refresh_seconds)
    app.state.rules_refresher = asyncio.create_task(
        local.refresh_forever(app.state, app.state.sessionmaker, every)
    )


async def stop_local_packs(app: Any) -> None:
    task = getattr(app.state, "rules_refresher", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
