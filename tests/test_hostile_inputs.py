"""Hostile inputs are refused cleanly: a 4xx problem+json with a stable code, never a 5xx, nothing written.

The body attacks are sent to every operation with a JSON request body in every service's
committed contract (generated from openapi.json, not listed by hand), in-process on the real test
database; a few go through the real gateway too. The request-size limit is the kit's
`KitSettings.max_body_bytes` (1 MiB) applied by FastAPI's own `max_body_size` (Starlette's
RequestBodyLimitMiddleware): a declared Content-Length over it is refused before reading, a
chunked body as soon as it passes it. Bulk routes raise it for themselves (staffing
/calculations/batch 16 MiB, evaluation /surveys/{id}/responses/bulk 8 MiB).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from jiuzhu_devtools.testing import LiveStack
from tests.fuzzing import (
    CONTRACTOR_ORG,
    NATIONAL,
    ROLES,
    SERVICE_NAMES,
    fill_path,
    is_problem,
    row_counts,
    spec,
)

MiB = 1024 * 1024
OVER_EVERY_LIMIT = 20 * MiB
DEPTH = 10_000
STAFFING = {
    "on": "2019-06-01",
    "county": {"division_code": "440103", "townships": [{"name": "甲镇", "assisted_households": 301}]},
}

# (name, body bytes, content type): every one must be refused by every JSON-body operation.
BODY_ATTACKS: list[tuple[str, bytes, str]] = [
    ("deep array", b"[" * DEPTH + b"]" * DEPTH, "application/json"),
    ("deep object", b'{"a":' * DEPTH + b"1" + b"}" * DEPTH, "application/json"),
    ("invalid utf-8", b'{"name": "\xff\xfe\xfd", "division_code": "\xc3\x28"}', "application/json"),
    ("lone surrogate escape", b'{"name": "\\ud800", "division_code": "440103"}', "application/json"),
    ("NaN literal", b'{"x": NaN}', "application/json"),
    ("Infinity literal", b'{"x": -Infinity}', "application/json"),
    ("1e400", b'{"x": 1e400}', "application/json"),
    ("duplicate keys", b'{"division_code": "440103", "division_code": "110101"}', "application/json"),
    ("empty body", b"", "application/json"),
    ("truncated JSON", b'{"division_code": "44', "application/json"),
    ("two documents", b'{"a": 1} {"b": 2}', "application/json"),
    ("JSON as text/plain", b"{}", "text/plain"),
    ("XML", b"<?xml version='1.0'?><a>1</a>", "application/xml"),
    ("form", b"division_code=440103&name=x", "application/x-www-form-urlencoded"),
    (
        "multipart",
        b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
    ),
    ("scalar null", b"null", "application/json"),
    ("array instead of object", b"[1, 2, 3]", "application/json"),
]
INJECTIONS = [
    "' OR '1'='1",
    "1; DROP TABLE staffing.scenario; --",
    "../../../../etc/passwd",
    "%00%0d%0aSet-Cookie: a=1",
    "${jndi:ldap://127.0.0.1/x}",
    "<script>alert(1)</script>",
    '{"$ne": null}',
    "\u202e\u0000",
]


# ---- helpers ------------------------------------------------------------------------------


def body_operations(service: str) -> list[tuple[str, str]]:
    out = []
    for path, ops in spec(service)["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                out.append((method.upper(), path))
    return out


def assert_refused(r: httpx.Response, what: str, allowed: set[int] | None = None) -> None:
    assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
    assert 400 <= r.status_code < 500, f"{what}: accepted with {r.status_code} {r.text[:300]}"
    if allowed is not None:
        assert r.status_code in allowed, f"{what}: {r.status_code} not in {allowed}: {r.text[:300]}"
    assert is_problem(r), f"{what}: not a problem+json: {r.headers.get('content-type')} {r.text[:300]}"


@pytest.fixture(scope="module")
def superuser(auth: Callable[..., dict[str, str]]) -> dict[str, str]:
    return auth(list(ROLES), NATIONAL, sub="hostile", org=CONTRACTOR_ORG)


# ---- body attacks on every JSON-body operation --------------------------------------------


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_body_attacks_refused_on_every_write(
    service: str, clients: dict[str, httpx.AsyncClient], superuser: dict[str, str], database_url: str
) -> None:
    c = clients[service]
    ops = body_operations(service)
    assert ops, f"{service}: no JSON-body operations in its contract"
    before = await row_counts(database_url)
    for method, path in ops:
        url = fill_path(service, method, path)
        for name, body, ctype in BODY_ATTACKS:
            r = await c.request(method, url, content=body, headers={**superuser, "Content-Type": ctype})
            assert_refused(r, f"{service} {method} {path} [{name}]")
            if name == "duplicate keys" and r.status_code == 422:
                assert r.json()["code"] in {"JSON_AMBIGUOUS", "REQUEST_INVALID", "VALIDATION_FAILED"}
    assert await row_counts(database_url) == before, "a refused request wrote something"


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_huge_bodies_refused_before_reading(
    service: str, clients: dict[str, httpx.AsyncClient], superuser: dict[str, str], database_url: str
) -> None:
    c = clients[service]
    before = await row_counts(database_url)
    huge = b'{"pad": "' + b"x" * OVER_EVERY_LIMIT + b'"}'
    for method, path in body_operations(service):
        url = fill_path(service, method, path)
        r = await c.request(
            method, url, content=huge, headers={**superuser, "Content-Type": "application/json"}
        )
        assert_refused(r, f"{service} {method} {path} [20 MiB declared]", {413})
        assert r.json()["code"] == "PAYLOAD_TOO_LARGE"

        sent = 0

        async def stream() -> AsyncIterator[bytes]:
            nonlocal sent
            chunk = b" " * (256 * 1024)
            while sent < OVER_EVERY_LIMIT:
                sent += len(chunk)
                yield chunk

        r = await c.request(
            method, url, content=stream(), headers={**superuser, "Content-Type": "application/json"}
        )
        assert_refused(r, f"{service} {method} {path} [20 MiB chunked]", {413})
        assert sent < OVER_EVERY_LIMIT, "the whole chunked body was read before refusing it"
    assert await row_counts(database_url) == before


async def test_one_mebibyte_limit_and_bulk_exceptions(
    clients: dict[str, httpx.AsyncClient], superuser: dict[str, str]
) -> None:
    """Just over 1 MiB is refused on an ordinary write; the national batch route takes 6+ MB."""
    pad = "x" * (MiB + 10)
    r = await clients["staffing"].post(
        "/scenarios", json={"division_code": "440103", "name": pad, "inputs": STAFFING}, headers=superuser
    )
    assert_refused(r, "1 MiB scenario", {413})
    from jiuzhu_staffing.batch.sample import national_counties

    batch = json.dumps({"on": "2019-06-01", "pack": "gd-city-plan", "counties": national_counties()}).encode()
    assert len(batch) > 6 * MiB
    r = await clients["staffing"].post(
        "/calculations/batch", content=batch, headers={**superuser, "Content-Type": "application/json"}
    )
    assert r.status_code == 200, r.text[:300]


# ---- numbers, dates, duplicate keys on a real write --------------------------------------


async def test_duplicate_keys_refused_with_stable_code(
    clients: dict[str, httpx.AsyncClient], superuser: dict[str, str], database_url: str
) -> None:
    before = await row_counts(database_url)
    # A parser keeping the first key would see 440103, Python's json the last (110101).
    body = (
        b'{"division_code": "440103", "name": "x", "division_code": "110101", "inputs": '
        + json.dumps(STAFFING).encode()
        + b"}"
    )
    r = await clients["staffing"].post(
        "/scenarios", content=body, headers={**superuser, "Content-Type": "application/json"}
    )
    assert_refused(r, "duplicate division_code", {422})
    assert r.json()["code"] == "JSON_AMBIGUOUS" and r.json()["errors"][0]["code"] == "JSON_DUPLICATE_KEY"
    nested = json.dumps(STAFFING).replace(
        '"assisted_households": 301', '"assisted_households": 301, "assisted_households": 1'
    )
    r = await clients["staffing"].post(
        "/calculations/staffing",
        content=nested.encode(),
        headers={**superuser, "Content-Type": "application/json"},
    )
    assert_refused(r, "nested duplicate", {422})
    assert await row_counts(database_url) == before


def _staffing_with(households: str) -> bytes:
    return (
        '{"on": "2019-06-01", "county": {"division_code": "440103", "townships": '
        f'[{{"name": "甲镇", "assisted_households": {households}}}]}}}}'
    ).encode()


@pytest.mark.parametrize(
    "households",
    ["1e400", "-1e400", "NaN", "Infinity", "10" + "0" * 29, "-1", "1.5", "9" * 5000],
)
async def test_absurd_household_counts_refused(
    households: str, clients: dict[str, httpx.AsyncClient], superuser: dict[str, str]
) -> None:
    r = await clients["staffing"].post(
        "/calculations/staffing",
        content=_staffing_with(households),
        headers={**superuser, "Content-Type": "application/json"},
    )
    assert_refused(r, f"assisted_households={households[:40]}", {400, 422})


async def test_negative_zero_is_zero(
    clients: dict[str, httpx.AsyncClient], superuser: dict[str, str]
) -> None:
    """-0 is a valid JSON number equal to 0: answered exactly as 0, not refused, not negative."""
    h = {**superuser, "Content-Type": "application/json"}
    zero = await clients["staffing"].post("/calculations/staffing", content=_staffing_with("0"), headers=h)
    minus = await clients["staffing"].post("/calculations/staffing", content=_staffing_with("-0"), headers=h)
    assert zero.status_code == minus.status_code == 200, minus.text[:300]
    assert zero.json()["total"] == minus.json()["total"]


@pytest.mark.parametrize(
    "amount",
    [
        '"1e400"',
        "1e400",
        '"NaN"',
        '"Infinity"',
        '"-Infinity"',
        '"1' + "0" * 30 + '"',
        '"-1"',
        '"1.001"',
        '"12 34"',
        '"0x10"',
        '"1e-400"',
    ],
)
async def test_absurd_money_refused(
    amount: str, clients: dict[str, httpx.AsyncClient], superuser: dict[str, str]
) -> None:
    body = (
        '{"division_code": "440103", "start": "2019-07-01", "people": 3, '
        f'"dibao_spending_last_year": {amount}}}'
    ).encode()
    r = await clients["staffing"].post(
        "/calculations/budget", content=body, headers={**superuser, "Content-Type": "application/json"}
    )
    assert_refused(r, f"money {amount}", {422})


@pytest.mark.parametrize(
    "day",
    ["0000-01-01", "2026-02-30", "2026-13-01", "-0001-01-01", "+10000-01-01", "2026-2-3", "20260203x", ""],
)
async def test_impossible_dates_refused(
    day: str, clients: dict[str, httpx.AsyncClient], superuser: dict[str, str]
) -> None:
    r = await clients["staffing"].post(
        "/calculations/staffing", json={**STAFFING, "on": day}, headers=superuser
    )
    assert_refused(r, f"on={day}", {422})


async def test_far_dates_and_years_are_clean(
    clients: dict[str, httpx.AsyncClient], superuser: dict[str, str]
) -> None:
    """Valid but absurd dates never overflow into a 500 (each of these was a 500 before)."""
    for service in SERVICE_NAMES:
        c = clients[service]
        r = await c.get("/calendar/working-days", params={"start": "9999-12-31", "days": 1000})
        assert_refused(r, f"{service} working-days from 9999-12-31", {422})
        r = await c.get("/calendar/27433369215326")
        assert_refused(r, f"{service} calendar year 27433369215326", {422})
        r = await c.get("/calendar/0")
        assert_refused(r, f"{service} calendar year 0", {422})
    r = await clients["staffing"].get("/compliance/reports/440103/44216205526", headers=superuser)
    assert_refused(r, "compliance report year 44216205526", {422})
    r = await clients["staffing"].post(
        "/calculations/staffing", json={**STAFFING, "on": "9999-12-31"}, headers=superuser
    )
    assert r.status_code < 500 and (r.status_code < 400 or is_problem(r)), r.text[:300]


async def test_survey_for_unknown_round_is_a_declared_404(
    clients: dict[str, httpx.AsyncClient], superuser: dict[str, str]
) -> None:
    """Found by fuzzing: the 404 was real but missing from the contract."""
    r = await clients["evaluation"].post("/surveys", json={"round_id": str(uuid.uuid4())}, headers=superuser)
    assert_refused(r, "survey for unknown round", {404})
    declared = spec("evaluation")["paths"]["/surveys"]["post"]["responses"]
    assert "404" in declared


# ---- injection strings -------------------------------------------------------------------


def _path_operations(service: str) -> Iterator[tuple[str, str]]:
    for path, ops in spec(service)["paths"].items():
        for method in ops:
            if method == "get" and "{" in path:
                yield method.upper(), path


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_injection_in_paths_and_queries(
    service: str, clients: dict[str, httpx.AsyncClient], superuser: dict[str, str], database_url: str
) -> None:
    c = clients[service]
    before = await row_counts(database_url)
    for method, path in _path_operations(service):
        for bad in INJECTIONS:
            url = fill_path(service, method, path, bad)
            r = await c.request(method, url, headers=superuser)
            assert r.status_code < 500, f"{service} {url}: {r.status_code} {r.text[:200]}"
            if r.status_code >= 400:
                assert is_problem(r), f"{service} {url}: {r.text[:200]}"
    for path, ops in spec(service)["paths"].items():
        op = ops.get("get")
        if not op or "{" in path:
            continue
        for p in op.get("parameters", []):
            if p["in"] == "query":
                for bad in INJECTIONS:
                    r = await c.get(path, params={p["name"]: bad}, headers=superuser)
                    assert r.status_code < 500, f"{service} {path}?{p['name']}={bad!r}: {r.text[:200]}"
    assert await row_counts(database_url) == before


async def test_injection_text_is_stored_verbatim_not_executed(
    clients: dict[str, httpx.AsyncClient], auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    """Free text may contain anything: it is data (bound parameters), stored and returned verbatim."""
    c = clients["staffing"]
    h = auth("bureau", "440103")
    for bad in INJECTIONS[:-1]:
        r = await c.post(
            "/scenarios", json={"division_code": "440103", "name": bad, "inputs": STAFFING}, headers=h
        )
        assert r.status_code == 201, r.text[:300]
        got = await c.get(f"/scenarios/{r.json()['id']}", headers=h)
        assert got.json()["name"] == bad
    counts = await row_counts(database_url)
    assert counts["staffing.scenario"] == len(INJECTIONS) - 1  # the table is still there, all rows in it


async def test_nul_character_refused_not_500(
    clients: dict[str, httpx.AsyncClient], auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    """Postgres text cannot hold U+0000: refused as a bad field, never a database error."""
    before = await row_counts(database_url)
    r = await clients["staffing"].post(
        "/scenarios",
        json={"division_code": "440103", "name": "a\u0000b", "inputs": STAFFING},
        headers=auth("bureau", "440103"),
    )
    assert_refused(r, "NUL in name", {422})
    assert await row_counts(database_url) == before


async def _raw(
    app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One request straight through ASGI, so header bytes no HTTP client would send reach the app."""
    sent: list[dict[str, Any]] = []
    done = False

    async def receive() -> dict[str, Any]:
        nonlocal done
        if done:
            return {"type": "http.disconnect"}
        done = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
        "state": {},
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return (
        start["status"],
        start["headers"],
        b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
    )


async def test_crlf_in_headers_never_reflected(
    clients: dict[str, httpx.AsyncClient], token: Callable[..., str], database_url: str
) -> None:
    app = clients["staffing"]._transport.app  # type: ignore[attr-defined]
    bearer = f"Bearer {token('bureau', '440103')}".encode()
    evil = b"abc\r\nSet-Cookie: pwned=1"
    status, headers, _ = await _raw(app, "GET", "/healthz", [(b"x-request-id", evil)])
    assert status == 200
    assert all(b"\r" not in v and b"\n" not in v for _, v in headers)
    assert not any(k.lower() == b"set-cookie" for k, _ in headers)
    rid = dict(headers)[b"x-request-id"]
    assert rid != evil and b"pwned" not in rid

    before = await row_counts(database_url)
    body = json.dumps({"division_code": "440103", "name": "crlf", "inputs": STAFFING}).encode()
    status, headers, out = await _raw(
        app,
        "POST",
        "/scenarios",
        [
            (b"authorization", bearer),
            (b"content-type", b"application/json"),
            (b"idempotency-key", b"k\r\nX-Evil: 1"),
        ],
        body,
    )
    assert status == 400 and json.loads(out)["code"] == "IDEMPOTENCY_KEY_INVALID"
    status, _, out = await _raw(
        app,
        "POST",
        "/scenarios",
        [(b"authorization", bearer + b"\r\nX: y"), (b"content-type", b"application/json")],
        body,
    )
    assert status == 401 and json.loads(out)["code"] == "TOKEN_INVALID"
    assert await row_counts(database_url) == before


# ---- through the real gateway ------------------------------------------------------------


GATEWAY_ATTACKS = [
    ("20 MiB body", b'{"pad": "' + b"x" * OVER_EVERY_LIMIT + b'"}', {413}),
    ("deep object", b'{"a":' * DEPTH + b"1" + b"}" * DEPTH, {400, 422}),
    ("invalid utf-8", b'{"name": "\xff\xfe"}', {400, 422}),
    (
        "duplicate keys",
        b'{"division_code": "440103", "division_code": "110101", "name": "x", "inputs": {}}',
        {422},
    ),
    ("NaN", b'{"division_code": "440103", "name": "x", "inputs": {"x": NaN}}', {422}),
]


@pytest.mark.parametrize(("name", "body", "allowed"), GATEWAY_ATTACKS, ids=[a[0] for a in GATEWAY_ATTACKS])
async def test_attacks_through_the_gateway(
    name: str,
    body: bytes,
    allowed: set[int],
    live_stack: LiveStack,
    auth: Callable[..., dict[str, str]],
    database_url: str,
) -> None:
    before = await row_counts(database_url)
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=60) as c:
        r = await c.post(
            "/api/staffing/scenarios",
            content=body,
            headers={**auth("bureau", "440103"), "Content-Type": "application/json"},
        )
    assert_refused(r, f"gateway [{name}]", allowed)
    assert await row_counts(database_url) == before
