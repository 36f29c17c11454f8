"""Pure pieces: the sliding-window limiter, the breaker, the OpenAPI merge, route matching."""

from __future__ import annotations

import time

import pytest

from jiuzhu_gateway.breaker import BreakerState, CircuitBreaker
from jiuzhu_gateway.credentials import split_key
from jiuzhu_gateway.openapi_merge import merge
from jiuzhu_gateway.proxy import build_routes, dropped_headers, parse_anonymous
from jiuzhu_gateway.ratelimit import Limit, SlidingWindow
from jiuzhu_gateway.settings import GatewaySettings


def test_limit_parsing() -> None:
    assert Limit.parse("120/minute") == Limit(120, 60)
    assert Limit.parse("5 / second") == Limit(5, 1)
    assert Limit.parse("1000/2 hours") == Limit(1000, 7200)
    with pytest.raises(ValueError):
        Limit.parse("lots")


def test_sliding_window_counts_and_says_when() -> None:
    w, lim = SlidingWindow(), Limit(3, 60)
    t0 = 6000.0  # start of a window
    assert [w.hit(lim, ("a",), t0 + i) for i in range(3)] == [0, 0, 0]
    wait = w.hit(lim, ("a",), t0 + 3)
    assert wait == pytest.approx(57)  # this window is full: wait for the next
    assert w.hit(lim, ("b",), t0 + 3) == 0  # keys are independent
    # next window: the previous 3 still weigh 3 × (1 - 15/60) = 2.25 → 0 more fit at +15 s
    assert w.hit(lim, ("a",), t0 + 75) > 0
    assert w.hit(lim, ("a",), t0 + 60 + 45) == 0  # 3 × 0.25 = 0.75, one more fits


def test_breaker_opens_probes_and_recovers() -> None:
    b = CircuitBreaker(failures=2, reset_seconds=0.05)
    b.failure()
    assert b.allow() and b.state is BreakerState.CLOSED
    b.failure()
    assert not b.allow() and b.state is BreakerState.OPEN
    time.sleep(0.06)
    assert b.allow()  # the one probe
    assert not b.allow()  # no second probe meanwhile
    b.failure()  # probe failed: open again
    assert not b.allow()
    time.sleep(0.06)
    assert b.allow()
    b.success()
    assert b.state is BreakerState.CLOSED and b.allow()


def test_routes_and_anonymous_patterns() -> None:
    routes = build_routes(GatewaySettings(DATABASE_URL=""))
    match = {r.prefix: r for r in routes}
    assert match["/api/public/evaluation"].upstream_prefix == "/public"
    assert match["/api/staffing"].matches("/api/staffing") and not match["/api/staffing"].matches(
        "/api/staffingx"
    )
    [(method, service, pattern)] = parse_anonymous(["post evaluation /surveys/*/responses"])
    assert (method, service) == ("POST", "evaluation")
    assert pattern.match("/surveys/abc/responses") and not pattern.match("/surveys/abc/responses/bulk")
    assert not pattern.match("/surveys/a/b/responses")
    with pytest.raises(ValueError):
        parse_anonymous(["GET nowhere /x"])


def test_split_key() -> None:
    assert split_key("jzk_0a1b2c3d4e5f_sec_ret") == ("0a1b2c3d4e5f", "sec_ret")
    assert split_key("jzk_abc") is None and split_key("Bearer x") is None


def test_merge_namespaces_schemas_and_refs() -> None:
    spec = {
        "paths": {
            "/things": {
                "get": {
                    "operationId": "list",
                    "tags": ["things"],
                    "security": [{"HTTPBearer": []}],
                    "responses": {"200": {"$ref": "#/components/schemas/Thing"}},
                }
            },
            "/public/things": {"get": {"operationId": "pub", "security": [{"HTTPBearer": []}]}},
        },
        "components": {
            "schemas": {"Thing": {"type": "object"}},
            "securitySchemes": {"HTTPBearer": {"type": "http"}},
        },
        "tags": [{"name": "things"}],
    }
    doc = merge({"staffing": spec, "evaluation": spec}, {"paths": {"/api/gateway/x": {}}})
    assert set(doc["paths"]) == {
        "/api/staffing/things",
        "/api/evaluation/things",
        "/api/public/staffing/things",
        "/api/public/evaluation/things",
        "/api/gateway/x",
    }
    op = doc["paths"]["/api/staffing/things"]["get"]
    # the same id in two services: prefixed by the service in the merged contract
    assert op["operationId"] == "staffingList" and op["tags"] == ["staffing · things"]
    # identical in every service that defines it: one shared schema, titled once
    assert op["responses"]["200"]["$ref"] == "#/components/schemas/Thing"
    assert doc["components"]["schemas"]["Thing"] == {"type": "object", "title": "Thing"}
    assert op["security"] == [{"HTTPBearer": []}, {"ApiKey": []}]
    assert doc["paths"]["/api/public/evaluation/things"]["get"]["security"] == []
    assert set(op["responses"]) == {"200", "401", "429", "431", "502", "503", "504"}


def test_merge_namespaces_schemas_that_differ() -> None:
    def spec(thing: dict[str, object]) -> dict[str, object]:
        return {
            "paths": {"/a": {"get": {"operationId": "getA", "responses": {}}}},
            "components": {"schemas": {"Thing": thing}},
        }

    doc = merge({"staffing": spec({"type": "object"}), "evaluation": spec({"type": "string"})}, {})
    schemas = doc["components"]["schemas"]
    assert schemas["staffing.Thing"]["title"] == "StaffingThing"
    assert schemas["evaluation.Thing"]["title"] == "EvaluationThing"
    assert "Thing" not in schemas


def test_the_clock_header_is_forwarded_outside_prod_only() -> None:
    assert b"x-jiuzhu-clock" not in dropped_headers(GatewaySettings(DATABASE_URL=""))
    prod = GatewaySettings(
        JIUZHU_ENVIRONMENT="prod", DATABASE_URL="postgresql://x/y", JWT_SECRET="s" * 40, JIUZHU_CLOCK=""
    )
    dropped = dropped_headers(prod)
    assert b"x-jiuzhu-clock" in dropped and b"authorization" in dropped
