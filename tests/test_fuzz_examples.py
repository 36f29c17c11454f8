"""The fuzzer's explicit examples (tests/fuzzing/examples.py) are valid for their operations'
committed schemas: body, query and path parameters. No database: the records are stand-ins."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from jiuzhu_devtools.demo.api import uscc
from jiuzhu_devtools.seeds import LINGWU
from tests.fuzzing import SERVICE_NAMES, operations, spec
from tests.fuzzing.examples import POLICY, examples, role_for
from tests.fuzzing.fuzz_world import World


def stand_in() -> World:
    """A world of well-formed identifiers, shaped like the one `world.build` returns."""

    def ids(*keys: str) -> dict[str, str]:
        return {k: str(uuid.uuid4()) for k in keys}

    rounds = ids("published", "appealed", "closable", "closed", "open")
    projects = ids("contract", "declared", "announced", "qualification", "scoring", "low_price")
    projects |= ids("challengeable", "awarded", "challenged", "drawable")
    return World(
        contractors={k: uscc("91", LINGWU, i + 1) for i, k in enumerate("ABCDEF")},
        plans=ids("draft", "approved"),
        projects=projects,
        bids={k: [str(uuid.uuid4()) for _ in range(3)] for k in projects},
        contract=str(uuid.uuid4()),
        signed_on="2019-01-02",
        challenge=str(uuid.uuid4()),
        answered_challenge=str(uuid.uuid4()),
        complaint=str(uuid.uuid4()),
        debarment=str(uuid.uuid4()),
        template=str(uuid.uuid4()),
        builtin_template=str(uuid.uuid4()),
        rounds=rounds,
        appeal=str(uuid.uuid4()),
        surveys=ids("open", "closable"),
        codes=[f"ABCD-EFGH-JKLM-{i:04d}" for i in range(10)],
        scenario=str(uuid.uuid4()),
        pack="national",
        local_packs=ids("read", "decide"),
        expert=str(uuid.uuid4()),
        workers=[str(uuid.uuid4()) for _ in range(2)],
        documents={
            k: (str(uuid.uuid4()), str(uuid.uuid4()))
            for k in ("plans", "projects", "contracts", "challenges", "complaints")
        },
    )


def _validator(service: str, schema: dict[str, Any]) -> Draft202012Validator:
    # The operation's schema inside its document, so "#/components/schemas/..." resolves.
    return Draft202012Validator({**schema, "components": spec(service).get("components", {})})


def _errors(service: str, schema: dict[str, Any], value: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator(service, schema).iter_errors(value)
    ]


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_examples_are_valid_for_their_operations(service: str) -> None:
    table = examples(service, stand_in())
    ops = {f"{m} {p}": (m, p) for m, p in operations(service)}
    assert set(table) <= set(ops), f"examples for unknown operations: {sorted(set(table) - set(ops))}"
    problems = []
    for label, ex in table.items():
        method, path = ops[label]
        op = spec(service)["paths"][path][method.lower()]
        params = {(p["in"], p["name"]): p for p in op.get("parameters", [])}
        for where, values in (("path", ex.path), ("query", ex.query)):
            for name, value in values.items():
                param = params.get((where, name))
                if param is None:
                    problems.append(f"{label}: no {where} parameter {name}")
                    continue
                problems += [f"{label} {where} {name}: {e}" for e in _errors(service, param["schema"], value)]
        required_path = {n for (where, n), p in params.items() if where == "path"}
        if required_path and set(ex.path) != required_path:
            problems.append(f"{label}: path parameters {sorted(ex.path)}, expected {sorted(required_path)}")
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if ex.body is not None:
            if body is None:
                problems.append(f"{label}: takes no JSON body")
            else:
                problems += [f"{label} body {e}" for e in _errors(service, body, ex.body)]
        elif op.get("requestBody", {}).get("required") and body is not None:
            # (a file body, application/octet-stream, is sent by the write matrix's `content`)
            problems.append(f"{label}: a required body, no example")
        role = role_for(service, label, ex)
        access = POLICY[service][label]["access"]
        if isinstance(access, list) and role != "admin" and role not in access:
            problems.append(f"{label}: role {role} is not allowed by authz_policy.toml ({access})")
    assert not problems, "\n".join(problems)
