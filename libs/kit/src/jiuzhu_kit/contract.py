"""Make a service's OpenAPI say what the kit really answers, so clients and fuzzers can trust it.

FastAPI's defaults describe a 422 as `application/json` `HTTPValidationError`, leave 401/403/413
undeclared and mark every operation as needing a bearer token (the global idempotency dependency
reads an optional one). The kit's real behaviour, which this declares per operation:

- every refusal is `application/problem+json` with the `Problem` body;
- 401 anywhere a token is presented but invalid or expired, and where one is required and missing;
- 403 where a principal is required (role or jurisdiction);
- 422 for malformed payloads, 400 for unusable requests (bad `Idempotency-Key`, unparseable body);
- 413 where there is a request body (`KitSettings.max_body_bytes` or the route's own limit);
- 431 and 503 everywhere (request head over the limits; database unavailable);
- `security` lists the empty requirement too where the token is optional (public reads), and is
  `[]` where no credential is ever looked at (`/healthz`, `/readyz`, `/public/…`);
- operation ids are the endpoint's name in camelCase (`listProjects`), summaries its first docstring
  line; `Idempotency-Key` on unsafe operations and `Accept-Language` on all are declared;
- `servers` says where a client reaches the service (through the gateway), and the licence;
- `x-audience` names who calls each operation (public, bureau, contractor, finance, integration:
  `audiences`), from the roles its dependencies require and its path; the gateway's merged contract
  groups `/docs` by it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from jiuzhu_kit.auth import current_principal
from jiuzhu_kit.errors import Problem
from jiuzhu_kit.examples import apply as apply_examples
from jiuzhu_kit.pagination import cursor_params

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_CONTENT = {"application/problem+json": {"schema": PROBLEM_REF}}
UNSAFE = frozenset({"post", "put", "patch", "delete"})

_COMMON: dict[str, str] = {
    "400": "`BAD_REQUEST`, `IDEMPOTENCY_KEY_INVALID`, `CURSOR_INVALID`: the request cannot be used as sent",
    "401": "`UNAUTHENTICATED`, `TOKEN_INVALID`, `TOKEN_EXPIRED`: no usable credential",
    "403": "`ROLE_FORBIDDEN`, `JURISDICTION_FORBIDDEN`: not allowed for this role or jurisdiction",
    "413": "`PAYLOAD_TOO_LARGE`: the request body is over the limit",
    "431": "`HEADERS_TOO_LARGE`: too many or too large request headers",
    "422": "`REQUEST_INVALID`, `VALIDATION_FAILED`: malformed payload, see `errors`",
    "503": "`DATABASE_UNAVAILABLE`, `SERVICE_UNAVAILABLE`: retry later",
}


ANONYMOUS_PATHS = frozenset({"/healthz", "/readyz"})
LICENSE = {
    "name": "Proprietary: all rights reserved (no licence is granted by publishing this contract)",
    "identifier": "LicenseRef-Proprietary",
}
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "幂等键 A key of 1–255 visible characters naming this write: the same key with the same request "
        "answers the stored response (`Idempotent-Replayed: true`) and writes nothing twice; with "
        "another request on this route, 422 `IDEMPOTENCY_KEY_REUSED`. Scoped by caller and route."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "example": "3f0c6a52-2d1e-4f0b-9a57-8c1d2e3f4a5b",
}
ACCEPT_LANGUAGE: dict[str, Any] = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "description": "The language of problem details: Chinese (`zh`, the default) or English (`en`).",
    "schema": {"type": "string"},
    "example": "zh-CN,zh;q=0.9,en;q=0.8",
}


# What a list's `cursor` looks like (a page's `next_cursor`: its last row's sort key, base64url JSON).
CURSOR_EXAMPLE = "WyIyMDIwLTA2LTMwIiwiM2YwYzZhNTItMmQxZS00ZjBiLTlhNTctOGMxZDJlM2Y0YTViIiwiMjAyMC1IMSJd"

GLOSSARY_FILE = Path(__file__).parent / "contract_data" / "glossary.yaml"
EXAMPLES_FILE = Path(__file__).parent / "contract_data" / "examples.yaml"
EXAMPLE_UUID = "3f0c6a52-2d1e-4f0b-9a57-8c1d2e3f4a5b"


@cache
def glossary() -> dict[str, str]:
    """Field and parameter name → its description (contract_data/glossary.yaml)."""
    data = yaml.safe_load(GLOSSARY_FILE.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def describe(schema: dict[str, Any]) -> None:
    """Every property and parameter without its own description gets the glossary's, if any."""
    words = glossary()
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        page = re.fullmatch(r"CursorPage_(\w+)_", name)
        if page and not component.get("description"):  # pydantic drops a generic's docstring
            component["description"] = (
                f"一页 `{page[1]}` 列表 One page of `{page[1]}` entries; pass `next_cursor` as `cursor` "
                "for the next page (null on the last page)."
            )
        for name, prop in component.get("properties", {}).items():
            if not prop.get("description") and name in words:
                prop["description"] = words[name]
    for item in schema.get("paths", {}).values():
        for op in item.values():
            for param in op.get("parameters", []) if isinstance(op, dict) else []:
                if not param.get("description") and param.get("name") in words:
                    param["description"] = words[param["name"]]
                # A parameter declared with `examples` (FastAPI puts them in its schema) shows the
                # first as the parameter's own example, as captured ones are.
                sample = (param.get("schema") or {}).get("examples")
                if "example" not in param and isinstance(sample, list) and sample:
                    param["example"] = sample[0]


@cache
def example_table() -> dict[str, list[Any]]:
    """Parameter name → candidate examples (contract_data/examples.yaml)."""
    data = yaml.safe_load(EXAMPLES_FILE.read_text(encoding="utf-8"))
    return {str(k): list(v) for k, v in data.items()}


def _branches(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a parameter schema, `$ref`s resolved."""
    out = []
    for branch in schema.get("anyOf", [schema]):
        ref = branch.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            branch = components.get(ref.rsplit("/", 1)[-1], {})
        if branch.get("type") != "null":
            out.append(branch)
    return out


_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


def accepts(schema: dict[str, Any], value: Any) -> bool:
    """Does this (flat) parameter schema accept the value? Type, enum, pattern, lengths, bounds."""
    kind = _TYPES.get(schema.get("type", ""), object)
    if not isinstance(value, kind) or (isinstance(value, bool) and schema.get("type") != "boolean"):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return False
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value)):
            return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        low = schema.get("minimum", schema.get("ge"))
        high = schema.get("maximum", schema.get("le"))
        if (low is not None and value < low) or (high is not None and value > high):
            return False
    return True


def _typed_example(name: str, schema: dict[str, Any]) -> Any:
    if schema.get("format") == "uuid" or (name.endswith("_id") and schema.get("type") == "string"):
        return EXAMPLE_UUID
    if schema.get("format") == "date":
        return "2019-12-31" if name.endswith("_to") else "2019-01-01"
    if schema.get("type") == "boolean":
        return False
    if schema.get("type") in ("integer", "number"):
        return schema.get("minimum", schema.get("ge", 1))
    return None


def example_for(name: str, schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """An example a parameter's schema accepts: its schema's own, an enumeration's first value,
    the table's (examples.yaml), its default, or one of its type; None if nothing fits."""
    branches = _branches(schema, components)
    candidates: list[Any] = [*schema.get("examples", [])]
    for branch in branches:
        candidates += branch.get("examples", []) + branch.get("enum", [])[:1]
    candidates += example_table().get(name, [])
    if "default" in schema:
        candidates.append(schema["default"])
    candidates += [_typed_example(name, b) for b in branches]
    return next((c for c in candidates if c is not None and any(accepts(b, c) for b in branches)), None)


def exemplify(schema: dict[str, Any]) -> None:
    """Every path and query parameter without an example gets one (`example_for`)."""
    components = schema.get("components", {}).get("schemas", {})
    for item in schema.get("paths", {}).values():
        for op in item.values():
            for param in op.get("parameters", []) if isinstance(op, dict) else []:
                if "example" in param or param.get("in") not in ("path", "query"):
                    continue
                value = example_for(param["name"], param.get("schema", {}), components)
                if value is not None:
                    param["example"] = value


def camel(name: str) -> str:
    """`list_projects` → `listProjects` (operation ids, stable across FastAPI versions)."""
    head, *rest = [w for w in re.split(r"[^0-9A-Za-z]+", name) if w]
    return head[:1].lower() + head[1:] + "".join(w[:1].upper() + w[1:] for w in rest)


def operation_id(route: APIRoute) -> str:
    """The operation id of a route: its name (the endpoint function's, unless the route names
    itself) in camelCase. Unique per service; tests/test_contract*.py check the merged contract."""
    return camel(route.name)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def requires_principal(route: APIRoute | RouteContext) -> bool:
    """Does the operation refuse anonymous callers (directly or through `require_roles`)?"""
    return any(call is current_principal for call in _calls(route.dependant))


def pages_by_cursor(route: APIRoute | RouteContext) -> bool:
    """A cursor-paged list answers 400 `CURSOR_INVALID` to a cursor it did not issue."""
    return any(call is cursor_params for call in _calls(route.dependant))


# Who calls the API, as the merged /docs groups it (issue 17). Each operation gets every audience that
# may call it: the roles `require_roles` asks for, else (any token; the service decides) its path.
AUDIENCES: dict[str, str] = {
    "public": "公开 No credential: public disclosure for portals and citizens, reference data and rules, "
    "the survey page",
    "bureau": "购买主体 Purchasers and their overseers: civil-affairs bureaus, townships, auditors, "
    "third-party evaluators, administrators",
    "contractor": "承接主体 Contractors: registration, sealed bids, challenges and complaints, contracts, "
    "rosters, evaluation appeals",
    "finance": "财政 Finance bureaus: plan and project approval, payments, complaints, debarment decisions",
    "integration": "系统对接 Systems: provincial platforms and portals with API keys, change feeds, webhooks, "
    "OCDS, batch calculation",
}
ROLE_AUDIENCE: dict[str, str] = {
    "admin": "bureau",
    "bureau": "bureau",
    "township": "bureau",
    "auditor": "bureau",
    "evaluator": "bureau",
    "contractor": "contractor",
    "finance": "finance",
    "portal": "integration",
}
INTEGRATION_PATHS = ("/changes", "/webhooks/", "/ocds/", "/calculations/batch")
# Any-token operations (the service decides per principal and jurisdiction): the purchaser's side and
# finance read them (finance and auditors oversee everything in their jurisdiction); contractors too
# where they are a party.
CONTRACTOR_PATHS = (
    "/payments",
    "/bids",
    "/award",
    "/challenges",
    "/complaints",
    "/contractors",
    "/debarments",
    "/contracts",
    "/workers",
    "/trainings",
    "/rounds",
    "/consequences/contractor-history",
)


def required_roles(route: APIRoute | RouteContext) -> frozenset[str] | None:
    """The roles a `require_roles` dependency of the route asks for (None: any principal, or none)."""
    for call in _calls(route.dependant):
        if getattr(call, "__qualname__", "").startswith("require_roles."):
            return frozenset(call.__name__.removeprefix("require_").split("_"))
    return None


def audiences(path: str, route: APIRoute | RouteContext, anonymous: bool) -> list[str]:
    """Who calls this operation, in AUDIENCES order (see module doc)."""
    found: set[str] = set()
    if anonymous or not requires_principal(route):
        found.add("public")
    roles = required_roles(route)
    if roles is not None:
        found |= {ROLE_AUDIENCE[r] for r in roles if r in ROLE_AUDIENCE}
    elif requires_principal(route):
        found |= {"bureau", "finance"}
        if any(k in path for k in CONTRACTOR_PATHS):
            found.add("contractor")
    if any(k in path for k in INTEGRATION_PATHS):
        found.add("integration")
    return [a for a in AUDIENCES if a in found]


def _declare(responses: dict[str, Any], status: str) -> None:
    spec = responses.get(status)
    if spec is None:
        responses[status] = {"description": _COMMON[status], "content": PROBLEM_CONTENT}
    else:
        spec["content"] = PROBLEM_CONTENT
        if spec.get("description") == "Validation Error":  # FastAPI's default wording
            spec["description"] = _COMMON["422"]


def _summary(op: dict[str, Any]) -> None:
    """The summary is the description's first sentence; FastAPI's title-cased name otherwise says
    nothing ("Put Year")."""
    text = (op.get("description") or "").strip()
    if text:
        first = re.split(r"(?<=[.:;。])\s|\n\n", text, maxsplit=1)[0].strip().rstrip(".:;")
        op["summary"] = first if len(first) <= 120 else first[:117].rstrip() + "…"


def _headers(op: dict[str, Any], method: str) -> None:
    params: list[dict[str, Any]] = op.setdefault("parameters", [])
    present = {(p.get("in"), str(p.get("name", "")).lower()) for p in params}
    wanted = [ACCEPT_LANGUAGE] + ([IDEMPOTENCY_KEY] if method in UNSAFE else [])
    for header in wanted:
        if ("header", header["name"].lower()) not in present:
            params.append(dict(header))


def patch_openapi(
    schema: dict[str, Any], routes: list[RouteContext], server: str | None = None
) -> dict[str, Any]:
    """Rewrite the generated schema in place (see module doc) and return it. `server`: where
    clients reach these paths (`/api/staffing` through the gateway)."""
    by_op = {(r.path_format, m.lower()): r for r in routes for m in (r.methods or ())}
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            route = by_op.get((path, method))
            if route is None:
                continue
            responses: dict[str, Any] = op.setdefault("responses", {})
            for status in list(responses):
                if status[:1] in {"4", "5"}:
                    _declare(responses, status)
            strict = requires_principal(route)
            anonymous = path in ANONYMOUS_PATHS or path.startswith("/public/")
            needed = (["431", "503"] if anonymous else ["401", "431", "503"]) + (["403"] if strict else [])
            if method in UNSAFE or pages_by_cursor(route):
                needed.append("400")
            if "requestBody" in op:
                needed += ["413", "422"]
            for status in needed:
                _declare(responses, status)
            if anonymous or not op.get("security"):
                op["security"] = []  # no credential is looked at
            elif not strict:
                op["security"] = [{}, *op["security"]]
            _summary(op)
            _headers(op, method)
            op["x-audience"] = audiences(path, route, anonymous)
            for param in op.get("parameters", []):
                if param.get("in") == "query" and param.get("name") == "cursor":
                    param.setdefault("example", CURSOR_EXAMPLE)
    schema.setdefault("info", {})["license"] = LICENSE
    if server is not None:
        schema["servers"] = [{"url": server, "description": "through the gateway (prefix included)"}]
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    if "Problem" not in schemas:
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
    if not any(
        "HTTPValidationError" in str(op) for ops in schema.get("paths", {}).values() for op in ops.values()
    ):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return schema


def declare_enums(schema: dict[str, Any], enums: Mapping[str, Sequence[str]]) -> None:
    """Type the `Schema.property` strings of responses as the enumerations they are (a state
    machine's states, stored as plain strings): the contract then says what a client may receive."""
    schemas = schema.get("components", {}).get("schemas", {})
    for key, values in enums.items():
        name, prop = key.split(".", 1)
        node = schemas[name]["properties"][prop]  # a KeyError names a model or field that went away
        branches = node.get("anyOf", [node])
        strings = [b for b in branches if b.get("type") == "string"]
        if not strings:
            raise ValueError(f"{key} is not a string")
        for branch in strings:
            branch["enum"] = sorted(values)


def declare_problems(
    app: FastAPI,
    server: str | None = None,
    enums: Mapping[str, Sequence[str]] | None = None,
    examples: dict[str, Any] | None = None,
) -> None:
    """Install the rewrite on `app.openapi` (cached like FastAPI's own)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            # FastAPI ≥0.165 keeps included routers as wrappers; iterate the effective routes.
            routes = [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]
            app.openapi_schema = patch_openapi(generate(), routes, server)
            declare_enums(app.openapi_schema, enums or {})
            describe(app.openapi_schema)
            apply_examples(app.openapi_schema, examples or {})
            exemplify(app.openapi_schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
