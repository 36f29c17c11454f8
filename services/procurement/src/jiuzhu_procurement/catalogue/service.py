"""Reads of the dated reference data and the lawfulness check built on it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import divisions
from jiuzhu_kit.errors import Conflict
from jiuzhu_procurement.catalogue import rules
from jiuzhu_procurement.catalogue.models import CatalogueItem, NegativeListEntry, Threshold


class PurchaseNotAllowed(Conflict):
    code = "PURCHASE_NOT_ALLOWED"
    zh = "按 {on} 有效的规定，此项购买不合法：{reasons}"
    en = "Under the rules in force on {on} this purchase is not allowed: {reasons_en}"

    def extra(self) -> dict[str, Any]:
        return {"refusals": self.params.get("refusals", [])}


def level_of(division: str) -> str:
    lv = divisions.level(division)
    return lv if lv in ("township", "village") else "county"


async def catalogue(session: AsyncSession) -> list[CatalogueItem]:
    return list((await session.execute(select(CatalogueItem).order_by(CatalogueItem.code))).scalars())


async def negative(session: AsyncSession) -> list[NegativeListEntry]:
    return list(
        (await session.execute(select(NegativeListEntry).order_by(NegativeListEntry.valid_from))).scalars()
    )


async def thresholds(session: AsyncSession) -> list[Threshold]:
    return list((await session.execute(select(Threshold))).scalars())


async def check(
    session: AsyncSession, form: str, items: list[str], on: date, division: str
) -> list[rules.Refusal]:
    return rules.check_purchase(
        form, items, on, level_of(division), await catalogue(session), await negative(session)
    )


async def ensure_lawful(session: AsyncSession, form: str, items: list[str], on: date, division: str) -> None:
    refusals = await check(session, form, items, on, division)
    if refusals:
        raise PurchaseNotAllowed(
            on=on.isoformat(),
            reasons="；".join(f"{r.reason_zh}（{r.citation}）" for r in refusals),
            reasons_en="; ".join(f"{r.reason_en} ({r.citation})" for r in refusals),
            refusals=[r.as_dict() for r in refusals],
        )


async def threshold(session: AsyncSession, kind: str, division: str, on: date) -> Threshold | None:
    return rules.threshold_for(await thresholds(session), kind, division, on)
