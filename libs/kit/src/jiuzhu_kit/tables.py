"""Tables every service keeps in its own schema: audit events, idempotency records, calendar."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

XID_DEFAULT = "(pg_current_xact_id()::text)::bigint"


def audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_event",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("aggregate_type", String(64), nullable=False),
        Column("aggregate_id", String(128), nullable=False),
        Column("seq", Integer, nullable=False),
        Column("action", String(128), nullable=False),
        Column("actor", String(256), nullable=False),
        Column("actor_roles", String(256), nullable=False, server_default=""),
        Column("jurisdiction", String(12), nullable=True),
        Column("request_id", String(128), nullable=True),
        Column("reason", Text, nullable=True),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("data", JSONB, nullable=True),
        Column("changes", JSONB, nullable=True),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        # The writing transaction's id: the changes feed's position (jiuzhu_kit.feed).
        Column("xid", BigInteger, nullable=False, server_default=text(XID_DEFAULT)),
        UniqueConstraint("aggregate_type", "aggregate_id", "seq"),
        Index("audit_event_feed", "xid", "id"),
    )


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_record",
        metadata,
        Column("principal", String(256), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("status", SmallInteger, nullable=False),
        Column("headers", JSONB, nullable=False),
        Column("body", LargeBinary, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def calendar_tables(metadata: MetaData) -> tuple[Table, Table]:
    day = Table(
        "calendar_day",
        metadata,
        Column("day", Date, primary_key=True),
        Column("is_working", Boolean, nullable=False),
        # workday | weekend | holiday | makeup_workday (调休上班)
        Column("kind", String(16), nullable=False),
        Column("name", String(64), nullable=True),
    )
    year = Table(
        "calendar_year",
        metadata,
        Column("year", Integer, primary_key=True),
        Column("source", String(256), nullable=False),
        Column("loaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return day, year


def rate_limit_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Shared rate-limit counters (jiuzhu_kit.ratelimit.ClusterWindow): one row per limited key and
    fixed window, kept until `expires_at` (two windows), and the replicas that sync them (their
    number sizes each replica's unsynced allowance)."""
    window = Table(
        "rate_limit_window",
        metadata,
        Column("bucket", Text, primary_key=True),
        Column("win", BigInteger, primary_key=True),
        Column("hits", BigInteger, nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    )
    replica = Table(
        "rate_limit_replica",
        metadata,
        Column("replica", String(64), primary_key=True),
        Column("seen_at", DateTime(timezone=True), nullable=False),
    )
    return window, replica


class WebhookTables:
    """Webhooks (jiuzhu_kit.webhooks): endpoints, the outbox the audit log's trigger fills in the
    writing transaction, deliveries (one per event and endpoint) and every attempt (the log)."""

    def __init__(self, metadata: MetaData) -> None:
        self.endpoint = Table(
            "webhook_endpoint",
            metadata,
            Column("id", Uuid, primary_key=True),
            Column("owner_sub", String(256), nullable=False, index=True),
            Column("owner_roles", String(256), nullable=False),
            Column("owner_division", String(12), nullable=False),
            Column("owner_org", String(32), nullable=True),
            Column("url", Text, nullable=False),
            Column("secret", String(128), nullable=False),
            Column("event_types", JSONB, nullable=False),
            Column("status", String(16), nullable=False, server_default="active"),
            Column("disabled_reason", Text, nullable=True),
            Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        )
        self.outbox = Table(
            "webhook_outbox",
            metadata,
            Column("id", BigInteger, primary_key=True, autoincrement=True),
            Column("event_id", BigInteger, nullable=False),
        )
        self.delivery = Table(
            "webhook_delivery",
            metadata,
            Column("id", BigInteger, primary_key=True, autoincrement=True),
            Column("endpoint_id", Uuid, nullable=False, index=True),
            Column("event_id", BigInteger, nullable=False),
            Column("msg_id", String(64), nullable=False),
            Column("event_type", String(128), nullable=False),
            Column("payload", JSONB, nullable=False),
            Column("status", String(16), nullable=False, server_default="pending"),
            Column("attempts", Integer, nullable=False, server_default="0"),
            Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
            Column("claimed_until", DateTime(timezone=True), nullable=True),
            Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
            Column("delivered_at", DateTime(timezone=True), nullable=True),
            Index("webhook_delivery_due", "status", "next_attempt_at"),
            # The sender's claim, per endpoint, oldest first: only the pending rows (delivered ones
            # pile up in the log and would be scanned at every round otherwise).
            Index(
                "webhook_delivery_pending",
                "endpoint_id",
                "next_attempt_at",
                postgresql_where=text("status = 'pending'"),
            ),
            # The log's pruning, oldest finished deliveries first (Webhooks.prune).
            Index("webhook_delivery_finished", "created_at", postgresql_where=text("status <> 'pending'")),
        )
        self.attempt = Table(
            "webhook_attempt",
            metadata,
            Column("id", BigInteger, primary_key=True, autoincrement=True),
            Column("delivery_id", BigInteger, nullable=False, index=True),
            Column("attempted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
            Column("status", Integer, nullable=True),
            Column("response_ms", Integer, nullable=False),
            Column("error", Text, nullable=True),
        )


def webhook_outbox_ddl(schema: str) -> list[str]:
    """The trigger that writes the outbox in the writing transaction: every audit event, while
    any endpoint is active (a rolled-back write leaves no outbox row, so nothing is sent), and
    notifies `<schema>_webhook_outbox`, which the senders listen on (delivered only at commit)."""
    return [
        f"""
        CREATE OR REPLACE FUNCTION "{schema}".webhook_outbox_enqueue() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM "{schema}".webhook_endpoint WHERE status = 'active') THEN
                INSERT INTO "{schema}".webhook_outbox (event_id) VALUES (NEW.id);
                -- Wakes the senders at commit (once per transaction: Postgres folds repeats).
                PERFORM pg_notify('{schema}_webhook_outbox', '');
            END IF;
            RETURN NULL;
        END $$;
        """,  # noqa: S608 - the schema is the service's own name
        f"""
        CREATE TRIGGER audit_event_webhook_outbox
        AFTER INSERT ON "{schema}".audit_event
        FOR EACH ROW EXECUTE FUNCTION "{schema}".webhook_outbox_enqueue();
        """,
    ]


class KitTables:
    """The kit's tables bound to one service's metadata (and so to its schema)."""

    def __init__(
        self,
        metadata: MetaData,
        *,
        calendar: bool = True,
        rate_limits: bool = False,
        webhooks: bool = True,
        transparency: bool = True,
    ) -> None:
        from jiuzhu_kit.transparency.log import TransparencyTables

        self.audit = audit_table(metadata)
        self.idempotency = idempotency_table(metadata)
        self.rate_limit_window: Table | None = None
        self.rate_limit_replica: Table | None = None
        if rate_limits:
            self.rate_limit_window, self.rate_limit_replica = rate_limit_tables(metadata)
        self.webhooks = WebhookTables(metadata) if webhooks else None
        self.transparency = TransparencyTables(metadata) if transparency else None
        self.calendar_day: Table | None = None
        self.calendar_year: Table | None = None
        if calendar:
            self.calendar_day, self.calendar_year = calendar_tables(metadata)


def append_only_ddl(schema: str) -> list[str]:
    """Postgres trigger that refuses UPDATE/DELETE on the audit log (for the initial migration)."""
    return [
        f"""
        CREATE OR REPLACE FUNCTION {schema}.audit_event_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_event is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$;
        """,
        f"""
        CREATE TRIGGER audit_event_append_only
        BEFORE UPDATE OR DELETE ON {schema}.audit_event
        FOR EACH ROW EXECUTE FUNCTION {schema}.audit_event_append_only();
        """,
        f"""
        CREATE TRIGGER audit_event_no_truncate
        BEFORE TRUNCATE ON {schema}.audit_event
        FOR EACH STATEMENT EXECUTE FUNCTION {schema}.audit_event_append_only();
        """,
    ]
