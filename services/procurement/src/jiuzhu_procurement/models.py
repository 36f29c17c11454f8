"""Every table of the `procurement` schema, imported so alembic sees the whole metadata."""

from jiuzhu_procurement.challenge.models import Challenge
from jiuzhu_procurement.complaint.models import Complaint
from jiuzhu_procurement.contract.models import Contract, Payment
from jiuzhu_procurement.contractor.models import Contractor
from jiuzhu_procurement.db import Base, kit, metadata
from jiuzhu_procurement.debarment.models import Debarment
from jiuzhu_procurement.expert.models import Expert, ExpertDraw
from jiuzhu_procurement.plan.models import PurchasePlan
from jiuzhu_procurement.project.models import Bid, BidKey, Project
from jiuzhu_procurement.roster.models import Training, Worker
from jiuzhu_procurement.rulebook.models import rule_pack

__all__ = [
    "Base",
    "Bid",
    "BidKey",
    "Challenge",
    "Complaint",
    "Contract",
    "Contractor",
    "Debarment",
    "Expert",
    "ExpertDraw",
    "Payment",
    "Project",
    "PurchasePlan",
    "Training",
    "Worker",
    "kit",
    "rule_pack",
    "metadata",
]
