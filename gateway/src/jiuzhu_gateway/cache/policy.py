"""What may be stored and for how long (RFC 9111 for a shared cache, the parts our services use)."""

from __future__ import annotations

from collections.abc import Iterable

# Request headers that make an answer someone's own, or not the plain public one: never from cache.
PERSONAL = frozenset({b"authorization", b"x-api-key", b"cookie"})
# Per request or per hop: never stored, set again on every answer.
NOT_STORED = frozenset({b"x-request-id", b"age", b"x-cache", b"traceparent", b"tracestate"})
# Left out of the request that fills the cache: the whole answer is wanted.
CONDITIONAL = frozenset({b"if-none-match", b"if-modified-since"})
# What a 304 carries (RFC 9110 15.4.5), from the stored answer.
NOT_MODIFIED_KEEP = frozenset({b"etag", b"cache-control", b"vary", b"last-modified", b"expires"})


def freshness(cache_control: bytes | None, cap: float) -> float:
    """Seconds a shared cache may keep the answer: `s-maxage`, else `max-age`, at most `cap`;
    0 when it must not be stored (`private`, `no-store`, `no-cache`, no lifetime given)."""
    if not cache_control:
        return 0.0
    shared: float | None = None
    max_age: float | None = None
    for part in cache_control.lower().split(b","):
        name, _, value = part.strip().partition(b"=")
        if name in (b"private", b"no-store", b"no-cache"):
            return 0.0
        if name in (b"s-maxage", b"max-age"):
            value = value.strip(b'" ')
            if not value.isdigit():
                return 0.0
            if name == b"s-maxage":
                shared = float(value)
            else:
                max_age = float(value)
    lifetime = shared if shared is not None else max_age
    return min(lifetime, cap) if lifetime is not None else 0.0


def vary_names(headers: Iterable[tuple[bytes, bytes]]) -> tuple[bytes, ...] | None:
    """The request headers the answer varies on, sorted; None for `Vary: *` (never stored)."""
    names: set[bytes] = set()
    for k, v in headers:
        if k == b"vary":
            for token in v.lower().split(b","):
                token = token.strip()
                if token == b"*":
                    return None
                if token:
                    names.add(token)
    return tuple(sorted(names))


def etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """The weak comparison If-None-Match uses (RFC 9110 13.1.2)."""
    if if_none_match.strip() == b"*":
        return True
    return any(t.strip().removeprefix(b"W/") == etag.removeprefix(b"W/") for t in if_none_match.split(b","))
