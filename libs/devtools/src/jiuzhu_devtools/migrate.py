"""`make migrate`: bring every service's schema to head (each its own alembic history)."""

from __future__ import annotations

from jiuzhu_devtools.pg import dev_database_url
from jiuzhu_devtools.services import GATEWAY_PACKAGE, GATEWAY_SCHEMA, SERVICES
from jiuzhu_kit.migrations import prepare


def migrate_all(database_url: str) -> None:
    """Every schema to head (services, then the gateway), then each package's reference data."""
    prepare([*(s.package for s in SERVICES), GATEWAY_PACKAGE], database_url)


def main() -> None:
    migrate_all(dev_database_url())
    print("migrated:", ", ".join([*(s.schema for s in SERVICES), GATEWAY_SCHEMA]))


if __name__ == "__main__":
    main()
