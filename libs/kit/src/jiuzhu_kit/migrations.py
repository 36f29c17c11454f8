"""Alembic glue shared by every service: one schema, one history, version table in that schema."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from alembic import context
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from jiuzhu_kit.settings import to_async_url


def alembic_config(script_location: str, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", script_location)
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def run_env(metadata: MetaData) -> None:
    """Body of each service's `migrations/env.py`."""
    schema = metadata.schema
    assert schema, "service metadata must name its schema"
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "")

    def include_name(name: str | None, type_: Any, parent_names: Any) -> bool:
        if type_ == "schema":
            return name == schema
        return True

    def do_run(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=include_name,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, version_table_schema=schema, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    async def run_async() -> None:
        engine = create_async_engine(to_async_url(url), poolclass=pool.NullPool)
        async with engine.connect() as conn:
            # Serialise concurrent migrators (several replicas starting at once).
            await conn.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": f"migrate:{schema}"})
            await conn.run_sync(do_run)
            await conn.commit()
            await conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": f"migrate:{schema}"})
        await engine.dispose()

    asyncio.run(run_async())


def upgrade(script_location: str, database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(script_location, database_url), revision)


def downgrade(script_location: str, database_url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(script_location, database_url), revision)


def create_kit_tables(schema: str, *, calendar: bool = True) -> None:
    """Initial-migration step: the kit's tables in `schema`, the audit trigger, the calendar seed."""
    from alembic import op

    from jiuzhu_kit.calendar import library_years, year_from_library
    from jiuzhu_kit.db import service_metadata
    from jiuzhu_kit.tables import KitTables, append_only_ddl

    md = service_metadata(schema)
    kit = KitTables(md, calendar=calendar, webhooks=False, transparency=False)
    bind = op.get_bind()
    md.create_all(bind)
    for stmt in append_only_ddl(schema):
        op.execute(stmt)
    if calendar and kit.calendar_day is not None and kit.calendar_year is not None:
        days = []
        years = library_years()
        for y in years:
            days += [
                {"day": d.day, "is_working": d.is_working, "kind": d.kind, "name": d.name}
                for d in year_from_library(y)
            ]
        op.bulk_insert(kit.calendar_day, days)
        op.bulk_insert(kit.calendar_year, [{"year": y, "source": "chinesecalendar"} for y in years])


def drop_kit_tables(schema: str) -> None:
    from alembic import op

    for name in ("calendar_year", "calendar_day", "idempotency_record", "audit_event"):
        op.execute(f'DROP TABLE IF EXISTS "{schema}"."{name}" CASCADE')
    op.execute(f'DROP FUNCTION IF EXISTS "{schema}".audit_event_append_only() CASCADE')


def add_feed_position(schema: str) -> None:
    """Migration step: the audit log's `xid` column and the feed's index (jiuzhu_kit.feed). A
    database created after the kit gained them already has both (create_kit_tables)."""
    from alembic import op

    from jiuzhu_kit.tables import XID_DEFAULT

    # Existing events get the migration's own transaction id: all committed, ordered among
    # themselves by id, and all before any later write.
    op.execute(
        f'ALTER TABLE "{schema}".audit_event ADD COLUMN IF NOT EXISTS xid bigint NOT NULL DEFAULT {XID_DEFAULT}'
    )
    op.execute(f'CREATE INDEX IF NOT EXISTS audit_event_feed ON "{schema}".audit_event (xid, id)')


def create_webhook_tables(schema: str) -> None:
    """Migration step: the webhook tables and the audit log's outbox trigger (jiuzhu_kit.webhooks)."""
    from alembic import op

    from jiuzhu_kit.db import service_metadata
    from jiuzhu_kit.tables import WebhookTables, webhook_outbox_ddl

    md = service_metadata(schema)
    WebhookTables(md)
    md.create_all(op.get_bind())
    for stmt in webhook_outbox_ddl(schema):
        op.execute(stmt)


def drop_webhook_tables(schema: str) -> None:
    from alembic import op

    op.execute(f'DROP TRIGGER IF EXISTS audit_event_webhook_outbox ON "{schema}".audit_event')
    op.execute(f'DROP FUNCTION IF EXISTS "{schema}".webhook_outbox_enqueue()')
    for name in ("webhook_attempt", "webhook_delivery", "webhook_outbox", "webhook_endpoint"):
        op.execute(f'DROP TABLE IF EXISTS "{schema}"."{name}"')


def update_webhook_sender(schema: str) -> None:
    """Migration step: the pending deliveries by endpoint, which the sender claims from, and the
    outbox trigger's NOTIFY, which wakes it (tables.WebhookTables, webhook_outbox_ddl; the index
    is already there when the webhook tables were made after it)."""
    from alembic import op

    from jiuzhu_kit.tables import webhook_outbox_ddl

    op.execute(
        f'CREATE INDEX IF NOT EXISTS webhook_delivery_pending ON "{schema}".webhook_delivery '
        "(endpoint_id, next_attempt_at) WHERE status = 'pending'"
    )
    op.execute(webhook_outbox_ddl(schema)[0])  # CREATE OR REPLACE FUNCTION


def downgrade_webhook_sender(schema: str) -> None:
    """The index dropped; the trigger keeps notifying (harmless with nobody listening)."""
    from alembic import op

    op.execute(f'DROP INDEX IF EXISTS "{schema}".webhook_delivery_pending')


def create_transparency_tables(schema: str) -> None:
    """Migration step: the transparency log's tables, append-only (jiuzhu_kit.transparency)."""
    from alembic import op

    from jiuzhu_kit.db import service_metadata
    from jiuzhu_kit.transparency.log import TransparencyTables, append_only_ddl

    md = service_metadata(schema)
    TransparencyTables(md)
    md.create_all(op.get_bind())
    for stmt in append_only_ddl(schema):
        op.execute(stmt)


def drop_transparency_tables(schema: str) -> None:
    from alembic import op

    for name in ("transparency_head", "transparency_node", "transparency_entry"):
        op.execute(f'DROP TABLE IF EXISTS "{schema}"."{name}"')
    op.execute(f'DROP FUNCTION IF EXISTS "{schema}".transparency_append_only()')


def prepare(packages: list[str], database_url: str) -> list[str]:
    """Upgrade each package's schema to head, then load its reference data if it ships any.

    A package takes part by having `<pkg>.migrations` (alembic scripts) and optionally
    `<pkg>.reference` with `load(database_url)`. Used by `make run` and the deploy migrate step.
    """
    import importlib
    import importlib.util

    done = []
    for pkg in packages:
        if importlib.util.find_spec(f"{pkg}.migrations") is None:
            continue
        upgrade(f"{pkg}:migrations", database_url)
        done.append(pkg)
    for pkg in packages:
        if importlib.util.find_spec(f"{pkg}.reference") is not None:
            importlib.import_module(f"{pkg}.reference").load(database_url)
    return done


def main(argv: list[str] | None = None) -> None:
    """`python -m jiuzhu_kit.migrations jiuzhu_staffing jiuzhu_procurement …` with DATABASE_URL set."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    url = os.environ.get("DATABASE_URL", "")
    if not url or not args:
        raise SystemExit("usage: DATABASE_URL=… python -m jiuzhu_kit.migrations <package> [<package> …]")
    done = prepare(args, url)
    print("migrated and loaded reference data:", ", ".join(done))


if __name__ == "__main__":
    main()


def index_finished_deliveries(schema: str) -> None:
    """Migration step: finished deliveries by age, which the delivery log's pruning reads
    (tables.WebhookTables; already there when the webhook tables were made after it)."""
    from alembic import op

    op.execute(
        f'CREATE INDEX IF NOT EXISTS webhook_delivery_finished ON "{schema}".webhook_delivery '
        "(created_at) WHERE status <> 'pending'"
    )


def drop_finished_deliveries_index(schema: str) -> None:
    from alembic import op

    op.execute(f'DROP INDEX IF EXISTS "{schema}".webhook_delivery_finished')
