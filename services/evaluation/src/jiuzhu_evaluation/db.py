"""The `evaluation` schema: this service's metadata, ORM base and the kit's tables."""

from sqlalchemy.orm import DeclarativeBase

from jiuzhu_evaluation import SCHEMA
from jiuzhu_kit.db import service_metadata
from jiuzhu_kit.documents.table import documents_table
from jiuzhu_kit.tables import KitTables

metadata = service_metadata(SCHEMA)


class Base(DeclarativeBase):
    metadata = metadata


kit = KitTables(metadata, rate_limits=True)  # the survey limits (survey/ratelimit.py)
documents = documents_table(
    metadata
)  # the documents of rounds and surveys (round/documents.py, survey/documents.py)
