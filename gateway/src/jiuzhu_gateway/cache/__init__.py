"""The gateway's shared cache of public answers (portal issue 17's speed bar).

Only anonymous GETs of public reads, keyed by path + query (+ the request headers the answer's
`Vary` names); kept for the upstream's `max-age` (`s-maxage` first), capped by
`GATEWAY_CACHE_MAX_SECONDS` (default 1 s: the staleness a read can see after a write made
elsewhere — another gateway replica, a worker); flushed whole when a write through this gateway
succeeds. Bounded in entries and bytes (least recently used dropped). Answers carry `X-Cache`.
"""

from jiuzhu_gateway.cache.public import PublicCache
from jiuzhu_gateway.cache.store import Entry, Store

__all__ = ["Entry", "PublicCache", "Store"]
