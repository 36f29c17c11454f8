"""Lean routes (jiuzhu_kit.lean): which requests they serve, what they hand to FastAPI, how they fail.

One path has both a FastAPI route and a lean route; each answers with `via` so the test sees who
served. The lean handler writes a widget and its audit event on the write pool.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest_asyncio
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from jiuzhu_devtools.testing import service_client
from jiuzhu_kit.auth import PrincipalDep
from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.lean import Decline, LeanRequest, LeanRoute
from jiuzhu_kit.settings import to_async_url

from .conftest import build_app

PATH = "/lean/{name}"


class ThingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int


class Taken(Conflict):
    code = "TAKEN"
    zh = "已占用"
    en = "Taken"


router = APIRouter()


@router.post(PATH)
async def fastapi_route(name: str, body: ThingIn, principal: PrincipalDep) -> dict[str, Any]:
    return {"via": "fastapi", "name": name, "n": body.n}


async def lean_handler(req: LeanRequest) -> tuple[int, bytes]:
    try:
        body = ThingIn.model_validate_json(req.body)
    except ValidationError:
        raise Decline() from None
    if body.n == -1:
        raise Taken()
    if body.n == -2:
        raise ConnectionResetError("database went away")
    if body.n == -3:
        raise RuntimeError("a bug")
    name = req.params["name"]
    async with req.app.state.write_pool.transaction() as con:
        wid = await con.fetchval(
            "INSERT INTO kit_test.widget (division_code, name, price) VALUES ($1, $2, '1.00') RETURNING id",
            req.principal.division,
            name,
        )
        await req.app.state.audit.append(
            con, aggregate_type="widget", aggregate_id=wid, action="widget.created", actor=req.principal
        )
        if body.n == -4:
            raise Taken()  # after writing: the transaction must roll back
    return 200, json.dumps({"via": "lean", "name": name, "n": body.n}).encode()


@router.get(PATH)
async def fastapi_read(name: str, principal: PrincipalDep, n: int = 0) -> dict[str, Any]:
    return {"via": "fastapi", "name": name, "n": n}


async def lean_read(req: LeanRequest) -> tuple[int, bytes]:
    query = dict(parse_qsl(req.query.decode("latin-1")))
    if not query.get("n", "0").isdigit():
        raise Decline()
    return 200, json.dumps({"via": "lean", "name": req.params["name"], "n": int(query.get("n", 0))}).encode()


def _app(database_url: str, lean: bool) -> FastAPI:
    routes = [
        LeanRoute("POST", PATH, lean_handler, param_patterns=(("name", "[^/A-Z]+"),)),
        LeanRoute("GET", PATH, lean_read, query=True),
    ]
    return build_app(database_url, [router], service="kit-lean", lean_routes=routes, lean=lean)


@pytest_asyncio.fixture(loop_scope="session")
async def lean(database_url: str, kit_schema: str) -> AsyncIterator[httpx.AsyncClient]:
    async with service_client(_app(database_url, True)) as c:
        yield c


async def _count(database_url: str, name: str) -> tuple[int, int]:
    engine = create_async_engine(to_async_url(database_url))
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id FROM kit_test.widget WHERE name = :n"), {"n": name})).all()
        events = (
            await conn.execute(
                text("SELECT count(*) FROM kit_test.audit_event WHERE aggregate_id = ANY(:ids)"),
                {"ids": [str(r.id) for r in rows]},
            )
        ).scalar_one()
    await engine.dispose()
    return len(rows), int(events)


async def test_the_plain_request_is_served_by_the_lean_route(
    lean: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    h = {**auth("bureau", "440103"), "x-request-id": "lean-req-1"}
    r = await lean.post("/lean/plain", json={"n": 1}, headers=h)
    assert r.status_code == 200 and r.json() == {"via": "lean", "name": "plain", "n": 1}
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-request-id"] == "lean-req-1"
    assert await _count(database_url, "plain") == (1, 1)  # committed before the answer, audited
    metrics = (await lean.get("/metrics")).text
    assert re.search(r'http_requests_total\{[^}]*route="/lean/\{name\}"[^}]*status="200"', metrics)


async def test_everything_else_goes_to_the_fastapi_route(
    lean: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    h = auth("bureau", "440103")
    via = {
        "query string": await lean.post("/lean/q?x=1", json={"n": 1}, headers=h),
        "idempotency key": await lean.post("/lean/k", json={"n": 1}, headers={**h, "idempotency-key": "k1"}),
        "path outside the pattern": await lean.post("/lean/UPPER", json={"n": 1}, headers=h),
    }
    nul = await lean.post("/lean/a%00b", json={"n": 1}, headers=h)
    assert (nul.status_code, nul.json()["code"]) == (422, "NUL_CHARACTER")
    for case, r in via.items():
        assert r.status_code == 200 and r.json()["via"] == "fastapi", case
    refused = {
        "not JSON": (
            await lean.post("/lean/t", content=b'{"n": 1}', headers={**h, "content-type": "text/plain"})
        ),
        "no token": await lean.post("/lean/t", json={"n": 1}),
        "bad token": await lean.post("/lean/t", json={"n": 1}, headers={"authorization": "Bearer nope"}),
        "declined body": await lean.post("/lean/t", json={"n": "x"}, headers=h),
        "duplicate keys": await lean.post(
            "/lean/t", content=b'{"n": 1, "n": 2}', headers={**h, "content-type": "application/json"}
        ),
    }
    codes = {case: (r.status_code, r.json()["code"]) for case, r in refused.items()}
    assert codes == {
        "not JSON": (422, "REQUEST_INVALID"),
        "no token": (401, "UNAUTHENTICATED"),
        "bad token": (401, "TOKEN_INVALID"),
        "declined body": (422, "REQUEST_INVALID"),
        "duplicate keys": (422, "JSON_AMBIGUOUS"),
    }
    assert await _count(database_url, "t") == (0, 0)


async def test_a_read_route_takes_its_query_and_declines_the_rest(
    lean: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("bureau", "440103")
    r = await lean.get("/lean/r?n=7", headers=h)
    assert r.status_code == 200 and r.json() == {"via": "lean", "name": "r", "n": 7}
    assert (await lean.get("/lean/r", headers=h)).json()["via"] == "lean"
    declined = await lean.get("/lean/r?n=x", headers=h)
    assert (declined.status_code, declined.json()["code"]) == (422, "REQUEST_INVALID")
    with_body = await lean.request("GET", "/lean/r?n=1", content=b"{}", headers=h)
    assert with_body.json()["via"] == "fastapi"
    nul = await lean.get("/lean/r?n=1&m=%00", headers=h)
    assert (nul.status_code, nul.json()["code"]) == (422, "NUL_CHARACTER")
    anonymous = await lean.get("/lean/r?n=1")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHENTICATED")


async def test_handler_errors_are_problems_and_write_nothing(
    lean: httpx.AsyncClient, auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    h = {**auth("bureau", "440103"), "accept-language": "en"}
    got = {n: await lean.post("/lean/err", json={"n": n}, headers=h) for n in (-1, -2, -3, -4)}
    for r in got.values():
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["instance"] == "/lean/err" and r.headers["x-request-id"] == r.json()["request_id"]
    assert {n: (r.status_code, r.json()["code"]) for n, r in got.items()} == {
        -1: (409, "TAKEN"),
        -2: (503, "DATABASE_UNAVAILABLE"),
        -3: (500, "INTERNAL_ERROR"),
        -4: (409, "TAKEN"),
    }
    assert got[-1].json()["title"] == "Taken"
    assert await _count(database_url, "err") == (0, 0)  # -4 wrote, then rolled back


async def test_lean_routes_off_means_fastapi_answers(
    database_url: str, kit_schema: str, auth: Callable[..., dict[str, str]]
) -> None:
    async with service_client(_app(database_url, False)) as c:
        r = await c.post("/lean/off", json={"n": 1}, headers=auth("bureau", "440103"))
    assert r.status_code == 200 and r.json()["via"] == "fastapi"
