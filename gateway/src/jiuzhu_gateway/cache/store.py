"""Stored answers, least recently used dropped first, bounded in entries and in bytes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, tuple[bytes | None, ...]]


@dataclass
class Entry:
    status: int
    headers: list[tuple[bytes, bytes]]  # as sent to clients, without the per-request ones
    body: bytes
    etag: bytes | None
    not_modified: list[tuple[bytes, bytes]]  # what a 304 from this entry carries
    stored_at: float
    expires: float
    size: int = field(init=False)
    wire: bytes | None = None  # the 200's status line and headers as sent (cache/early.py)
    wire_304: bytes | None = None
    # (the request headers of its key, how to fetch it again): set once stored (PublicCache.renew_soon)
    renew: tuple[dict[bytes, bytes], Callable[[Any], Awaitable[int]]] | None = None

    def __post_init__(self) -> None:
        self.size = len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 64


class Store:
    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self.entries: OrderedDict[Key, Entry] = OrderedDict()
        # The request headers each path's answer varies on (learned from its answers), so a lookup
        # knows its full key; kept while the path has entries (`held` counts them).
        self.vary: dict[str, tuple[bytes, ...]] = {}
        self.held: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def key(self, target: str, request_headers: dict[bytes, bytes]) -> Key | None:
        names = self.vary.get(target)
        if names is None:
            return None
        if len(names) == 1:  # the usual case (Accept-Language): no generator
            return target, (request_headers.get(names[0]),)
        return target, tuple(request_headers.get(n) for n in names)

    def get(self, key: Key, now: float) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.expires <= now:
            self._drop(key)
            return None
        self.entries.move_to_end(key)
        return entry

    def put(
        self, target: str, names: tuple[bytes, ...], request_headers: dict[bytes, bytes], entry: Entry
    ) -> bool:
        """Store (False when the one answer is over the byte bound); older entries make room."""
        if entry.size > self.max_bytes or self.max_entries <= 0:
            return False
        known = self.vary.get(target)
        if known is not None and known != names:  # the answer's Vary changed: old keys unreachable
            self._drop_target(target)
        key: Key = (target, tuple(request_headers.get(n) for n in names))
        if key in self.entries:
            self._drop(key)
        self.vary[target] = names
        self.held[target] = self.held.get(target, 0) + 1
        self.entries[key] = entry
        self.bytes += entry.size
        while len(self.entries) > self.max_entries or self.bytes > self.max_bytes:
            self._drop(next(iter(self.entries)))
        return True

    def clear(self) -> None:
        self.entries.clear()
        self.vary.clear()
        self.held.clear()
        self.bytes = 0

    def _drop(self, key: Key) -> None:
        entry = self.entries.pop(key)
        self.bytes -= entry.size
        target = key[0]
        left = self.held[target] - 1
        if left:
            self.held[target] = left
        else:
            del self.held[target], self.vary[target]

    def _drop_target(self, target: str) -> None:
        for key in [k for k in self.entries if k[0] == target]:
            self._drop(key)
