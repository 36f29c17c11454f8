"""Service settings from the environment (pydantic-settings), one env prefix per service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from jiuzhu_kit.headerlimit import HeaderLimits

# Secrets that ship in the repo for development; refused anywhere else.
DEV_JWT_SECRET = "dev-secret-change-me-not-for-production"
PLACEHOLDER_SECRETS = frozenset({"", DEV_JWT_SECRET, "change-me", "changeme", "secret", "dev"})


class KitSettings(BaseSettings):
    """Settings every service has. Subclass with `model_config = SettingsConfigDict(env_prefix=...)`.

    DATABASE_URL is shared by all services (one Postgres); each service owns one schema.
    """

    model_config = SettingsConfigDict(env_prefix="JIUZHU_", extra="ignore")

    environment: Literal["dev", "test", "prod"] = Field(default="dev", validation_alias="JIUZHU_ENVIRONMENT")
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_statement_timeout_ms: int = 15_000
    jwt_algorithm: Literal["HS256", "RS256"] = Field(default="HS256", validation_alias="JWT_ALGORITHM")
    jwt_secret: str = Field(default=DEV_JWT_SECRET, validation_alias="JWT_SECRET")
    jwt_public_key: str = Field(default="", validation_alias="JWT_PUBLIC_KEY")
    jwt_issuer: str = Field(default="jiuzhu", validation_alias="JWT_ISSUER")
    log_level: str = "INFO"
    # Tracing (jiuzhu_kit.tracing): the OTLP/HTTP collector's base URL (spans go to <url>/v1/traces);
    # empty → tracing is off and nothing of it is installed. The share of requests traced at the
    # edge (services follow the caller's decision).
    otlp_endpoint: str = Field(
        default="", validation_alias=AliasChoices("JIUZHU_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    trace_sample_ratio: float = Field(default=1.0, ge=0, le=1, validation_alias="JIUZHU_TRACE_SAMPLE_RATIO")
    # Webhooks (jiuzhu_kit.webhooks): retries back off exponentially from the base (with jitter)
    # up to the cap, for the window; then the delivery fails and its endpoint is disabled.
    webhook_retry_base_seconds: float = Field(
        default=30, gt=0, validation_alias="JIUZHU_WEBHOOK_RETRY_BASE_SECONDS"
    )
    webhook_retry_cap_seconds: float = Field(
        default=3600, gt=0, validation_alias="JIUZHU_WEBHOOK_RETRY_CAP_SECONDS"
    )
    webhook_retry_window_seconds: float = Field(
        default=86_400, gt=0, validation_alias="JIUZHU_WEBHOOK_RETRY_WINDOW_SECONDS"
    )
    webhook_poll_seconds: float = Field(default=0.5, gt=0, validation_alias="JIUZHU_WEBHOOK_POLL_SECONDS")
    webhook_timeout_seconds: float = Field(
        default=10, gt=0, validation_alias="JIUZHU_WEBHOOK_TIMEOUT_SECONDS"
    )
    webhook_sender: bool = Field(default=True, validation_alias="JIUZHU_WEBHOOK_SENDER")
    # The delivery log (finished deliveries and their attempts) is kept this many days; replay reads
    # the audit log, so it reaches further back.
    webhook_log_days: int = Field(default=30, ge=1, le=3650, validation_alias="JIUZHU_WEBHOOK_LOG_DAYS")
    # Public chain heads (jiuzhu_kit.transparency): the Ed25519 key signing this service's tree heads,
    # a base64 32-byte seed or a PEM private key (`<SERVICE>_TRANSPARENCY_KEY`); empty derives a
    # development key from the service's name, refused in prod. Heads are published every period
    # when the log grew, by one replica (the publisher can be turned off per process).
    transparency_key: str = ""
    transparency_publish_seconds: float = Field(
        default=300, gt=0, validation_alias="JIUZHU_TRANSPARENCY_PUBLISH_SECONDS"
    )
    transparency_publisher: bool = Field(default=True, validation_alias="JIUZHU_TRANSPARENCY_PUBLISHER")
    # Largest request body accepted (bytes); bigger → 413 problem before the body is read in full.
    # Bulk endpoints raise it per route (create_app(body_limits=…)), never the other way round.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Request head bounds (jiuzhu_kit.headerlimit): more → 431 HEADERS_TOO_LARGE. A service's are a
    # little above the gateway's, which adds its own few headers (forwarded-for, a minted token).
    max_header_count: int = Field(default=120, ge=16)
    max_header_bytes: int = Field(default=24 * 1024, ge=4096)  # request target + all names and values
    max_header_field_bytes: int = Field(default=8 * 1024, ge=1024)  # one name and value
    # Serve the hot write routes a service declares without FastAPI (jiuzhu_kit.lean); off → the
    # FastAPI routes answer every request (same behaviour, more CPU per request).
    lean_routes: bool = True
    # A fixed start for the business clock (jiuzhu_kit.clock), ISO 8601 with an offset; tests and
    # demos only. Outside prod the `X-Jiuzhu-Clock` request header also sets it per request.
    clock: str = Field(default="", validation_alias="JIUZHU_CLOCK")
    # The document store (jiuzhu_kit.documents.store): `local` writes under `documents_dir` (default
    # `.data/documents/<service>`, so `make run` needs nothing); `s3` uses an S3-compatible store
    # (MinIO in compose, a bucket in production), one key prefix per service.
    documents_backend: Literal["local", "s3"] = "local"
    documents_dir: str = ""
    documents_s3_bucket: str = ""
    documents_s3_endpoint: str = ""  # e.g. http://minio:9000; empty → AWS's endpoint for the region
    documents_s3_region: str = "us-east-1"
    documents_s3_access_key_id: str = ""
    documents_s3_secret_access_key: str = ""
    # The largest document an upload route accepts unless it sets its own (bytes): more → 413.
    documents_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    # The orphan sweep (documents/sweep.py, one replica at a time): how often, and how old a blob no
    # document refers to must be before it goes (younger ones may belong to an upload committing).
    documents_sweep_seconds: float = Field(default=3600, gt=0)
    documents_orphan_grace_seconds: float = Field(default=3600, ge=0)

    @model_validator(mode="after")
    def _refuse_placeholders_outside_dev(self) -> KitSettings:
        if self.clock:
            from jiuzhu_kit.clock import parse_instant

            parse_instant(self.clock)  # a ValueError refuses the settings (the process won't start)
        if self.environment == "prod":
            if self.clock:
                raise ValueError("JIUZHU_CLOCK must not be set in prod: the business clock is the real one")
            if self.jwt_algorithm == "HS256" and self.jwt_secret.strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError("JWT_SECRET is a placeholder; set a real secret outside dev")
            if self.jwt_algorithm == "HS256" and len(self.jwt_secret) < 32:
                raise ValueError("JWT_SECRET must be at least 32 characters in prod")
            if self.jwt_algorithm == "RS256" and not self.jwt_public_key:
                raise ValueError("JWT_PUBLIC_KEY is required for RS256")
            if not self.database_url:
                raise ValueError("DATABASE_URL is required in prod")
        if self.documents_backend == "s3" and not self.documents_s3_bucket:
            raise ValueError("documents_s3_bucket is required when documents_backend is s3")
        return self

    @property
    def header_limits(self) -> HeaderLimits:
        from jiuzhu_kit.headerlimit import HeaderLimits

        return HeaderLimits(self.max_header_count, self.max_header_bytes, self.max_header_field_bytes)

    @property
    def clock_header(self) -> bool:
        """Whether requests may set the clock with `X-Jiuzhu-Clock` (never in prod)."""
        return self.environment != "prod"

    @property
    def async_database_url(self) -> str:
        return to_async_url(self.database_url)


def to_async_url(url: str) -> str:
    """Accept the usual `postgresql://` form and use the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url
