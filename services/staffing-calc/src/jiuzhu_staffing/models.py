"""Every table of the `staffing` schema, imported so alembic sees the whole metadata."""

from jiuzhu_staffing.db import Base, kit, metadata
from jiuzhu_staffing.scenario.models import Scenario

__all__ = ["Base", "Scenario", "kit", "metadata"]
