"""Every table of the `gateway` schema, imported so alembic sees the whole metadata."""

from jiuzhu_gateway.apikeys.models import ApiKey
from jiuzhu_gateway.db import Base, kit, metadata

__all__ = ["ApiKey", "Base", "kit", "metadata"]
