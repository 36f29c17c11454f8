"""A small app built only from the kit, on its own `kit_test` schema, to test the kit itself."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Annotated

import httpx
import pytest
import pytest_asyncio
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field
from sqlalchemy import Column, Integer, String, Table, UniqueConstraint, text
from sqlalchemy.ext.asyncio import create_async_engine

from jiuzhu_devtools.testing import TEST_SECRET, service_client
from jiuzhu_kit.app import create_app
from jiuzhu_kit.auth import Principal, Role, require_roles
from jiuzhu_kit.db import SessionDep, service_metadata
from jiuzhu_kit.divisions import DivisionCode
from jiuzhu_kit.lean import LeanRoute
from jiuzhu_kit.money import Money
from jiuzhu_kit.settings import KitSettings, to_async_url
from jiuzhu_kit.tables import KitTables, append_only_ddl

metadata = service_metadata("kit_test")
kit = KitTables(metadata)
widget = Table(
    "widget",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("division_code", String(12), nullable=False),
    Column("name", String(50), nullable=False),
    Column("price", String(20), nullable=False),
    # Checked at COMMIT, so a duplicate name makes the commit itself fail.
    UniqueConstraint("name", deferrable=True, initially="DEFERRED"),
)


class WidgetIn(BaseModel):
    division_code: DivisionCode
    name: str = Field(min_length=1, max_length=50)
    price: Money


router = APIRouter()
Writer = Annotated[Principal, Depends(require_roles(Role.BUREAU))]


@router.post("/widgets", status_code=201)
async def create_widget(
    request: Request, session: SessionDep, principal: Writer, body: WidgetIn
) -> dict[str, object]:
    principal.ensure_covers(body.division_code)
    wid = (
        await session.execute(
            widget.insert()
            .values(division_code=body.division_code, name=body.name, price=str(body.price))
            .returning(widget.c.id)
        )
    ).scalar_one()
    await request.app.state.audit.append(
        session,
        aggregate_type="widget",
        aggregate_id=wid,
        action="widget.created",
        actor=principal,
        data=body.model_dump(mode="json"),
    )
    return {"id": wid, "price": body.price}


@pytest.fixture(scope="session")
def kit_schema(database_url: str) -> Iterator[str]:
    async def setup() -> None:
        engine = create_async_engine(to_async_url(database_url))
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS kit_test CASCADE"))
            await conn.execute(text("CREATE SCHEMA kit_test"))
            await conn.run_sync(metadata.create_all)
            for stmt in append_only_ddl("kit_test"):
                await conn.execute(text(stmt))
        await engine.dispose()

    asyncio.run(setup())
    yield "kit_test"


def build_app(
    database_url: str,
    routers: Sequence[APIRouter],
    *,
    service: str = "kit-test",
    lean_routes: Sequence[LeanRoute] = (),
    lean: bool = True,
    environment: str = "test",
) -> FastAPI:
    """An app made only of the kit and `routers`, on the kit_test schema."""
    # prod refuses a JIUZHU_CLOCK (the suite sets one in the environment): the real clock there.
    clock = {"JIUZHU_CLOCK": ""} if environment == "prod" else {}
    # prod requires a tree-head signing key (jiuzhu_kit.transparency); any real 32-byte seed.
    key = (
        {"transparency_key": "a2l0LXRlc3QtdHJhbnNwYXJlbmN5LWtleS0zMmJ5dGU="} if environment == "prod" else {}
    )
    settings = KitSettings(
        DATABASE_URL=database_url,
        JWT_SECRET=TEST_SECRET,
        JIUZHU_ENVIRONMENT=environment,
        lean_routes=lean,
        **clock,
        **key,
    )
    return create_app(
        service=service,
        title=service,
        version="0",
        description="",
        settings=settings,
        tables=kit,
        routers=routers,
        configure_logs=False,
        lean_routes=lean_routes,
    )


@pytest.fixture(scope="session")
def kit_app(database_url: str, kit_schema: str) -> FastAPI:
    return build_app(database_url, [router])


@pytest_asyncio.fixture(loop_scope="session")
async def client(kit_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with service_client(kit_app) as c:
        yield c


def rid() -> str:
    return uuid.uuid4().hex
