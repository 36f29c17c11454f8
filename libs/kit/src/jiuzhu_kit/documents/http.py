"""HTTP details of a download: the ETag (the sha256), `If-None-Match` and one `Range`."""

from __future__ import annotations

import re

from jiuzhu_kit.errors import DomainError

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(DomainError):
    code = "RANGE_NOT_SATISFIABLE"
    status = 416
    zh = "请求的字节范围超出文件大小（{size} 字节）"
    en = "The requested range is outside the file ({size} bytes)"

    def headers(self) -> dict[str, str]:
        return {"Content-Range": f"bytes */{self.params['size']}"}


def etag(sha256: str) -> str:
    return f'"{sha256}"'


def not_modified(if_none_match: str | None, sha256: str) -> bool:
    """RFC 9110 13.1.2: weak comparison, any of a list, or `*`."""
    if not if_none_match:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return any(t == "*" or t.removeprefix("W/") == etag(sha256) for t in tags)


def byte_range(header: str | None, if_range: str | None, sha256: str, size: int) -> tuple[int, int] | None:
    """[start, end) of a single `Range: bytes=…` that applies, None for the whole file. A range this
    server does not serve partially (several ranges, another unit, a stale If-Range) → the whole
    file, as RFC 9110 14.2 allows; one past the end → 416."""
    if not header or (if_range is not None and if_range.strip() != etag(sha256)):
        return None
    m = _RANGE.match(header.strip())
    if m is None:
        return None
    first, last = m.group(1), m.group(2)
    if not first and not last:
        return None
    if not first:  # the last N bytes
        n = int(last)
        if n == 0:
            raise RangeNotSatisfiable(size=size)
        return max(size - n, 0), size
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or end <= start:
        raise RangeNotSatisfiable(size=size)
    return start, end
