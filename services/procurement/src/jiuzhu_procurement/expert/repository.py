"""Experts and draws in the database: pools covering a division, a round's draw, its bidders."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import divisions
from jiuzhu_kit.listing import in_division
from jiuzhu_procurement.expert.models import Expert, ExpertDraw
from jiuzhu_procurement.project.models import Bid, Project


def covering(division: str) -> list[str]:
    """The division and every division above it (the pools a project there draws from)."""
    out: list[str] = []
    code: str | None = division
    while code is not None:
        out.append(code)
        code = divisions.parent(code)
    return out


async def load(session: AsyncSession, expert_id: uuid.UUID, *, lock: bool = False) -> Expert | None:
    q = select(Expert).where(Expert.id == expert_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(q)).scalar_one_or_none()


def listing(division_code: str | None, field: str | None, active: bool | None) -> Select[Any]:
    q = in_division(select(Expert), Expert.pool_division, division_code)
    if field is not None:
        q = q.where(Expert.fields.contains([field]))
    if active is not None:
        q = q.where(Expert.active.is_(active))
    return q


async def active_pool(session: AsyncSession, division: str) -> list[Expert]:
    """Active experts of every pool covering `division`."""
    q = select(Expert).where(Expert.pool_division.in_(covering(division)), Expert.active.is_(True))
    return list((await session.execute(q)).scalars())


async def by_ids(session: AsyncSession, ids: Collection[str]) -> list[Expert]:
    if not ids:
        return []
    q = select(Expert).where(Expert.id.in_([uuid.UUID(i) for i in ids]))
    return list((await session.execute(q)).scalars())


async def lock_project(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    q = select(Project).where(Project.id == project_id).with_for_update()
    return (await session.execute(q.execution_options(populate_existing=True))).scalar_one_or_none()


async def load_project(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    return (await session.execute(select(Project).where(Project.id == project_id))).scalar_one_or_none()


async def draw_for(
    session: AsyncSession, project_id: uuid.UUID, round_: int, *, lock: bool = False
) -> ExpertDraw | None:
    """The draw of one project round (None: nothing committed)."""
    q = select(ExpertDraw).where(ExpertDraw.project_id == project_id, ExpertDraw.round == round_)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(q)).scalar_one_or_none()


async def bidders(session: AsyncSession, project_id: uuid.UUID, round_: int) -> frozenset[str]:
    """The credit codes of this round's opened bids (the draw comes after the opening; a sealed bid's
    code is not stored in clear, and a withdrawn one was never opened)."""
    q = select(Bid.uscc).where(Bid.project_id == project_id, Bid.round == round_, Bid.uscc.is_not(None))
    return frozenset(u for (u,) in (await session.execute(q)).all() if u is not None)
