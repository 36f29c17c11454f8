"""`make migrate`: bring every service's schema to head (each its own alembic history)."""

from __future__ import annotations

import os

from jiuzhu_devtools.services import GATEWAY_MIGRATIONS, GATEWAY_SCHEMA, SERVICES
from jiuzhu_kit.migrations import prepare


def migrate_all(database_url: str) -> None:
    """Every schema to head (services, then the gateway), then each package's reference data."""
    prepare([*(s.package for s in SERVICES), GATEWAY_MIGRATIONS.split(":")[0]], database_url)


def main() -> None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        from jiuzhu_devtools.pg import data_dir, ensure_database, ensure_embedded

        url = ensure_database(ensure_embedded(data_dir("run")), "jiuzhu")
    migrate_all(url)
    print("migrated:", ", ".join([*(s.schema for s in SERVICES), GATEWAY_SCHEMA]))


if __name__ == "__main__":
    main()
