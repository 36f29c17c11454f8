"""Procurement's rules as dated, cited data (data/*.pack.yaml, the kit's format), loaded at start-up.

Read them through `rules_at(request, division, on)`: the most specific pack in force answers, with
the clause each value comes from."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request

from jiuzhu_kit.rules.book import RuleBook, RulesAt
from jiuzhu_kit.rules.loader import load_packs, read_dir
from jiuzhu_kit.rules.local import LocalPacks
from jiuzhu_kit.rules.model import Pack
from jiuzhu_kit.rules.parse import Spec
from jiuzhu_procurement.catalogue.entries import parse_catalogue, parse_negative_list

DATA_DIR = Path(__file__).parent / "data"
log = logging.getLogger("jiuzhu.rules")
# Procurement adds two units: the catalogue of purchasable services and the negative list.
# What a local pack may set, by level: a county's (or city's) own guidance catalogue per level
# (seed 004 四(二): 县级民政部门…制定具体的购买服务指导目录向社会公布); a province's or city's
# thresholds (set by the provincial government, 政府采购法 27). National law is never local.
SPEC = Spec(
    units={"catalogue": parse_catalogue, "negative_list": parse_negative_list},
    local_parameters={
        "local_catalogue": frozenset({"county", "city"}),
        "open_tender_threshold": frozenset({"province", "city"}),
        "procurement_limit": frozenset({"province", "city"}),
    },
)


def file_sources() -> list[tuple[str, Any]]:
    return read_dir(DATA_DIR)


@lru_cache(maxsize=1)
def default_book() -> RuleBook[Pack]:
    """The file packs alone (start-up, before the published local packs are read)."""
    return RuleBook(load_packs(DATA_DIR, SPEC))


def local_packs(request: Request) -> LocalPacks:
    local = getattr(request.app.state, "local_packs", None)
    assert isinstance(local, LocalPacks), "local packs not set up"
    return local


async def load_local(app: Any) -> None:
    """Start-up: the published local packs join the file packs; a refresher keeps replicas in step."""
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


async def stop_local(app: Any) -> None:
    task = getattr(app.state, "rules_refresher", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def book(request: Request) -> RuleBook[Any]:
    b = getattr(request.app.state, "rules", None)
    assert isinstance(b, RuleBook), "rules not loaded"
    return b


def rules_at(app_state: Any, division: str, on: date) -> RulesAt:
    b = app_state.rules
    assert isinstance(b, RuleBook)
    return b.at(division, on)
