"""The gateway cache's store and rules (jiuzhu_gateway.cache): bounds, Vary, lifetimes. Through the
real stack: tests/test_gateway_cache.py."""

from __future__ import annotations

import time

from jiuzhu_gateway.cache import Entry, Store
from jiuzhu_gateway.cache.policy import freshness, vary_names


def _entry(body: bytes, ttl: float = 10) -> Entry:
    now = time.monotonic()
    return Entry(200, [(b"content-length", b"%d" % len(body))], body, b'"e"', [], now, now + ttl)


def test_store_bounds_entries_and_bytes_least_recently_used_first() -> None:
    s = Store(max_entries=2, max_bytes=10_000)
    now = time.monotonic()
    for t in ("/a", "/b"):
        assert s.put(t, (), {}, _entry(b"x"))
    assert s.get(("/a", ()), now) is not None  # /a used last: /b goes first
    s.put("/c", (), {}, _entry(b"x"))
    assert len(s) == 2 and s.get(("/b", ()), now) is None and s.get(("/a", ()), now) is not None
    big = Store(max_entries=100, max_bytes=1000)
    for i in range(5):
        big.put(f"/{i}", (), {}, _entry(b"y" * 300))
    assert big.bytes <= 1000 and len(big) == 2  # 300 + headers + overhead each: two fit
    assert not big.put("/huge", (), {}, _entry(b"z" * 2000))  # one answer over the bound: not kept
    assert big.get(("/2", ()), now) is None and big.get(("/4", ()), now) is not None
    s.clear()
    assert len(s) == 0 and s.bytes == 0


def test_store_keys_on_vary_and_drops_expired() -> None:
    s = Store(10, 10_000)
    zh, en = {b"accept-language": b"zh"}, {b"accept-language": b"en"}
    s.put("/l", (b"accept-language",), zh, _entry(b"zh"))
    now = time.monotonic()
    key_zh, key_en = s.key("/l", zh), s.key("/l", en)
    assert key_zh is not None and key_en is not None
    hit = s.get(key_zh, now)
    assert hit is not None and hit.body == b"zh"
    assert s.get(key_en, now) is None  # another language: another answer
    s.put("/old", (), {}, _entry(b"o", ttl=-1))
    assert s.get(("/old", ()), now) is None and len(s) == 1


def test_freshness_honours_the_upstream_capped() -> None:
    assert freshness(b"public, max-age=60, must-revalidate", 1.0) == 1.0
    assert freshness(b"public, max-age=0", 1.0) == 0
    assert freshness(b"public, s-maxage=0, max-age=60", 5.0) == 0  # a shared cache reads s-maxage
    assert freshness(b"private, max-age=60", 1.0) == 0
    assert freshness(b"no-store", 1.0) == freshness(b"no-cache", 1.0) == freshness(None, 1.0) == 0
    assert freshness(b"public", 1.0) == 0  # no lifetime given: not stored
    assert vary_names([(b"vary", b"Accept-Language, Origin")]) == (b"accept-language", b"origin")
    assert vary_names([(b"vary", b"*")]) is None
