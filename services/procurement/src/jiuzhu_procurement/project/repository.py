"""Projects, bids and their keys in the database: a project row locked for its transaction, a
project's data key (wrapped), a round's bids."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_procurement.project.models import Bid, BidKey, Project
from jiuzhu_procurement.project.sealing import DataKey, Keyring


async def locked(session: AsyncSession, project_id: uuid.UUID) -> Project | None:
    """The project row locked for the transaction (SELECT … FOR UPDATE), fresh from the database."""
    q = (
        select(Project)
        .where(Project.id == project_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(q)).scalar_one_or_none()


async def data_key(session: AsyncSession, keyring: Keyring, project_id: uuid.UUID) -> DataKey | None:
    """The project's sealed-bid data key, unwrapped; None if no bid was ever sealed in it."""
    row = (await session.execute(select(BidKey).where(BidKey.project_id == project_id))).scalar_one_or_none()
    return None if row is None else keyring.unwrap(project_id, row.key_id, row.wrapped)


async def ensure_data_key(session: AsyncSession, keyring: Keyring, project_id: uuid.UUID) -> DataKey:
    """The project's data key, created (and stored wrapped) with its first bid. The caller holds
    the project row's lock, so two first bids cannot both create one."""
    key = await data_key(session, keyring, project_id)
    if key is not None:
        return key
    key, kid, wrapped = keyring.new_data_key(project_id)
    session.add(BidKey(project_id=project_id, key_id=kid, wrapped=wrapped))
    await session.flush()
    return key


async def round_bids(
    session: AsyncSession, project_id: uuid.UUID, round_: int, *, lock: bool = False
) -> list[Bid]:
    """Every bid of the round, withdrawn ones included, in the order they were submitted."""
    q = (
        select(Bid)
        .where(Bid.project_id == project_id, Bid.round == round_)
        .order_by(Bid.submitted_at, Bid.id)
    )
    return list((await session.execute(q.with_for_update() if lock else q)).scalars())


async def live_bid_of(
    session: AsyncSession, project_id: uuid.UUID, round_: int, key: DataKey | None, uscc: str
) -> Bid | None:
    """The bidder's live (not withdrawn) bid of the round, sealed (found by its tag) or opened."""
    cond = Bid.uscc == uscc.upper()
    if key is not None:
        cond = cond | (Bid.bidder_tag == key.bidder_tag(uscc))
    q = select(Bid).where(Bid.project_id == project_id, Bid.round == round_, Bid.withdrawn_at.is_(None), cond)
    return (await session.execute(q)).scalars().first()
