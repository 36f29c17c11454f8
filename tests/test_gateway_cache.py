"""The gateway's cache of anonymous public reads (jiuzhu_gateway.cache), on the real stack: the
service's caching headers pass through unchanged, 304s come from the stored ETag, a write through
the gateway is visible on the next read (not on a refused write), credentials and private routes are
never answered from it. The store's bounds: gateway/tests/test_cache_store.py."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from jiuzhu_devtools.testing import LiveStack
from tests.stories import contractor_body, uscc

PATH = "/api/public/procurement/debarments"
PASSED = ("etag", "cache-control", "last-modified", "content-type", "content-length")


def _warm(c: httpx.Client, params: dict[str, str], **kw: object) -> tuple[httpx.Response, httpx.Response]:
    """Two reads in a row until the second is a hit (the entry lives 1 s: a slow moment may miss)."""
    for _ in range(5):
        first = c.get(PATH, params=params, **kw)  # type: ignore[arg-type]
        second = c.get(PATH, params=params, **kw)  # type: ignore[arg-type]
        if second.headers.get("x-cache") == "HIT":
            return first, second
    raise AssertionError(f"never a hit: {second.headers}")


def _flushes(stack: LiveStack) -> float:
    text = httpx.get(f"{stack.gateway}/metrics", timeout=10).text
    m = re.search(r"^gateway_cache_flushes_total (\S+)$", text, re.M)
    assert m, text[:500]
    return float(m.group(1))


def test_hits_pass_the_services_headers_through_unchanged(live_stack: LiveStack) -> None:
    # A division no other test reads: the suite empties the database between tests without a write
    # through the gateway, and a copy another test read within the last second may still be held.
    params = {"division_code": "530125"}
    with httpx.Client(base_url=live_stack.gateway, timeout=10) as c:
        first, hit = _warm(c, params)
        direct = httpx.get(f"{live_stack.url('procurement')}/public/debarments", params=params, timeout=10)
        assert first.status_code == hit.status_code == direct.status_code == 200
        assert first.headers["x-cache"] in ("MISS", "HIT") and hit.headers["x-cache"] == "HIT"
        assert hit.content == first.content == direct.content
        for h in PASSED:
            assert hit.headers.get(h) == first.headers.get(h) == direct.headers.get(h), h
        # the gateway's CORS layer adds Origin to Vary (to every answer, cached or not)
        assert hit.headers["vary"] == first.headers["vary"] == direct.headers["vary"] + ", Origin"
        assert hit.headers["cache-control"].startswith("public, max-age=")
        assert int(hit.headers["age"]) <= 1
        # the 304 from the stored ETag, with the validators and the caller's request id
        nm = c.get(
            PATH, params=params, headers={"If-None-Match": hit.headers["etag"], "X-Request-ID": "cache-t1"}
        )
        if nm.headers["x-cache"] == "HIT":
            assert nm.status_code == 304 and nm.content == b""
            for h in ("etag", "cache-control"):
                assert nm.headers[h] == direct.headers[h], h
            assert nm.headers["vary"] == hit.headers["vary"]
            assert nm.headers["x-request-id"] == "cache-t1"
        other = c.get(PATH, params=params, headers={"If-None-Match": '"not-it"'})
        assert other.status_code == 200 and other.content == direct.content
        # another query is another entry
        assert c.get(PATH, params={"division_code": "530103"}).content != b""


def test_a_write_through_the_gateway_is_visible_on_the_next_read(
    live_stack: LiveStack, auth: Callable[..., dict[str, str]]
) -> None:
    div = "530111"
    params = {"division_code": div}
    code = uscc("52", div, 23)
    with httpx.Client(base_url=live_stack.gateway, timeout=10) as c:
        _, hit = _warm(c, params)
        assert hit.json()["items"] == []
        flushes = _flushes(live_stack)
        refused = c.post(
            "/api/procurement/contractors", json={"uscc": "nope"}, headers=auth("contractor", div)
        )
        assert refused.status_code == 422 and refused.json()["code"] == "REQUEST_INVALID", refused.text
        assert _flushes(live_stack) == flushes  # a refused write changes nothing: the cache stays
        r = c.post(
            "/api/procurement/contractors",
            json=contractor_body(code, "官渡区测试社工服务中心", small=True),
            headers=auth("contractor", div, org=code),
        )
        assert r.status_code == 201, r.text
        assert _flushes(live_stack) == flushes + 1
        case = c.post(
            f"/api/procurement/contractors/{code}/debarments",
            json={"grounds": "提供虚假材料谋取中标（政府采购法 77）"},
            headers=auth("bureau", div),
        )
        assert case.status_code == 201, case.text
        cid = case.json()["id"]
        responded = c.post(
            f"/api/procurement/debarments/{cid}/transitions",
            json={"to": "responded", "data": {"response": "无异议"}},
            headers=auth("contractor", div, org=code),
        )
        assert responded.status_code == 200, responded.text
        _, hit = _warm(c, params)  # still nothing published: the empty list, from the cache
        assert hit.json()["items"] == []
        before = _flushes(live_stack)
        decided = c.post(
            f"/api/procurement/debarments/{cid}/transitions",
            json={"to": "debarred", "data": {"term_years": 1}, "reason": "情节属实"},
            headers=auth("finance", div),
        )
        assert decided.status_code == 200, decided.text
        after = c.get(PATH, params=params)
        assert _flushes(live_stack) == before + 1
        assert after.headers["x-cache"] == "MISS" and after.headers["etag"] != hit.headers["etag"]
        [entry] = after.json()["items"]
        assert entry["uscc"] == code


def _metric(stack: LiveStack, pattern: str) -> float:
    text = httpx.get(f"{stack.gateway}/metrics", timeout=10).text
    m = re.search(pattern, text, re.M)
    return float(m.group(1)) if m else 0.0


def test_every_hit_is_counted_in_the_metrics(live_stack: LiveStack) -> None:
    # Hits count in plain numbers and reach the registry in bulk (Metrics.observe_later): a scrape
    # still shows each one — the lookups counter, the request counter and the latency histogram.
    params = {"division_code": "530127"}
    hits = r'^gateway_cache_lookups_total\{result="hit"\} (\S+)$'
    served = r'^http_requests_total\{[^}]*route="public-procurement"[^}]*status="200"[^}]*\} (\S+)$'
    timed = r'^http_request_duration_seconds_count\{[^}]*route="public-procurement"[^}]*\} (\S+)$'
    with httpx.Client(base_url=live_stack.gateway, timeout=10) as c:
        _warm(c, params)
        before = [_metric(live_stack, p) for p in (hits, served, timed)]
        answers = [c.get(PATH, params=params).headers["x-cache"] for _ in range(40)]
        after = [_metric(live_stack, p) for p in (hits, served, timed)]
    n = answers.count("HIT")
    assert n >= 30, answers  # the entry lives 1 s: a slow moment may refill it once or twice
    assert after[0] - before[0] == n
    assert after[1] - before[1] == len(answers) and after[2] - before[2] == len(answers)


def test_credentials_and_private_routes_are_never_answered_from_the_cache(
    live_stack: LiveStack, auth: Callable[..., dict[str, str]]
) -> None:
    params = {"division_code": "530126"}
    with httpx.Client(base_url=live_stack.gateway, timeout=10) as c:
        _warm(c, params)
        signed = c.get(PATH, params=params, headers=auth("bureau", "530126"))
        assert signed.status_code == 200 and "x-cache" not in signed.headers
        wrong_key = c.get(PATH, params=params, headers={"X-Api-Key": "jz_nope.nope"})
        assert wrong_key.status_code == 401 and "x-cache" not in wrong_key.headers
        clocked = c.get(PATH, params=params, headers={"X-Jiuzhu-Clock": "2026-12-24T10:00:00+08:00"})
        assert clocked.status_code == 200 and "x-cache" not in clocked.headers
        head = c.head(PATH, params=params)  # the service's own answer (it has no HEAD), not the cache's
        assert head.status_code == 405 and "x-cache" not in head.headers
        fresh = c.get(PATH, params=params, headers={"Cache-Control": "no-cache"})
        assert fresh.status_code == 200 and fresh.headers["x-cache"] == "MISS"
        for _ in range(2):
            private = c.get("/api/procurement/contractors", headers=auth("bureau", "530126"))
            assert private.status_code == 200 and "x-cache" not in private.headers
        assert c.get("/api/procurement/contractors").status_code == 401  # never a cached copy
