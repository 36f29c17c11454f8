"""Authorization matrix generated from every service's OpenAPI: endpoint × role × jurisdiction, no leak.

The expected policy per endpoint is data (tests/fuzzing/authz_policy.toml, reviewed by hand); the
endpoints come from the committed openapi.json files, so a new endpoint without a policy line
fails here. Two parts:

1. Roles: every operation × (no token, each of the 8 roles) × (own county, sibling county, parent
   city, other province). No token → 401 unless public; a role outside the policy → 403
   ROLE_FORBIDDEN; a role inside it is never refused for its role.
2. Jurisdiction: real data is created in one county (Lingwu 640181) in every service, then every
   operation whose path can be filled with that data is called from the same county, a sibling
   county (Yongning 640121), the parent city (Yinchuan 640100) and another province (Liwan 440103).
   Reads from outside look exactly like "not found" and never carry the data; writes from outside
   are refused and write nothing; list endpoints never show another jurisdiction's rows.
3. Reads on real records in every state (tests/test_authz_reads.py): histories follow the single
   read, sentinel values (personal data, bid prices, panel scores, bidders) reach only who may see
   them, every role × place incl. national, contractors as bidder and as outsider.
4. Writes with valid bodies (tests/test_authz_writes.py, bodies in tests/fuzzing/valid_bodies.py):
   refused for jurisdiction or role, never as invalid (422), and nothing written.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from jiuzhu_devtools.seeds import LINGWU_PARTIES
from tests.fuzzing import (
    CONTRACTOR_ORG,
    ROLES,
    SERVICE_NAMES,
    SERVICES,
    fill_path,
    is_problem,
    operations,
    row_counts,
    spec,
)

POLICY: dict[str, dict[str, dict[str, Any]]] = tomllib.loads(
    (Path(__file__).parent / "fuzzing" / "authz_policy.toml").read_text(encoding="utf-8")
)
OWN, SIBLING, CITY, OTHER = "640181", "640121", "640100", "440103"
PLACES = {"own county": OWN, "sibling county": SIBLING, "parent city": CITY, "other province": OTHER}
OUTSIDE = ("sibling county", "other province")


def policy(service: str, method: str, path: str) -> dict[str, Any]:
    entry = POLICY.get(service, {}).get(f"{method} {path}")
    assert entry is not None, f"{service} {method} {path}: no line in tests/fuzzing/authz_policy.toml"
    return entry


def test_policy_table_matches_the_contracts() -> None:
    """Every operation has a policy, and the table names no operation that no longer exists."""
    for s in SERVICES:
        ops = {f"{m} {p}" for m, p in operations(s.name)}
        listed = set(POLICY.get(s.name, {}))
        assert ops - listed == set(), f"{s.name}: operations without a policy: {sorted(ops - listed)}"
        assert listed - ops == set(), f"{s.name}: policy lines for unknown operations: {sorted(listed - ops)}"
        for op, entry in POLICY[s.name].items():
            access = entry["access"]
            assert access in ("public", "token") or (
                isinstance(access, list) and set(access) <= set(ROLES)
            ), f"{s.name} {op}: bad access {access!r}"
            assert entry.get("gate", "role") in ("role", "service"), op


# ---- 1. roles ------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_role_matrix(
    service: str, clients: dict[str, httpx.AsyncClient], auth: Callable[..., dict[str, str]]
) -> None:
    c = clients[service]
    problems: list[str] = []
    for method, path in operations(service):
        entry = policy(service, method, path)
        access, gate = entry["access"], entry.get("gate", "role")
        url = fill_path(service, method, path)
        kw: dict[str, Any] = {} if method == "GET" else {"json": {}}
        r = await c.request(method, url, **kw)
        label = f"{method} {path}"
        if access == "public":
            if r.status_code in (401, 403):
                problems.append(f"{label}: public, but no token got {r.status_code}")
        elif r.status_code != 401 or not is_problem(r):
            problems.append(f"{label}: no token got {r.status_code}, expected a 401 problem")
        for role in ROLES:
            allowed = access in ("public", "token") or role == "admin" or role in access
            for place, div in PLACES.items():
                h = auth(role, div, sub=f"{role}-{div}", org=CONTRACTOR_ORG if role == "contractor" else None)
                r = await c.request(method, url, headers=h, **kw)
                who = f"{label} as {role} of {place}"
                if r.status_code >= 500:
                    problems.append(f"{who}: {r.status_code}")
                elif r.status_code == 401:
                    problems.append(f"{who}: a valid token got 401")
                elif not allowed and gate == "role":
                    if r.status_code != 403 or r.json().get("code") != "ROLE_FORBIDDEN":
                        problems.append(
                            f"{who}: expected 403 ROLE_FORBIDDEN, got {r.status_code} {r.text[:120]}"
                        )
                elif allowed and r.status_code == 403 and r.json().get("code") == "ROLE_FORBIDDEN":
                    problems.append(f"{who}: the policy allows this role, got ROLE_FORBIDDEN")
    assert not problems, "\n".join(problems)


# ---- 2. jurisdiction -----------------------------------------------------------------------

STAFFING_INPUTS = {
    "on": "2019-06-01",
    "county": {"division_code": OWN, "townships": [{"name": "崇兴镇", "assisted_households": 320}]},
}


def round_body(division: str) -> dict[str, Any]:
    from jiuzhu_evaluation.template.builtin import builtin_id

    return {
        "contract_id": str(uuid.uuid4()),
        "period_kind": "half_yearly",
        "period": "2019-H1",
        "contractor_uscc": CONTRACTOR_ORG,
        "purchaser_division": division,
        "template_id": str(builtin_id("social-assistance-comprehensive")),
        "parties": LINGWU_PARTIES,
    }


def plan_body(division: str) -> dict[str, Any]:
    return {
        "division_code": division,
        "year": 2026,
        "title": "2026 年度购买社会救助服务计划",
        "budget_lines": [
            {"funding_source": "working_funds", "amount": "500000.00", "scope": "社会救助经办服务"}
        ],
    }


# (service, create path, body maker, path segment its id fills): the data created in OWN.
CREATES: list[tuple[str, str, Callable[[str], dict[str, Any]], str]] = [
    (
        "staffing",
        "/scenarios",
        lambda d: {"division_code": d, "name": "灵武测算", "inputs": STAFFING_INPUTS},
        "scenarios",
    ),
    ("procurement", "/plans", plan_body, "plans"),
    ("evaluation", "/rounds", round_body, "rounds"),
]


@pytest_asyncio.fixture(loop_scope="session")
async def owned(
    clients: dict[str, httpx.AsyncClient], auth: Callable[..., dict[str, str]]
) -> dict[str, dict[str, str]]:
    """Data in Lingwu: service → {path segment → id}."""
    out: dict[str, dict[str, str]] = {s: {} for s in SERVICE_NAMES}
    own = auth("bureau", OWN, sub="bureau-own")
    for service, path, body, segment in CREATES:
        if service not in clients:
            continue
        r = await clients[service].post(path, json=body(OWN), headers=own)
        assert r.status_code == 201, f"{service} {path}: {r.status_code} {r.text[:300]}"
        out[service][segment] = str(r.json()["id"])
    if "evaluation" in clients:
        r = await clients["evaluation"].post(
            "/surveys", json={"round_id": out["evaluation"]["rounds"]}, headers=own
        )
        assert r.status_code == 201, r.text
        out["evaluation"]["surveys"] = str(r.json()["id"])
    return out


def fillable(service: str, ids: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """(METHOD, path template, concrete url) of every operation whose path the owned data fills:
    the first path segment names the resource and it is the path's only parameter."""
    for method, path in operations(service):
        segments = path.strip("/").split("/")
        params = [s for s in segments if s.startswith("{")]
        if len(params) != 1 or segments[0] not in ids or not segments[1:2] or segments[1] != params[0]:
            continue
        yield method, path, path.replace(params[0], ids[segments[0]])


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_outside_jurisdiction_reads_look_like_not_found(
    service: str,
    clients: dict[str, httpx.AsyncClient],
    owned: dict[str, dict[str, str]],
    auth: Callable[..., dict[str, str]],
) -> None:
    c, ids = clients[service], owned[service]
    secrets = list(ids.values())
    probed, visible, problems = 0, 0, []
    for method, path, url in fillable(service, ids):
        if method != "GET":
            continue
        probed += 1
        status, codes = {}, {}
        for place, div in PLACES.items():  # the own county first
            for role in ("bureau", "auditor"):
                r = await c.get(url, headers=auth(role, div, sub=f"{role}-{div}"))
                status[(place, role)] = r.status_code
                codes[(place, role)] = r.json().get("code") if r.status_code >= 400 else None
                if place in OUTSIDE:
                    # One answer: a role that never reads this kind of record is refused as at home
                    # (which tells nothing); any other finds the record absent.
                    own = (status[("own county", role)], codes[("own county", role)])
                    got = (r.status_code, codes[(place, role)])
                    if own == (403, "ROLE_FORBIDDEN") and got != own:
                        problems.append(f"GET {path} as {role} of {place}: {got}, at home {own}")
                    if own != (403, "ROLE_FORBIDDEN") and not (
                        got[0] == 404 and str(got[1]).endswith("NOT_FOUND")
                    ):
                        problems.append(f"GET {path} as {role} of {place}: {r.status_code} {r.text[:150]}")
                    if any(s in r.text for s in secrets if r.status_code < 400):
                        problems.append(f"GET {path} as {role} of {place}: the data leaked")
        visible += status[("own county", "bureau")] == 200
        for role in ("bureau", "auditor"):
            own = status[("own county", role)]
            if status[("parent city", role)] != own:
                problems.append(
                    f"GET {path} as {role}: own county {own}, parent city {status[('parent city', role)]}"
                )
    assert probed > 0, f"{service}: no read was filled with the owned data"
    assert visible > 0, f"{service}: the owner itself could read none of its data: the probe proves nothing"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_lists_never_show_another_jurisdictions_rows(
    service: str,
    clients: dict[str, httpx.AsyncClient],
    owned: dict[str, dict[str, str]],
    auth: Callable[..., dict[str, str]],
) -> None:
    """Every GET without path parameters, from outside, with and without a division filter naming
    the owned county: the owned ids never appear."""
    c, secrets = clients[service], list(owned[service].values())
    problems, seen_by_owner = [], 0
    for method, path in operations(service):
        if method != "GET" or "{" in path:
            continue
        op = spec(service)["paths"][path]["get"]
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        variants: list[dict[str, str]] = [{}]
        variants += [{n: OWN} for n in names if "division" in n]
        for params in variants:
            r = await c.get(path, params=params, headers=auth("bureau", OWN, sub="bureau-own"))
            if r.status_code == 200 and any(s in r.text for s in secrets):
                seen_by_owner += 1
            for place in OUTSIDE:
                for role in ("bureau", "auditor", "finance", "contractor"):
                    r = await c.get(
                        path, params=params, headers=auth(role, PLACES[place], sub=f"{role}-{place}")
                    )
                    assert r.status_code < 500, f"GET {path} {params}: {r.status_code}"
                    if r.status_code < 400 and any(s in r.text for s in secrets):
                        problems.append(f"GET {path}?{params} as {role} of {place}: lists the owned data")
    assert not problems, "\n".join(problems)
    if service == "evaluation":  # the probe can fail: the owner does see its round in a list
        assert seen_by_owner > 0


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_outside_jurisdiction_writes_are_refused_and_write_nothing(
    service: str,
    clients: dict[str, httpx.AsyncClient],
    owned: dict[str, dict[str, str]],
    auth: Callable[..., dict[str, str]],
    database_url: str,
) -> None:
    c, ids = clients[service], owned[service]
    problems = []
    before = await row_counts(database_url)
    # Creating in someone else's county, with a role allowed to create.
    for svc, path, body, _ in CREATES:
        if svc != service:
            continue
        for place in OUTSIDE:
            r = await c.post(
                path, json=body(OWN), headers=auth("bureau", PLACES[place], sub=f"bureau-{place}")
            )
            if (r.status_code, r.json().get("code")) != (403, "JURISDICTION_FORBIDDEN"):
                problems.append(f"POST {path} for {OWN} as bureau of {place}: {r.status_code} {r.text[:150]}")
    # Every write on the owned data, from outside, with every role the policy lets in.
    for method, path, url in fillable(service, ids):
        if method == "GET":
            continue
        entry = policy(service, method, path)
        roles = (
            list(ROLES)
            if entry["access"] in ("public", "token")
            else [r for r in entry["access"] if r != "admin"]
        )
        for place in OUTSIDE:
            for role in roles or ["admin"]:
                for body in ({}, {"to": "submitted"}, {"to": "closed"}):
                    r = await c.request(
                        method,
                        url,
                        json=body,
                        headers=auth(role, PLACES[place], sub=f"{role}-{place}", org=CONTRACTOR_ORG),
                    )
                    if r.status_code < 300 or r.status_code >= 500:
                        problems.append(
                            f"{method} {path} {body} as {role} of {place}: {r.status_code} {r.text[:150]}"
                        )
    assert await row_counts(database_url) == before, "a refused write wrote something"
    assert not problems, "\n".join(problems)


async def test_the_owner_can_do_what_outsiders_cannot(
    clients: dict[str, httpx.AsyncClient],
    owned: dict[str, dict[str, str]],
    auth: Callable[..., dict[str, str]],
) -> None:
    """The refusals above are about jurisdiction, not broken requests: the same writes succeed at home."""
    if "procurement" in clients:
        plan = owned["procurement"]["plans"]
        r = await clients["procurement"].post(
            f"/plans/{plan}/transitions", json={"to": "submitted"}, headers=auth("bureau", SIBLING)
        )
        assert (r.status_code, r.json()["code"]) == (404, "PLAN_NOT_FOUND"), r.text
        r = await clients["procurement"].post(
            f"/plans/{plan}/transitions", json={"to": "submitted"}, headers=auth("bureau", OWN)
        )
        assert r.status_code == 200, r.text
    survey = owned["evaluation"]["surveys"]
    r = await clients["evaluation"].post(f"/surveys/{survey}/close", headers=auth("bureau", SIBLING))
    # Every write on a record reads it through its read policy first: outside, it looks absent.
    assert (r.status_code, r.json()["code"]) == (404, "SURVEY_NOT_FOUND"), r.text
    r = await clients["evaluation"].post(f"/surveys/{survey}/close", headers=auth("bureau", OWN))
    assert r.status_code == 200, r.text
    r = await clients["staffing"].post(
        "/scenarios",
        json={"division_code": OWN, "name": "x", "inputs": STAFFING_INPUTS},
        headers=auth("bureau", SIBLING),
    )
    assert r.status_code == 403 and r.json()["code"] == "JURISDICTION_FORBIDDEN", r.text
