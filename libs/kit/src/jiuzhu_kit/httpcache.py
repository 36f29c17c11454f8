"""HTTP caching of public reads (portal issue): a strong `ETag`, `If-None-Match` → 304,
`Cache-Control` with a max-age per route and `Last-Modified` where a time fits.

The ETag is computed from what the answer is made of, not from its bytes, so a conditional request
is answered before the body is built: for one record its aggregate revision (id, version), for a
list the filter, the page position and each listed row's (id, version). A write bumps the version
of what it touches, so invalidation follows writes; a row entering or leaving the filtered set
changes the listed keys. Every public route uses this one module.

    stamp = httpcache.Stamp.of("announcements", filters, [(p.id, p.version) for p in rows])
    if (hit := httpcache.answer(request, response, stamp, httpcache.LIST)) is not None:
        return hit
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

# max-age per kind of route: lists change with every publication; a published record (a result
# once its appeal window is over, a debarment decision) changes rarely and then bumps its version.
LIST = 60
RECORD = 3600


@dataclass(frozen=True)
class Stamp:
    etag: str  # quoted, strong
    last_modified: datetime | None = None

    @classmethod
    def of(cls, kind: str, *parts: Any, last_modified: datetime | None = None) -> Stamp:
        """A strong validator from the route's kind and the parts its answer is made of (filters,
        cursor, revisions); any JSON-able values, dates and UUIDs as strings."""
        raw = json.dumps([kind, *parts], default=str, separators=(",", ":"), sort_keys=True)
        return cls('"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"', last_modified)


def newest(times: Iterable[datetime | date | None]) -> datetime | None:
    """The latest of some times (a date counts as its midnight UTC), for `Last-Modified`."""
    out: datetime | None = None
    for t in times:
        if t is None:
            continue
        if not isinstance(t, datetime):
            t = datetime(t.year, t.month, t.day, tzinfo=UTC)
        elif t.tzinfo is None:
            t = t.replace(tzinfo=UTC)
        out = t if out is None or t > out else out
    return out


def _matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2): `W/"x"` matches `"x"`."""
    if header.strip() == "*":
        return True
    return any(t.strip().removeprefix("W/") == etag for t in header.split(","))


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since


def headers(stamp: Stamp, max_age: int) -> dict[str, str]:
    out = {
        "ETag": stamp.etag,
        # public: shared caches (a portal's CDN) may keep it; stale answers are revalidated.
        "Cache-Control": f"public, max-age={max_age}, must-revalidate",
        "Vary": "Accept-Language",
    }
    if stamp.last_modified is not None:
        out["Last-Modified"] = format_datetime(stamp.last_modified.astimezone(UTC), usegmt=True)
    return out


def answer(request: Request, response: Response, stamp: Stamp, max_age: int) -> Response | None:
    """Set the caching headers on `response`; a 304 to return instead when the client's copy is
    current (`If-None-Match`, else `If-Modified-Since`, RFC 9110 13.2.2), else None."""
    h = headers(stamp, max_age)
    response.headers.update(h)
    inm = request.headers.get("if-none-match")
    if inm is not None:
        fresh = _matches(inm, stamp.etag)
    else:
        ims = request.headers.get("if-modified-since")
        fresh = (
            ims is not None
            and stamp.last_modified is not None
            and _not_modified_since(ims, stamp.last_modified)
        )
    if fresh:
        return Response(status_code=304, headers=h)
    return None


def documented(max_age: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` entry of a cached route: its headers and the 304."""
    return {
        304: {"description": "Not Modified: the `If-None-Match` ETag (or `If-Modified-Since`) is current"},
        200: {
            "description": f"OK; cacheable for {max_age} s (`Cache-Control`), with a strong `ETag`",
            "headers": {
                "ETag": {"schema": {"type": "string"}, "description": "strong validator"},
                "Cache-Control": {"schema": {"type": "string"}},
                "Last-Modified": {"schema": {"type": "string"}, "description": "where a time fits"},
            },
        },
    }
