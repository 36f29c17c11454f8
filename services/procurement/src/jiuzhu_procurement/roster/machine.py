"""A roster worker's status (see `GET /workflows/roster_worker`): recruited → trained → dispatched
→ in post, then left, or replaced after an unqualified assessment (seed 002 四(八): the dispatch
company re-selects; seed 000 四(三): not renewed). `replaced` is reached only by recording the
replacement (service.replace), which names the successor; the table is the one place that says
which moves are legal, applied with the row locked in service.transition."""

from __future__ import annotations

from jiuzhu_kit.auth import Role
from jiuzhu_procurement.roster.policy import AGGREGATE
from jiuzhu_procurement.workflow.machine import Machine, t

EMPLOYER = [Role.CONTRACTOR]
DISPATCHED = frozenset({"dispatched", "in_post"})  # counted towards the contract's dispatch deadline

MACHINE = Machine(
    AGGREGATE,
    "花名册人员",
    "recruited",
    [
        t("recruited", "trained", "train", EMPLOYER, doc="完成岗前培训"),
        t("trained", "dispatched", "dispatch", EMPLOYER, doc="派遣到服务单位（五(五)）"),
        t("dispatched", "in_post", "take_post", [Role.CONTRACTOR, Role.BUREAU, Role.TOWNSHIP], doc="到岗"),
        t("recruited", "left", "withdraw", EMPLOYER, reason=True, doc="未派遣即离开"),
        t("trained", "left", "withdraw_trained", EMPLOYER, reason=True, doc="未派遣即离开"),
        t("dispatched", "left", "leave_dispatched", EMPLOYER, reason=True, doc="离岗"),
        t("in_post", "left", "leave", EMPLOYER, reason=True, doc="离岗（辞职、解除劳动关系）"),
        t(
            "in_post",
            "replaced",
            "replace",
            EMPLOYER,
            reason=True,
            doc="考核不合格，由派遣公司重新选配（四(八)）",
        ),
        t("dispatched", "replaced", "replace_dispatched", EMPLOYER, reason=True, doc="重新选配（四(八)）"),
    ],
)
