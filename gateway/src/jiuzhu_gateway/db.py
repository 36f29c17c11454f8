"""The `gateway` schema: API keys, the kit's audit/idempotency tables (no calendar) and the shared
rate-limit counters."""

from sqlalchemy.orm import DeclarativeBase

from jiuzhu_gateway import SCHEMA
from jiuzhu_kit.db import service_metadata
from jiuzhu_kit.tables import KitTables

metadata = service_metadata(SCHEMA)


class Base(DeclarativeBase):
    metadata = metadata


kit = KitTables(metadata, calendar=False, rate_limits=True, webhooks=False, transparency=False)
