"""Every table of the `evaluation` schema, imported so alembic sees the whole metadata."""

from jiuzhu_evaluation.db import Base, kit, metadata

__all__ = ["Base", "kit", "metadata"]
