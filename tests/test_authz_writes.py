"""Authorization matrix, writes with valid bodies: refused for jurisdiction or role, never for the body.

Part of the matrix in tests/test_authz_matrix.py. Every write operation of the three contracts has a
valid request in tests/fuzzing/valid_bodies.py (checked against the committed openapi.json below).
On the Lingwu world (tests/fuzzing/world.py) each is sent

- by its own role from the sibling county 640121 and another province 440103: a write on a record
  finds it absent (404 with its not-found code), one that names a division is 403
  JURISDICTION_FORBIDDEN (the few that differ are listed below, each with why);
- by every role outside the operation's policy, from its own place: 403 ROLE_FORBIDDEN (where the
  record decides who may act, the answers listed in SERVICE_DECIDES);

and nothing is written (row counts of every service table before and after). Then the own caller
sends it once: never 401/403/422/5xx, so the body is valid and the refusals above were about who
sent it. None of the refused probes may be a 422.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jsonschema

from tests.fuzzing import ROLES, operations, row_counts, spec
from tests.fuzzing.reads import OTHER, SIBLING
from tests.fuzzing.valid_bodies import VALID, Write
from tests.fuzzing.world import PRICES, C, World, build
from tests.test_authz_matrix import policy

WRITES = ("POST", "PUT", "PATCH", "DELETE")
VALID_BIDDERS = {code for prices in PRICES.values() for code in prices}


def _fake_world() -> World:
    ids = {k: str(uuid.uuid4()) for k in ("a", "b", "c")}
    return World(
        plan=ids["a"],
        draft_plan=str(uuid.uuid4()),
        projects={s: str(uuid.uuid4()) for s in ("bidding", "scoring", "awarded")},
        bids={
            s: {code: str(uuid.uuid4()) for code in VALID_BIDDERS} for s in ("bidding", "scoring", "awarded")
        },
        contract=ids["b"],
        debarment=ids["c"],
        challenge=str(uuid.uuid4()),
        answered_challenge=str(uuid.uuid4()),
        complaint=str(uuid.uuid4()),
        rounds={"collecting": str(uuid.uuid4()), "published": str(uuid.uuid4())},
        survey=str(uuid.uuid4()),
        appeal=str(uuid.uuid4()),
        template=str(uuid.uuid4()),
        scenario=str(uuid.uuid4()),
    )


def test_every_write_has_a_valid_body_by_its_contract() -> None:
    """VALID names every write operation, and each body validates against the operation's schema."""
    w = _fake_world()
    problems = []
    for service in ("staffing", "procurement", "evaluation"):
        doc = spec(service)
        ops = {f"{m} {p}" for m, p in operations(service) if m in WRITES}
        listed = {op for s, op in VALID if s == service}
        problems += [
            f"{service} {op}: no valid body in tests/fuzzing/valid_bodies.py" for op in sorted(ops - listed)
        ]
        problems += [f"{service} {op}: not in the contract" for op in sorted(listed - ops)]
        for op in sorted(ops & listed):
            method, path = op.split(" ", 1)
            content = doc["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
            write = VALID[(service, op)]
            if content and "application/json" not in content:  # a file upload
                # application/octet-stream: any accepted file, its type recognised from the bytes
                takes = write.media_type in content or "application/octet-stream" in content
                if write.content is None or not takes:
                    problems.append(f"{service} {op}: takes a file, the table gives none it accepts")
                continue
            if not content:
                if write.body is not None:
                    problems.append(f"{service} {op}: takes no body, the table gives one")
                continue
            schema = {"components": doc["components"], **content["application/json"]["schema"]}
            assert write.body is not None, f"{service} {op}: needs a body"
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(write.body(w)))
            problems += [f"{service} {op}: {e.json_path}: {e.message[:200]}" for e in errors]
    assert not problems, "\n".join(problems)


# Writes from outside whose answer is not the path's: the path's key is a division, or a record
# everyone reads (forbidden, nothing to hide); the body names a record the caller cannot read (its 404).
FORBIDDEN_ON_PATH = {
    ("staffing", "PUT /pilots/{province_code}/{year}"),
    ("evaluation", "POST /templates/by-code/{code}/versions"),
}
ABSENT_IN_BODY = {("evaluation", "POST /surveys")}


# A round's scores: the round names who scores as the third party and which contractor it is
# about, so another evaluator and another contractor cannot read it (its 404); the portal reads it
# in its jurisdiction but is no party (PARTY_FORBIDDEN).
SERVICE_DECIDES = {
    ("evaluation", "POST /rounds/{round_id}/scores", "contractor"): (404, "ROUND_NOT_FOUND"),
    ("evaluation", "POST /rounds/{round_id}/scores", "evaluator"): (404, "ROUND_NOT_FOUND"),
    ("evaluation", "POST /rounds/{round_id}/scores", "portal"): (403, "PARTY_FORBIDDEN"),
}


def _refusal_ok(status: int, code: str, expected: str, service: str, op: str, role: str) -> bool:
    if expected == "jurisdiction":
        # A write on another county's record reads it through its read policy first: it looks absent
        # (a 403 would tell it exists). A write that names a division outside is forbidden.
        path = op.split(" ", 1)[1]
        if ("{" in path and (service, op) not in FORBIDDEN_ON_PATH) or (service, op) in ABSENT_IN_BODY:
            return status == 404 and code.endswith("NOT_FOUND")
        return (status, code) == (403, "JURISDICTION_FORBIDDEN")
    if expected == "role":
        return (status, code) == (403, "ROLE_FORBIDDEN")
    # The service decides the role after reading the record: ROLE_FORBIDDEN, but where the record
    # itself decides who may act (SERVICE_DECIDES).
    return (status, code) == SERVICE_DECIDES.get((service, op, role), (403, "ROLE_FORBIDDEN"))


async def test_writes_are_refused_for_who_sends_them_not_for_the_body(
    clients: dict[str, httpx.AsyncClient], auth: Callable[..., dict[str, str]], database_url: str
) -> None:
    started = time.monotonic()
    w = await build(clients, auth)
    problems: list[str] = []
    probed = invalid = 0

    async def send(
        service: str, method: str, write: Write, role: str, div: str, org: str | None
    ) -> httpx.Response:
        kw: dict[str, Any] = {} if write.body is None else {"json": write.body(w)}
        h = auth(role, div, sub=f"matrix-{role}-{div}", org=org)
        if write.content is not None:  # a file upload: the raw bytes
            kw = {"content": write.content(w)}
            h = h | {"Content-Type": write.media_type}
        return await clients[service].request(method, write.url(w), headers=h, **kw)

    for (service, op), write in VALID.items():
        method, path = op.split(" ", 1)
        entry = policy(service, method, path)
        access, gate = entry["access"], entry.get("gate", "role")
        if access == "public":
            continue
        probes: list[tuple[str, str, str | None, str]] = []  # role, div, org, expected refusal
        # Contractors act as parties (their `org`), wherever they are: open tenders admit bidders
        # from anywhere (政府采购法 22), so their writes get no jurisdiction probe.
        if write.lingwu and write.role not in ("admin", "contractor"):
            probes += [(write.role, place, write.org, "jurisdiction") for place in (SIBLING, OTHER)]
        if isinstance(access, list):
            outsiders = [r for r in ROLES if r != "admin" and r not in access]
            probes += [(r, write.div, C if r == "contractor" else None, "role") for r in outsiders]
        elif gate == "service":
            probes += [
                (r, write.div, C if r == "contractor" else None, "service")
                for r in ("evaluator", "portal", "contractor")
                if r != write.role
            ]
        before = await row_counts(database_url)
        answers = await asyncio.gather(*(send(service, method, write, r, d, o) for r, d, o, _ in probes))
        after = await row_counts(database_url)
        for (role, div, org, expected), r in zip(probes, answers, strict=True):
            probed += 1
            code = (
                r.json().get("code", "")
                if r.headers.get("content-type", "").endswith("json") and r.content
                else ""
            )
            invalid += r.status_code == 422
            if not _refusal_ok(r.status_code, str(code), expected, service, op, role):
                who = f"{role}@{div}" + (f" org={org}" if org else "")
                problems.append(
                    f"{service} {op} as {who}: expected a {expected} refusal, got {r.status_code} {code} {r.text[:160]}"
                )
        if after != before:
            changed = {t: (before.get(t), n) for t, n in after.items() if before.get(t) != n}
            problems.append(f"{service} {op}: refused probes wrote rows {changed}")

    # The own caller, once per operation: the body is valid (no 422) and the caller is allowed.
    own_answers: dict[str, int] = {}
    for (service, op), write in VALID.items():
        method, _ = op.split(" ", 1)
        r = await send(service, method, write, write.role, write.div, write.org)
        own_answers[f"{service} {op}"] = r.status_code
        if r.status_code in (401, 403, 422) or r.status_code >= 500:
            problems.append(
                f"{service} {op} as its own {write.role}@{write.div}: {r.status_code} {r.text[:200]}"
            )
    print(
        f"\nauthz writes: {len(VALID)} operations, {probed} refused probes ({invalid} refused by validation), "
        f"{len(own_answers)} own-caller probes ({sum(v < 300 for v in own_answers.values())} 2xx, the rest "
        f"domain refusals: {sorted(k for k, v in own_answers.items() if v >= 300)}) in {time.monotonic() - started:.1f} s"
    )
    problems += (
        [f"{invalid} refused probes were answered 422: the matrix never reached the check"] if invalid else []
    )
    assert not problems, "\n".join(problems)
