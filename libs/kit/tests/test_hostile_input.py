"""The kit refuses hostile input cleanly: size limit, ambiguous JSON, NUL, out-of-range calendar years;
and `problem_contract` makes the OpenAPI declare what the kit really answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
from fastapi import FastAPI

from jiuzhu_devtools.testing import TEST_SECRET
from jiuzhu_kit.app import create_app
from jiuzhu_kit.settings import KitSettings

from .conftest import kit, router

JSON = {"Content-Type": "application/json"}


def _problem(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code


async def test_declared_length_over_limit_is_a_413_problem(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'
    r = await client.post("/widgets", content=body, headers={**auth(), **JSON})
    _problem(r, 413, "PAYLOAD_TOO_LARGE")


async def test_chunked_body_is_cut_off_at_the_limit(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        while sent < 10 * 1024 * 1024:
            sent += 64 * 1024
            yield b" " * (64 * 1024)

    r = await client.post("/widgets", content=chunks(), headers={**auth(), **JSON})
    _problem(r, 413, "PAYLOAD_TOO_LARGE")
    assert sent < 2 * 1024 * 1024


async def test_route_override_raises_the_limit(database_url: str) -> None:
    from jiuzhu_devtools.testing import service_client

    app: FastAPI = create_app(
        service="kit-test",
        title="t",
        version="0",
        description="",
        settings=KitSettings(DATABASE_URL=database_url, JWT_SECRET=TEST_SECRET, JIUZHU_ENVIRONMENT="test"),
        tables=kit,
        routers=[router],
        configure_logs=False,
        body_limits={"/widgets": 4 * 1024 * 1024},
    )
    async with service_client(app) as c:
        r = await c.post("/widgets", content=b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}', headers=JSON)
        assert r.status_code == 401  # read in full, then refused for the missing token, not 413


async def test_duplicate_keys_and_nan_are_ambiguous(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    dup = b'{"division_code": "350802", "name": "a", "price": "1.00", "name": "b"}'
    r = await client.post("/widgets", content=dup, headers={**auth(), **JSON})
    _problem(r, 422, "JSON_AMBIGUOUS")
    assert r.json()["errors"][0]["code"] == "JSON_DUPLICATE_KEY"
    nan = b'{"division_code": "350802", "name": "a", "price": NaN}'
    r = await client.post("/widgets", content=nan, headers={**auth(), **JSON})
    _problem(r, 422, "JSON_AMBIGUOUS")


async def test_nul_is_refused_not_a_database_error(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = b'{"division_code": "350802", "name": "a\\u0000b", "price": "1.00"}'
    r = await client.post("/widgets", content=body, headers={**auth(), **JSON})
    _problem(r, 422, "NUL_CHARACTER")
    r = await client.get("/calendar/working-days", params={"start": "2026-01-05\x00", "days": 1})
    _problem(r, 422, "NUL_CHARACTER")
    ok = b'{"division_code": "350802", "name": "a\\\\u0000b", "price": "1.00"}'  # an escaped backslash
    assert (await client.post("/widgets", content=ok, headers={**auth(), **JSON})).status_code == 201


async def test_calendar_years_out_of_range_are_422_not_500(client: httpx.AsyncClient) -> None:
    for year in ("0", "1999", "2101", "27433369215326"):
        r = await client.get(f"/calendar/{year}")
        assert r.status_code == 422, (year, r.text)
    r = await client.get("/calendar/working-days", params={"start": "9999-12-31", "days": 1000})
    _problem(r, 422, "VALIDATION_FAILED")


def test_problem_contract_declares_the_real_responses(kit_app: FastAPI) -> None:
    app = create_app(
        service="kit-test",
        title="t",
        version="0",
        description="",
        settings=kit_app.state.settings,
        tables=kit,
        routers=[router],
        configure_logs=False,
        problem_contract=True,
    )
    spec = app.openapi()
    post = spec["paths"]["/widgets"]["post"]
    for status in ("400", "401", "403", "413", "422", "503"):
        assert post["responses"][status]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }, status
    assert post["security"] == [{"HTTPBearer": []}]
    public = spec["paths"]["/calendar/{year}"]["get"]
    assert public["security"] == [{}, {"HTTPBearer": []}] and "403" not in public["responses"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    # Off by default: the plain FastAPI contract is unchanged for services that have not opted in.
    plain = kit_app.openapi()["paths"]["/widgets"]["post"]["responses"]
    assert "401" not in plain
