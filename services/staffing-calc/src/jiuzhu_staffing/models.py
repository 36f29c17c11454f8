"""Every table of the `staffing` schema, imported so alembic sees the whole metadata."""

from jiuzhu_staffing.compliance.models import ComplianceReport
from jiuzhu_staffing.db import Base, kit, metadata
from jiuzhu_staffing.pilots.models import PilotDesignation
from jiuzhu_staffing.scenario.models import Scenario

__all__ = ["Base", "ComplianceReport", "PilotDesignation", "Scenario", "kit", "metadata"]
