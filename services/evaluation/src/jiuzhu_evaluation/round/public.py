"""Published evaluation results for everyone (no token): seeds 000 四(四) and 001 一(六) publish
them to society. Only the published view (round/review.py `publication`): grade, total, dimension
and party-kind scores, recipients as aggregates; never a scorer, a recipient's answer or identity.
Cacheable (jiuzhu_kit.httpcache): the ETag is the round's revision, which every write bumps."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select

from jiuzhu_evaluation.round import review
from jiuzhu_evaluation.round.models import EvaluationRound
from jiuzhu_evaluation.round.policy import POLICY, RoundNotFound
from jiuzhu_evaluation.round.schemas import PublicationOut
from jiuzhu_kit import httpcache
from jiuzhu_kit.clock import CST
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode, Uscc
from jiuzhu_kit.listing import RangeInverted, check_range, in_division
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset

router = APIRouter(prefix="/public", tags=["public"])


def _china_midnight(day: date | None, *, after: bool = False) -> datetime | None:
    """The instant a China day starts (`after`: the next day's, an exclusive end; none after 9999-12-31)."""
    if day is None or (after and day == date.max):
        return None
    # Clamped: an instant in year 1 at +08:00 is before the year 1 in UTC, which Python cannot hold.
    return datetime.combine(max(day + timedelta(days=1) if after else day, date(1900, 1, 1)), time(), CST)


@router.get(
    "/results",
    response_model=CursorPage[PublicationOut],
    responses={**responses(RangeInverted, CursorInvalid), **httpcache.documented(httpcache.LIST)},
)
async def list_published_results(
    request: Request,
    response: Response,
    session: SessionDep,
    page: Annotated[CursorParams, Depends(cursor_params)],
    division_code: Annotated[
        DivisionCode | None, Query(description="purchaser in this subtree", examples=["350802"])
    ] = None,
    published_from: Annotated[date | None, Query(description="first day (China time), included")] = None,
    published_to: Annotated[date | None, Query(description="last day (China time), included")] = None,
    status: Annotated[str | None, Query(max_length=16, examples=["published"])] = None,
    contractor_uscc: Annotated[Uscc | None, Query()] = None,
) -> Any:
    """Published evaluation results (考核结果公示), newest first."""
    q = in_division(
        select(EvaluationRound).where(POLICY.published()), EvaluationRound.purchaser_division, division_code
    )
    check_range(published_from, published_to, "published")
    start, end = _china_midnight(published_from), _china_midnight(published_to, after=True)
    if start is not None:
        q = q.where(EvaluationRound.published_at >= start)
    if end is not None:
        q = q.where(EvaluationRound.published_at < end)
    if status is not None:
        q = q.where(EvaluationRound.status == status)
    if contractor_uscc is not None:
        q = q.where(EvaluationRound.contractor_uscc == contractor_uscc)
    rows = (
        (await session.execute(keyset(q, page, EvaluationRound.published_at, EvaluationRound.id)))
        .scalars()
        .all()
    )
    stamp = httpcache.Stamp.of(
        "evaluation-results", sorted(request.query_params.multi_items()), [(r.id, r.version) for r in rows]
    )
    if (hit := httpcache.answer(request, response, stamp, httpcache.LIST)) is not None:
        return hit
    items = [await review.publication(session, r) for r in rows[: page.limit]]
    by_id = {i.round_id: i for i in items}
    return cursor_page(rows, page, lambda r: (r.published_at, r.id), lambda r: by_id[r.id])


@router.get(
    "/results/{round_id}",
    response_model=PublicationOut,
    responses={**responses(RoundNotFound), **httpcache.documented(httpcache.RECORD)},
)
async def get_published_result(
    request: Request, response: Response, session: SessionDep, round_id: uuid.UUID
) -> Any:
    """One published result; a round not (yet) published looks absent (404 ROUND_NOT_FOUND)."""
    r = (
        await session.execute(
            select(EvaluationRound).where(EvaluationRound.id == round_id, POLICY.published())
        )
    ).scalar_one_or_none()
    if r is None:
        raise RoundNotFound()
    stamp = httpcache.Stamp.of("evaluation-result", r.id, r.version)
    if (hit := httpcache.answer(request, response, stamp, httpcache.RECORD)) is not None:
        return hit
    return await review.publication(session, r)
