"""The aggregates of the changes feed and webhooks (GET /changes): every committed change of procurement's aggregates (jiuzhu_kit.feed), each decided
by its aggregate's read policy. A payment is read as its contract is, a challenge and a complaint as
their project is (the same decision as their own read paths)."""

from __future__ import annotations

from jiuzhu_kit.feed import Source, by_id, jurisdictional, via
from jiuzhu_procurement.challenge.models import Challenge
from jiuzhu_procurement.complaint.models import Complaint
from jiuzhu_procurement.contract.models import Contract, Payment
from jiuzhu_procurement.contract.policy import PAYMENT_POLICY
from jiuzhu_procurement.contract.policy import POLICY as CONTRACT
from jiuzhu_procurement.contractor.models import Contractor
from jiuzhu_procurement.contractor.policy import POLICY as CONTRACTOR
from jiuzhu_procurement.debarment.models import Debarment
from jiuzhu_procurement.debarment.policy import POLICY as DEBARMENT
from jiuzhu_procurement.expert.models import Expert
from jiuzhu_procurement.expert.policy import POLICY as EXPERT
from jiuzhu_procurement.plan.policy import POLICY as PLAN
from jiuzhu_procurement.project.policy import POLICY as PROJECT

# Projects (and their challenges and complaints) and plans: decided by jurisdiction in the page's SQL.
SOURCES = {
    "project": jurisdictional(PROJECT),
    "challenge": jurisdictional(PROJECT, through=(Challenge, "project_id")),
    "complaint": jurisdictional(PROJECT, through=(Complaint, "project_id")),
    "plan": jurisdictional(PLAN),
    "contract": Source(CONTRACT, by_id(Contract)),
    "payment": Source(PAYMENT_POLICY, via(Payment, "contract_id", by_id(Contract))),
    "contractor": Source(CONTRACTOR, by_id(Contractor)),
    "debarment": Source(DEBARMENT, by_id(Debarment)),
    "expert": Source(EXPERT, by_id(Expert)),
}
