"""Make a service's OpenAPI say what the kit really answers, so clients and fuzzers can trust it.

FastAPI's defaults describe a 422 as `application/json` `HTTPValidationError`, leave 401/403/413
undeclared and mark every operation as needing a bearer token (the global idempotency dependency
reads an optional one). The kit's real behaviour, which this declares per operation:

- every refusal is `application/problem+json` with the `Problem` body;
- 401 anywhere a token is presented but invalid or expired, and where one is required and missing;
- 403 where a principal is required (role or jurisdiction);
- 422 for malformed payloads, 400 for unusable requests (bad `Idempotency-Key`, unparseable body);
- 413 where there is a request body (`KitSettings.max_body_bytes` or the route's own limit);
- 503 everywhere (database unavailable);
- `security` lists the empty requirement too where the token is optional (public reads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from jiuzhu_kit.auth import current_principal
from jiuzhu_kit.errors import Problem
from jiuzhu_kit.pagination import cursor_params

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_CONTENT = {"application/problem+json": {"schema": PROBLEM_REF}}
UNSAFE = frozenset({"post", "put", "patch", "delete"})

_COMMON: dict[str, str] = {
    "400": "`BAD_REQUEST`, `IDEMPOTENCY_KEY_INVALID`, `CURSOR_INVALID`: the request cannot be used as sent",
    "401": "`UNAUTHENTICATED`, `TOKEN_INVALID`, `TOKEN_EXPIRED`: no usable credential",
    "403": "`ROLE_FORBIDDEN`, `JURISDICTION_FORBIDDEN`: not allowed for this role or jurisdiction",
    "413": "`PAYLOAD_TOO_LARGE`: the request body is over the limit",
    "422": "`REQUEST_INVALID`, `VALIDATION_FAILED`: malformed payload, see `errors`",
    "503": "`DATABASE_UNAVAILABLE`, `SERVICE_UNAVAILABLE`: retry later",
}


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


def _declare(responses: dict[str, Any], status: str) -> None:
    spec = responses.get(status)
    if spec is None:
        responses[status] = {"description": _COMMON[status], "content": PROBLEM_CONTENT}
    else:
        spec["content"] = PROBLEM_CONTENT
        if spec.get("description") == "Validation Error":  # FastAPI's default wording
            spec["description"] = _COMMON["422"]


def patch_openapi(schema: dict[str, Any], routes: list[RouteContext]) -> dict[str, Any]:
    """Rewrite the generated schema in place (see module doc) and return it."""
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
            needed = ["401", "503"] + (["403"] if strict else [])
            if method in UNSAFE or pages_by_cursor(route):
                needed.append("400")
            if "requestBody" in op:
                needed += ["413", "422"]
            for status in needed:
                _declare(responses, status)
            if not strict and op.get("security"):
                op["security"] = [{}, *op["security"]]
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


def declare_problems(app: FastAPI) -> None:
    """Install the rewrite on `app.openapi` (cached like FastAPI's own)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            # FastAPI ≥0.165 keeps included routers as wrappers; iterate the effective routes.
            routes = [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]
            app.openapi_schema = patch_openapi(generate(), routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
