"""Every table of the `procurement` schema, imported so alembic sees the whole metadata."""

from jiuzhu_procurement.catalogue.models import CatalogueItem, NegativeListEntry, Threshold
from jiuzhu_procurement.contract.models import Contract, Payment
from jiuzhu_procurement.contractor.models import Contractor, Debarment
from jiuzhu_procurement.db import Base, kit, metadata
from jiuzhu_procurement.plan.models import PurchasePlan
from jiuzhu_procurement.project.models import Bid, Challenge, Project

__all__ = [
    "Base",
    "Bid",
    "CatalogueItem",
    "Challenge",
    "Contract",
    "Contractor",
    "Debarment",
    "NegativeListEntry",
    "Payment",
    "Project",
    "PurchasePlan",
    "Threshold",
    "kit",
    "metadata",
]
