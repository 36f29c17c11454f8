"""The request boundary: commit before response, failed commit → 5xx, idempotency, problems."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from jiuzhu_kit.settings import to_async_url

from .conftest import widget


async def count_widgets(database_url: str) -> int:
    engine = create_async_engine(to_async_url(database_url))
    async with engine.connect() as conn:
        n = (await conn.execute(select(func.count()).select_from(widget))).scalar_one()
    await engine.dispose()
    return int(n)


async def test_write_is_committed_before_2xx(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    r = await client.post(
        "/widgets", json={"division_code": "350802", "name": "a", "price": "12.5"}, headers=auth()
    )
    assert r.status_code == 201, r.text
    assert r.json()["price"] == "12.50"  # money is a string with two places
    assert await count_widgets(database_url) == 1


async def test_failed_commit_gives_5xx_not_2xx(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    ok = await client.post(
        "/widgets", json={"division_code": "350802", "name": "dup", "price": "1"}, headers=auth()
    )
    assert ok.status_code == 201
    # The deferred unique constraint fires only at COMMIT: the endpoint itself succeeded.
    r = await client.post(
        "/widgets", json={"division_code": "350802", "name": "dup", "price": "1"}, headers=auth()
    )
    assert r.status_code >= 400 and r.status_code != 201
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "DUPLICATE"
    assert await count_widgets(database_url) == 1


async def test_idempotent_retry_writes_one_row(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    body = {"division_code": "350802", "name": "idem", "price": "3.00"}
    h = {**auth(), "Idempotency-Key": "k-1"}
    first = await client.post("/widgets", json=body, headers=h)
    second = await client.post("/widgets", json=body, headers=h)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert await count_widgets(database_url) == 1


async def test_same_key_other_body_is_refused(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    h = {**auth(), "Idempotency-Key": "k-2"}
    assert (
        await client.post("/widgets", json={"division_code": "350802", "name": "x", "price": "1"}, headers=h)
    ).status_code == 201
    r = await client.post("/widgets", json={"division_code": "350802", "name": "y", "price": "1"}, headers=h)
    assert r.status_code == 422
    assert r.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await count_widgets(database_url) == 1


async def test_same_key_concurrently_writes_once(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    body = {"division_code": "350802", "name": "race", "price": "9"}
    h = {**auth(), "Idempotency-Key": "k-race"}
    results = await asyncio.gather(*(client.post("/widgets", json=body, headers=h) for _ in range(8)))
    assert {r.status_code for r in results} == {201}
    assert len({r.text for r in results}) == 1
    assert await count_widgets(database_url) == 1


async def test_wrong_jurisdiction_is_403(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    # A Longyan Xinluo (350802) user may not write for sibling county 350803.
    r = await client.post(
        "/widgets", json={"division_code": "350803", "name": "n", "price": "1"}, headers=auth()
    )
    assert r.status_code == 403
    assert r.json()["code"] == "JURISDICTION_FORBIDDEN"
    # The city (350800) covers both.
    ok = await client.post(
        "/widgets", json={"division_code": "350803", "name": "n", "price": "1"}, headers=auth(div="350800")
    )
    assert ok.status_code == 201


async def test_wrong_role_and_no_token(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = {"division_code": "350802", "name": "n", "price": "1"}
    assert (await client.post("/widgets", json=body)).json()["code"] == "UNAUTHENTICATED"
    r = await client.post("/widgets", json=body, headers=auth("auditor"))
    assert r.status_code == 403 and r.json()["code"] == "ROLE_FORBIDDEN"
    expired = await client.post("/widgets", json=body, headers=auth(ttl=-60))
    assert expired.status_code == 401 and expired.json()["code"] == "TOKEN_EXPIRED"


async def test_bad_body_lists_field_errors_in_chinese_and_english(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = {"division_code": "99", "price": "1.234"}
    r = await client.post("/widgets", json=body, headers=auth())
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    p = r.json()
    assert p["code"] == "REQUEST_INVALID" and p["status"] == 422
    pointers = {e["pointer"] for e in p["errors"]}
    assert pointers == {"#/division_code", "#/name", "#/price"}
    assert any("必填" in e["detail"] for e in p["errors"])
    assert "Traceback" not in r.text
    en = await client.post("/widgets", json=body, headers={**auth(), "Accept-Language": "en-US,en;q=0.9"})
    assert "invalid" in en.json()["detail"]
    assert any(e["detail"] == "Field required" for e in en.json()["errors"])


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces" and len(made.headers["x-request-id"]) == 32


async def test_readyz_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/readyz")).json()["database"] == "ok"
    await client.get("/healthz")
    m = await client.get("/metrics")
    assert 'http_requests_total{method="GET",route="/healthz",service="kit-test",status="200"}' in m.text


@pytest.mark.parametrize(
    "raw", [b"{", b"\xff\xfe", b'{"division_code": "350802", "name": "x", "price": 1e400}']
)
async def test_malformed_json_is_problem(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], raw: bytes
) -> None:
    r = await client.post("/widgets", content=raw, headers={**auth(), "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_audit_rows_are_append_only(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    await client.post(
        "/widgets", json={"division_code": "350802", "name": "ao", "price": "1"}, headers=auth()
    )
    engine = create_async_engine(to_async_url(database_url))
    with pytest.raises(Exception, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE kit_test.audit_event SET actor = 'mallory'"))
    await engine.dispose()


def test_a_request_id_ending_in_a_newline_is_replaced() -> None:
    from jiuzhu_kit.observability import request_id_for

    assert request_id_for(b"abc-123") == "abc-123"
    assert request_id_for(b"abc-123\n") != "abc-123\n"  # it would reach logs and upstream headers
