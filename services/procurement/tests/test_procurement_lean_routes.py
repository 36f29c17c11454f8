"""The lean transition route answers exactly as the FastAPI route does, and writes the same.

Two apps on one database: the service as deployed (lean routes on) and the same service with
`lean_routes` off, where FastAPI answers every request (the reference). Each case puts one project
per app in the same state, sends the same request to both and compares the status, the body
(ids, times and request ids aside), the row and the audit trail.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio

from jiuzhu_devtools.testing import TEST_SECRET, service_client, test_today
from jiuzhu_procurement.app import create
from jiuzhu_procurement.settings import Settings

from .conftest import Kit

DIV = "441521"
OTHER = "440103"

_VOLATILE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)?"
)
_PER_REQUEST = {"request_id", "id", "created_at", "updated_at", "instance"}


def _stable(doc: Any) -> Any:
    """The document with what differs between two projects or two requests masked."""
    if isinstance(doc, dict):
        return {k: "…" if k in _PER_REQUEST else _stable(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_stable(v) for v in doc]
    if isinstance(doc, str):
        return _VOLATILE.sub("…", doc)
    return doc


@pytest_asyncio.fixture(loop_scope="session")
async def reference(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        DATABASE_URL=database_url, JWT_SECRET=TEST_SECRET, JIUZHU_ENVIRONMENT="test", lean_routes=False
    )
    async with service_client(create(settings)) as c:
        yield c


Send = Callable[[httpx.AsyncClient, str], Any]


def _post(body: bytes | dict[str, Any], headers: dict[str, str], path: str = "") -> Send:
    async def send(c: httpx.AsyncClient, pid: str) -> httpx.Response:
        url = path.format(pid=pid) if path else f"/projects/{pid}/transitions"
        if isinstance(body, dict):
            return await c.post(url, json=body, headers=headers)
        return await c.post(url, content=body, headers={"content-type": "application/json", **headers})

    return send


def _cases(auth: Callable[..., dict[str, str]]) -> dict[str, tuple[str, Send]]:
    """name → (the project's status before, the request)."""
    bureau, finance, outsider = auth("bureau", DIV), auth("finance", DIV), auth("bureau", OTHER)
    en = {**bureau, "accept-language": "en"}
    return {
        "handler-less transition": ("bidding_closed", _post({"to": "qualification_review"}, bureau)),
        "transition with a handler": (
            "bidding_closed",
            _post({"to": "failed", "reason": "无人响应"}, bureau),
        ),
        "cancel with reason": ("announced", _post({"to": "cancelled", "reason": "需求变更"}, bureau)),
        "not in the table": ("bidding_closed", _post({"to": "closed"}, bureau)),
        "not in the table, English": ("bidding_closed", _post({"to": "closed"}, en)),
        "reason required": ("bidding_closed", _post({"to": "failed"}, bureau)),
        "blank reason": ("announced", _post({"to": "cancelled", "reason": "   "}, bureau)),
        "role not allowed": ("bidding_closed", _post({"to": "qualification_review"}, finance)),
        "outside jurisdiction": ("bidding_closed", _post({"to": "qualification_review"}, outsider)),
        "no such project": (
            "bidding_closed",
            _post({"to": "qualification_review"}, bureau, f"/projects/{uuid.uuid4()}/transitions"),
        ),
        "payload on a transition without one": (
            "bidding_closed",
            _post({"to": "qualification_review", "data": {"x": 1}}, bureau),
        ),
        "unknown field": ("bidding_closed", _post({"to": "qualification_review", "x": 1}, bureau)),
        "target missing": ("bidding_closed", _post({"reason": "x"}, bureau)),
        "malformed JSON": ("bidding_closed", _post(b'{"to": "qualification_review"', bureau)),
        "duplicate keys": (
            "bidding_closed",
            _post(b'{"to": "closed", "to": "qualification_review"}', bureau),
        ),
        "NUL in a string": ("bidding_closed", _post(b'{"to": "qualification_review\\u0000"}', bureau)),
        "not an object": ("bidding_closed", _post(b'["qualification_review"]', bureau)),
        "no token": ("bidding_closed", _post({"to": "qualification_review"}, {})),
        "bad token": (
            "bidding_closed",
            _post({"to": "qualification_review"}, {"authorization": "Bearer x.y.z"}),
        ),
        "other scheme": (
            "bidding_closed",
            _post({"to": "qualification_review"}, {"authorization": "Basic eDp5"}),
        ),
        "id without hyphens": (
            "bidding_closed",
            _post({"to": "qualification_review"}, bureau, "/projects/{pid}/transitions"),
        ),
    }


async def _project(kit: Kit, client: httpx.AsyncClient, plan: str, status: str) -> str:
    kit.c = client
    pid = str((await kit.project(DIV, plan, budget="100000.00")).json()["id"])
    await kit.jump("project", pid, status=status, method="open_tender")
    return pid


async def _trail(kit: Kit, pid: str) -> list[Any]:
    rows = await kit.sql(
        "SELECT seq, action, actor, actor_roles, jurisdiction, reason, changes FROM procurement.audit_event"
        " WHERE aggregate_type = 'project' AND aggregate_id = $1 ORDER BY seq",
        pid,
    )
    return [_stable({**dict(r), "changes": json.loads(r["changes"]) if r["changes"] else None}) for r in rows]


async def _row(kit: Kit, pid: str) -> dict[str, Any]:
    (r,) = await kit.sql(
        "SELECT status, version, round, method FROM procurement.project WHERE id = $1::uuid", pid
    )
    return dict(r)


CASES = list(_cases(lambda *a, **k: {}).keys())


@pytest.mark.parametrize("case", CASES)
async def test_lean_route_answers_as_the_fastapi_route(
    case: str,
    client: httpx.AsyncClient,
    reference: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    kit: Kit,
) -> None:
    status, send = _cases(auth)[case]
    plan = await kit.plan(DIV, test_today().year)
    results = []
    for c in (client, reference):
        pid = await _project(kit, c, plan, status)
        if case == "id without hyphens":
            pid = pid.replace("-", "")
        r = await send(c, pid)
        pid = str(uuid.UUID(pid))
        body = r.json()
        results.append(
            (
                r.status_code,
                r.headers["content-type"],
                _stable(body),
                await _row(kit, pid),
                await _trail(kit, pid),
            )
        )
    lean, ref = results
    assert lean == ref
    if case == "handler-less transition":  # and the lean answer is the one that was checked
        assert lean[0] == 200 and lean[3]["status"] == "qualification_review"
    if case == "no such project":  # the problem the route declares in its OpenAPI
        assert (lean[0], lean[2]["code"]) == (404, "PROJECT_NOT_FOUND")


async def test_the_lean_route_runs_on_the_write_pool(
    client: httpx.AsyncClient, reference: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    """A handler-less transition goes through the write pool's connections (named `procurement-write`),
    a transition with a handler through the request's session, and with lean routes off nothing
    opens the write pool."""

    async def write_connections() -> int:
        rows = await kit.sql(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'procurement-write'"
            " AND datname = current_database()"
        )
        return int(rows[0]["n"])

    plan = await kit.plan(DIV, test_today().year)
    before = await write_connections()
    pid = await _project(kit, reference, plan, "bidding_closed")
    r = await reference.post(
        f"/projects/{pid}/transitions", json={"to": "qualification_review"}, headers=auth("bureau", DIV)
    )
    assert r.status_code == 200 and await write_connections() == before

    pid = await _project(kit, client, plan, "bidding_closed")
    r = await client.post(
        f"/projects/{pid}/transitions", json={"to": "qualification_review"}, headers=auth("bureau", DIV)
    )
    assert r.status_code == 200 and await write_connections() == before + 1


# ---- the other lean route: answering a challenge ---------------------------------------------


def _challenge_cases(auth: Callable[..., dict[str, str]]) -> dict[str, Send]:
    bureau, finance, outsider = auth("bureau", DIV), auth("finance", DIV), auth("bureau", OTHER)
    path = "/challenges/{pid}/transitions"
    return {
        "dismiss with reasons": _post({"to": "dismissed", "reason": "评审程序合法"}, bureau, path),
        "uphold with reasons": _post({"to": "upheld", "reason": "评分有误"}, bureau, path),
        "reason required": _post({"to": "dismissed"}, bureau, path),
        "not in the table": _post({"to": "open"}, bureau, path),
        "role not allowed": _post({"to": "dismissed", "reason": "x"}, finance, path),
        "outside jurisdiction": _post({"to": "dismissed", "reason": "x"}, outsider, path),
        "no such challenge": _post(
            {"to": "dismissed", "reason": "x"}, bureau, f"/challenges/{uuid.uuid4()}/transitions"
        ),
        "unknown field": _post({"to": "dismissed", "reason": "x", "y": 1}, bureau, path),
        "malformed JSON": _post(b'{"to": "dismissed"', bureau, path),
        "no token": _post({"to": "dismissed", "reason": "x"}, {}, path),
    }


CHALLENGE_CASES = list(_challenge_cases(lambda *a, **k: {}).keys())


async def _challenge(kit: Kit, client: httpx.AsyncClient, plan: str) -> str:
    """An open challenge against an awarded project (rows set up directly: the route is under test)."""
    pid = await _project(kit, client, plan, "awarded")
    (row,) = await kit.sql(
        "INSERT INTO procurement.challenge (id, project_id, division_code, uscc, grounds, submitted_on, status,"
        " version) VALUES (gen_random_uuid(), $1::uuid, $2, $3, '评分不公', $4, 'open', 1) RETURNING id",
        pid,
        DIV,
        "91441521MA0000001X",
        test_today(),
    )
    return str(row["id"])


@pytest.mark.parametrize("case", CHALLENGE_CASES)
async def test_the_challenge_lean_route_answers_as_the_fastapi_route(
    case: str,
    client: httpx.AsyncClient,
    reference: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    kit: Kit,
) -> None:
    send = _challenge_cases(auth)[case]
    plan = await kit.plan(DIV, test_today().year)
    results = []
    for c in (client, reference):
        cid = await _challenge(kit, c, plan)
        r = await send(c, cid)
        (row,) = await kit.sql(
            "SELECT status, version, decision FROM procurement.challenge WHERE id = $1::uuid", cid
        )
        trail = await kit.sql(
            "SELECT seq, action, actor, jurisdiction, reason FROM procurement.audit_event"
            " WHERE aggregate_type = 'challenge' AND aggregate_id = $1 ORDER BY seq",
            cid,
        )
        results.append(
            (r.status_code, r.headers["content-type"], _stable(r.json()), dict(row), [dict(t) for t in trail])
        )
    lean, ref = results
    assert lean == ref
    if case == "dismiss with reasons":
        assert (
            lean[0] == 200
            and lean[3]["status"] == "dismissed"
            and [t["action"] for t in lean[4]] == ["challenge.dismiss"]
        )


def test_lean_routes_reimplement_exactly_the_apps_guards() -> None:
    """A lean route skips FastAPI's dependencies, so it must re-implement each one the app declares
    (lean.py: the strict-JSON check, no Idempotency-Key). A guard added to the app without teaching
    lean.py about it would be silently bypassed on the lean routes: this test names it."""
    from jiuzhu_kit.idempotency import idempotency_guard
    from jiuzhu_kit.strictjson import strict_json_guard
    from jiuzhu_procurement.challenge.endpoints import router as challenge_router
    from jiuzhu_procurement.project.endpoints import router as project_router

    app = create(Settings(DATABASE_URL="postgresql://x@localhost/x", JWT_SECRET="t" * 32))
    assert [d.dependency for d in app.router.dependencies] == [strict_json_guard, idempotency_guard]
    # The FastAPI routes behind the lean ones ask for the principal and the session only.
    for path in ("/projects/{project_id}/transitions", "/challenges/{challenge_id}/transitions"):
        route = next(
            r for r in (*project_router.routes, *challenge_router.routes) if getattr(r, "path", None) == path
        )
        calls = {d.call.__name__ for d in route.dependant.dependencies if d.call}  # type: ignore[attr-defined]
        assert calls <= {"current_principal", "get_session", "strict_json_guard", "idempotency_guard"}, calls
