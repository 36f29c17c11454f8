from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from jiuzhu_kit.audit import AuditLog, _normalize_after, normalize, verify_chain
from jiuzhu_kit.settings import to_async_url

from .conftest import kit


async def _verify(database_url: str, wid: int) -> tuple[bool, int | None, str | None, int]:
    engine = create_async_engine(to_async_url(database_url))
    async with async_sessionmaker(engine)() as s:
        res = await AuditLog(kit.audit).verify(s, "widget", wid)
    await engine.dispose()
    return res.ok, res.broken_at_seq, res.reason, res.events


async def _tamper(database_url: str, sql: str) -> None:
    engine = create_async_engine(to_async_url(database_url))
    async with engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))  # bypass the trigger
        await conn.execute(text(sql))
    await engine.dispose()


async def test_chain_verifies_then_tampering_is_detected(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    r = await client.post(
        "/widgets", json={"division_code": "350802", "name": "w", "price": "1"}, headers=auth()
    )
    wid = r.json()["id"]
    engine = create_async_engine(to_async_url(database_url))
    async with async_sessionmaker(engine)() as s:
        log = AuditLog(kit.audit)
        for i in range(3):
            await log.append(
                s,
                aggregate_type="widget",
                aggregate_id=wid,
                action="widget.renamed",
                actor=None,
                before={"name": f"w{i}"},
                data={"name": f"w{i + 1}", "price": "1.00"},
            )
        await s.commit()
        history = await log.history(s, "widget", wid)
    await engine.dispose()
    assert [e["seq"] for e in history] == [1, 2, 3, 4]
    assert history[1]["changes"] == {"name": ["w0", "w1"], "price": [None, "1.00"]}
    assert verify_chain(history).ok
    assert await _verify(database_url, wid) == (True, None, None, 4)

    await _tamper(
        database_url,
        f"UPDATE kit_test.audit_event SET data = '{{\"name\": \"evil\"}}' WHERE aggregate_id = '{wid}' AND seq = 3",
    )
    ok, seq, reason, _ = await _verify(database_url, wid)
    assert not ok and seq == 3 and reason and "altered" in reason


async def test_deleted_event_is_detected(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    wid = (
        await client.post(
            "/widgets", json={"division_code": "350802", "name": "d", "price": "1"}, headers=auth()
        )
    ).json()["id"]
    engine = create_async_engine(to_async_url(database_url))
    async with async_sessionmaker(engine)() as s:
        log = AuditLog(kit.audit)
        await log.append(
            s, aggregate_type="widget", aggregate_id=wid, action="x", actor=None, data={"v": 1.5}
        )
        await log.append(s, aggregate_type="widget", aggregate_id=wid, action="y", actor=None, data={"v": 2})
        await s.commit()
    await engine.dispose()
    assert (await _verify(database_url, wid))[0]  # floats were normalised, so the chain survives JSONB
    await _tamper(database_url, f"DELETE FROM kit_test.audit_event WHERE aggregate_id = '{wid}' AND seq = 2")
    ok, seq, reason, _ = await _verify(database_url, wid)
    assert not ok and seq == 3 and reason and "gap" in reason


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=5)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.dates()
    | st.datetimes(timezones=st.just(UTC))
    | st.uuids(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)


@given(
    before=st.dictionaries(st.text(max_size=4), _values, max_size=8),
    changed=st.dictionaries(st.text(max_size=4), _values, max_size=4),
)
def test_normalizing_the_after_state_reuses_before_without_changing_the_result(
    before: dict[str, Any], changed: dict[str, Any]
) -> None:
    after = {**before, **changed}  # unchanged columns are the very same objects, as in a write
    assert _normalize_after(after, before, normalize(before)) == normalize(after)
