"""Staffing's rule packs: the kit's format (jiuzhu_kit.rules) plus staffing rules and pay rules.

A pack is immutable once loaded. Calculations read it through `Pack.param(name).at(day)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from jiuzhu_kit.rules.model import Bracket as Bracket
from jiuzhu_kit.rules.model import Citation as Citation
from jiuzhu_kit.rules.model import DatedValue as DatedValue
from jiuzhu_kit.rules.model import Pack as RulePack
from jiuzhu_kit.rules.model import Parameter as Parameter

# What a bracket scale may be measured in (its input).
MEASURES = {"assisted_households": "户", "registered_population": "人"}

UNIT_KINDS = (
    "county",
    "township",
    "street_office",
    "administrative_village",
    "urban_community",
    "residents_committee",
    "villagers_committee",
    "nursing_home_government_run",
)
ROLES = ("caseworker", "coordinator", "verifier", "assistance_worker", "manager")
ROLE_ZH = {
    "caseworker": "社会救助经办服务人员",
    "coordinator": "养老救助协理员",
    "verifier": "入户核查员",
    "assistance_worker": "社会救助工作人员",
    "manager": "专职管理人员",
}
UNIT_ZH = {
    "county": "县级民政部门",
    "township": "乡镇",
    "street_office": "街道办",
    "administrative_village": "建制村",
    "urban_community": "城市社区",
    "residents_committee": "居民委员会",
    "villagers_committee": "村民委员会",
    "nursing_home_government_run": "政府运营的农村特困人员供养服务机构",
}


@dataclass(frozen=True)
class StaffingRule:
    id: str
    role: str
    applies_to: tuple[str, ...]
    parameter: str
    label: str
    measure: str | None = None  # bracket scales: which input; per-unit rules: None


@dataclass(frozen=True)
class PayRule:
    kind: str  # fixed_with_raise | minimum_wage_multiple
    params: dict[str, str]  # role in the rule → parameter name


class Pack(RulePack):
    """A staffing pack: the kit's pack with the staffing and pay rules of its `sections`."""

    @property
    def staffing(self) -> tuple[StaffingRule, ...]:
        rules: tuple[StaffingRule, ...] = self.sections.get("staffing") or ()
        return rules

    @property
    def pay(self) -> PayRule | None:
        pay: PayRule | None = self.sections.get("pay")
        return pay
