"""Who reads a contract's roster and its workers' histories, and what of them.

- the contractor party (its token's `org` = the contract's USCC) maintains its own roster;
- the purchaser's side (bureau, finance, auditor) covering the contract's division reads it, and
  the bureau approves;
- a township (or street office) reads the workers serving in its own division (seed 002 四(八):
  the bureau, the townships and the company manage the verifiers together).

A worker's ID number and phone are personal data (个人信息保护法 28): every read shows them masked;
the full values only through the audited personal-data route, to the contractor party and the
bureau covering the contract (`may_read_personal_data`). Histories and exports never hold them:
the events carry the masked view (service.audit_view)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, or_

from jiuzhu_kit import divisions
from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.masking import mask_name
from jiuzhu_kit.policy import FULL, ReadPolicy, View
from jiuzhu_procurement.roster.models import Training, Worker

AGGREGATE = "roster_worker"
PURCHASER_SIDE = frozenset({Role.BUREAU, Role.FINANCE, Role.AUDITOR})
PUBLIC_VIEW = View(masked={"name": mask_name})


class WorkerNotFound(NotFound):
    code = "ROSTER_WORKER_NOT_FOUND"
    zh = "未找到该工作人员"
    en = "Worker not found"


def _is_party(principal: Principal, contractor_uscc: str) -> bool:
    return principal.has(Role.CONTRACTOR) and principal.org is not None and principal.org == contractor_uscc


class WorkerPolicy(ReadPolicy[Worker]):
    aggregate = AGGREGATE
    not_found = WorkerNotFound
    roles = PURCHASER_SIDE | {Role.TOWNSHIP, Role.CONTRACTOR}
    model = Worker

    def may_read(self, principal: Principal, row: Worker) -> bool:
        if _is_party(principal, row.contractor_uscc):
            return True
        if principal.has(Role.ADMIN, *PURCHASER_SIDE) and principal.covers(row.division_code):
            return True
        return principal.has(Role.TOWNSHIP) and principal.covers(row.serves_division)

    def view(self, principal: Principal | None, row: Worker) -> View:
        """The public (portals: "who serves my village") sees a worker's family name only (张**);
        every reader the policy admits sees the name (ID number and phone are masked for all)."""
        if principal is None or not self.may_read(principal, row):
            return PUBLIC_VIEW
        return FULL

    def may_read_personal_data(self, principal: Principal, row: Worker) -> bool:
        """The full ID number and phone: the employer (the contractor party) and the bureau."""
        return _is_party(principal, row.contractor_uscc) or (
            principal.has(Role.BUREAU) and principal.covers(row.division_code)
        )

    def narrow(self, principal: Principal, stmt: Select[Any]) -> Select[Any]:
        self.ensure_role(principal)
        mine = divisions.prefix(principal.division)
        ways = []
        if principal.has(Role.ADMIN, *PURCHASER_SIDE):
            ways.append(Worker.division_code.startswith(mine, autoescape=True))
        if principal.has(Role.TOWNSHIP):
            ways.append(Worker.serves_division.startswith(mine, autoescape=True))
        if principal.has(Role.CONTRACTOR) and principal.org:
            ways.append(Worker.contractor_uscc == principal.org)
        return stmt.where(or_(*ways)) if ways else stmt.where(false())


POLICY = WorkerPolicy()


class TrainingNotFound(NotFound):
    code = "ROSTER_TRAINING_NOT_FOUND"
    zh = "未找到该培训记录"
    en = "Training record not found"


class TrainingPolicy(ReadPolicy[Training]):
    """A contract's training records: the contractor party and the purchaser's side (a township
    too: training is not personal data beyond the attendees' ids)."""

    aggregate = "roster_training"
    not_found = TrainingNotFound
    roles = PURCHASER_SIDE | {Role.TOWNSHIP, Role.CONTRACTOR}
    model = Training

    def may_read(self, principal: Principal, row: Training) -> bool:
        if _is_party(principal, row.contractor_uscc):
            return True
        if principal.has(Role.ADMIN, *PURCHASER_SIDE) and principal.covers(row.division_code):
            return True
        # a township under the contract's purchaser
        return principal.has(Role.TOWNSHIP) and divisions.covers(row.division_code, principal.division)


TRAINING_POLICY = TrainingPolicy()
