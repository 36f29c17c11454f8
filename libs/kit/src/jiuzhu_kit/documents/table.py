"""The `document` table each service that keeps documents has in its own schema.

One row per version: a new version supersedes the current one (`superseded_by`), which stays, so
the history of a document is its series (`series_id`, `version`). The bytes are in the store under
their sha256; the row holds what a reader needs to list and fetch them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID


def documents_table(metadata: MetaData) -> Table:
    return Table(
        "document",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("series_id", UUID(as_uuid=True), nullable=False),
        Column("version", Integer, nullable=False),
        # The record the document belongs to: its kind (plan, project, bid, …) and id.
        Column("owner_type", String(32), nullable=False),
        Column("owner_id", String(64), nullable=False),
        Column("division_code", String(12), nullable=False),
        Column("document_type", String(64), nullable=False),
        Column("title", String(300), nullable=False),
        Column("language", String(16), nullable=False),
        Column("media_type", String(128), nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("uploaded_by", String(256), nullable=False),
        Column("uploaded_at", DateTime(timezone=True), nullable=False),
        Column("supersedes", UUID(as_uuid=True), nullable=True),
        Column("superseded_by", UUID(as_uuid=True), nullable=True),
        Column("superseded_at", DateTime(timezone=True), nullable=True),
        UniqueConstraint("series_id", "version"),
        Index("ix_document_owner", "owner_type", "owner_id"),
        # One current version per series: two concurrent supersessions cannot both win.
        Index(
            "uq_document_current", "series_id", unique=True, postgresql_where=text("superseded_by IS NULL")
        ),
    )
