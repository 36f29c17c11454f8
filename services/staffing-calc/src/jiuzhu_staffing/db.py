"""The `staffing` schema: this service's metadata, ORM base and the kit's tables."""

from sqlalchemy.orm import DeclarativeBase

from jiuzhu_kit.db import service_metadata
from jiuzhu_kit.tables import KitTables
from jiuzhu_staffing import SCHEMA

metadata = service_metadata(SCHEMA)


class Base(DeclarativeBase):
    metadata = metadata


kit = KitTables(metadata)
