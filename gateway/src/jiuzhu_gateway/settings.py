"""Gateway settings: shared DATABASE_URL/JWT_* (KitSettings) plus `GATEWAY_`-prefixed options."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from jiuzhu_kit.settings import KitSettings


class GatewaySettings(KitSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    upstream_staffing: str = "http://127.0.0.1:8101"
    upstream_procurement: str = "http://127.0.0.1:8102"
    upstream_evaluation: str = "http://127.0.0.1:8103"

    # Per-route time to wait for an upstream's response (and between body chunks), seconds.
    timeout_staffing: float = 30.0
    timeout_procurement: float = 30.0
    timeout_evaluation: float = 30.0
    timeout_public: float = 10.0
    connect_timeout: float = 2.0
    # Extra attempts after a connection failure, for idempotent methods with a replayable body only.
    retries: int = 1
    pool_size_per_upstream: int = 256
    # Below uvicorn's own 5 s keep-alive, so a pooled connection is dropped here before the service
    # closes it (a request racing that close could otherwise fail).
    keepalive_seconds: float = 4.0

    # Circuit breaker per upstream: open after N consecutive transport failures, probe after T s.
    breaker_failures: int = 5
    breaker_reset_seconds: float = 5.0

    # Rate limits ("N/second|minute|hour", limits-library syntax); sliding window. `cluster`: shared
    # by every gateway replica through Postgres (counted locally, synced every `sync_seconds`; over
    # all replicas at most limit × (1 + cluster_error) per window, see jiuzhu_kit.ratelimit);
    # `local`: per process. Without a database it is `local`.
    rate_limit_policy: Literal["local", "cluster"] = "cluster"
    rate_limit_sync_seconds: float = Field(default=0.2, gt=0)
    rate_limit_cluster_error: float = Field(default=0.05, gt=0, le=1)
    rate_limit_max_keys: int = Field(default=100_000, ge=100)  # per process; oldest dropped beyond
    rate_limit_principal: str = "1200/minute"
    rate_limit_public: str = "120/minute"
    rate_limit_public_write: str = "20/minute"  # survey submission and other public POSTs
    # A portal (an API key with role `portal`, e.g. e 龙岩) reading public data: per key, well above
    # the per-address limit, since one portal serves many citizens from few addresses.
    rate_limit_portal: str = "6000/minute"
    # Wrong API keys per client address before its key attempts are refused for a while: guessing
    # keys would otherwise cost a database lookup each.
    rate_limit_api_key_failures: str = "30/minute"
    # Service endpoints that take no login (their own credential is in the body) but are not under
    # /public: "METHOD service /path/with/*/wildcards". Limited per client address as public writes.
    anonymous_routes: list[str] = Field(
        default_factory=lambda: [
            "POST evaluation /surveys/*/responses",  # one-time survey codes
            "POST procurement /catalogue/check",  # checks an item against the catalogue; writes nothing
        ]
    )
    # Reads the services publish to everyone (rule packs and their citations, the calendar, the
    # catalogue, the workflows, OCDS): no credential, limited per client address like /api/public.
    public_reads: list[str] = Field(
        default_factory=lambda: [
            "GET staffing /packs",
            "GET staffing /packs/*",
            "GET staffing /rules",
            "GET staffing /rules/*",
            "GET procurement /rules",
            "GET procurement /rules/*",  # the local-pack routes under it still ask the service for a token
            "GET evaluation /rules",
            "GET evaluation /rules/*",
            "GET staffing /calendar/*",
            "GET procurement /calendar/*",
            "GET evaluation /calendar/*",
            "GET procurement /catalogue",
            "GET procurement /negative-list",
            "GET procurement /thresholds",
            "GET procurement /workflows",
            "GET procurement /workflows/*",
            "GET procurement /workflows/*/mermaid",
            "GET procurement /ocds/releases/*",
            "GET procurement /ocds/records/*",
        ]
    )

    # The client address is uvicorn's: it honours X-Forwarded-For only from the proxies named in
    # FORWARDED_ALLOW_IPS / --forwarded-allow-ips (default: loopback). Set that to the load balancer.
    cors_origins: list[str] = Field(default_factory=list)

    # API keys: how long a verified key is cached (bounds how late a revocation elsewhere bites)
    # and how long the token minted for a key-authenticated call lives.
    api_key_cache_seconds: float = 10.0
    api_key_token_ttl_seconds: int = 300
    api_key_touch_seconds: float = 60.0  # last_used_at is written at most this often per key

    # Request head bounds for clients (431 HEADERS_TOO_LARGE); the services' defaults leave room for
    # the headers the gateway adds.
    max_header_count: int = Field(default=100, ge=16)
    max_header_bytes: int = Field(default=16 * 1024, ge=4096)
    max_header_field_bytes: int = Field(default=8 * 1024, ge=1024)

    # The shared cache of anonymous public reads (jiuzhu_gateway.cache): an answer is kept for its
    # max-age but at most this long — the staleness a reader can see after a write that did not go
    # through this gateway (another replica, a worker); writes through it flush the cache. 0: off.
    cache_max_seconds: float = Field(default=1.0, ge=0)
    cache_max_entries: int = Field(default=2000, ge=0)
    cache_max_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    cache_max_entry_bytes: int = Field(default=1024 * 1024, ge=0)  # larger answers pass through

    openapi_cache_seconds: float = 300.0
    access_log: bool = True
