"""`session_driver`: statements sent straight to asyncpg belong to the session's transaction."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from jiuzhu_kit.db import session_driver
from jiuzhu_kit.settings import to_async_url

from .conftest import widget

INSERT = "INSERT INTO kit_test.widget (division_code, name, price) VALUES ('350802', $1, '1.00')"


async def _count(maker: async_sessionmaker, name: str) -> int:  # type: ignore[type-arg]
    async with maker() as s:
        return int((await s.execute(select(func.count()).where(widget.c.name == name))).scalar_one())


async def test_raw_statements_roll_back_with_the_session(database_url: str, kit_schema: str) -> None:
    # SQLAlchemy's asyncpg adapter sends BEGIN only with its own first statement: a raw statement
    # sent before any ORM/Core statement must not run (and commit) on its own.
    engine = create_async_engine(to_async_url(database_url))
    maker = async_sessionmaker(engine)
    try:
        async with maker() as session:
            con = await session_driver(session)
            assert con.is_in_transaction()
            await con.execute(INSERT, "driver-rollback")
            assert await _count(maker, "driver-rollback") == 0  # not visible outside: not committed
            await session.rollback()
        assert await _count(maker, "driver-rollback") == 0

        async with maker() as session:
            con = await session_driver(session)
            await con.execute(INSERT, "driver-commit")
            assert await session_driver(session) is con  # remembered for the transaction
            await session.commit()
            assert not con.is_in_transaction()
            again = await session_driver(session)  # a new transaction begins on demand
            assert again.is_in_transaction()
            await session.rollback()
        assert await _count(maker, "driver-commit") == 1
    finally:
        await engine.dispose()
