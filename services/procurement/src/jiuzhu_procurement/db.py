"""The `procurement` schema: this service's metadata, ORM base and the kit's tables."""

from sqlalchemy.orm import DeclarativeBase

from jiuzhu_kit.db import service_metadata
from jiuzhu_kit.documents.table import documents_table
from jiuzhu_kit.tables import KitTables
from jiuzhu_procurement import SCHEMA

metadata = service_metadata(SCHEMA)


class Base(DeclarativeBase):
    metadata = metadata


kit = KitTables(metadata)
documents = documents_table(metadata)  # the documents attached to every aggregate (attachments/)
