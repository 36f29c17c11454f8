"""Every table of the `procurement` schema, imported so alembic sees the whole metadata."""

from jiuzhu_procurement.db import Base, kit, metadata

__all__ = ["Base", "kit", "metadata"]
