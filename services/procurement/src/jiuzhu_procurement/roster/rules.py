"""Roster rules, pure: the resident ID number (GB 11643-1999), the recruitment requirements a worker
must meet when added (灵政办发〔2018〕201号 五(五): 年龄、学历、户籍; 粤 seed 000 二(七): 大专以上学历),
and the training a contract's workers need (六(三): at least 2 sessions a year; seed 000 三(三):
induction). The requirements are dated, cited rule values (unit `recruitment`) of the procurement
packs; a bureau publishes its own through a local pack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from jiuzhu_kit import divisions
from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.rules.book import RulesAt
from jiuzhu_kit.rules.parse import Checker

# Education from lowest to highest; the rank decides "X 以上" (X included, 民法典 1259).
EDUCATION = (
    "junior_high",  # 初中
    "senior_high",  # 高中、中专、技校
    "junior_college",  # 大专
    "bachelor",  # 本科
    "master",  # 硕士研究生
    "doctorate",  # 博士研究生
)
EDUCATION_ZH = dict(zip(EDUCATION, ("初中", "高中（中专）", "大专", "本科", "硕士", "博士"), strict=True))
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def valid_id_number(text: str) -> bool:
    """An 18-character resident ID number whose check character (GB 11643-1999, ISO 7064 MOD 11-2)
    and birth date are right."""
    s = text.strip().upper()
    if len(s) != 18 or not s[:17].isdigit() or s[17] not in "0123456789X":
        return False
    if _CHECK[sum(int(c) * w for c, w in zip(s[:17], _WEIGHTS, strict=True)) % 11] != s[17]:
        return False
    try:
        date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return True


def birth_date(id_number: str) -> date:
    s = id_number.strip()
    return date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def age_on(born: date, on: date) -> int:
    """Full years (周岁) on `on`."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass(frozen=True)
class Requirements:
    """What a worker must meet to be recruited. Ages are 周岁, both bounds included (以上/以下);
    `household_within`: the household registration (户籍) lies under one of these divisions."""

    min_age: int | None
    max_age: int | None
    min_education: str | None
    household_within: tuple[str, ...]


def parse_requirements(raw: Any, chk: Checker, where: str) -> Requirements:
    if not isinstance(raw, dict):
        chk.fail(where, "招聘条件应为 {min_age, max_age, min_education, household_within}")
        return Requirements(None, None, None, ())
    unknown = set(raw) - {"min_age", "max_age", "min_education", "household_within"}
    if unknown:
        chk.fail(where, f"未知的招聘条件: {sorted(unknown)}")
    ages = []
    for k in ("min_age", "max_age"):
        v = raw.get(k)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or not 16 <= v <= 70):
            chk.fail(f"{where}.{k}", f"年龄应为 16 至 70 的整数: {v!r}")
            v = None
        ages.append(v)
    if ages[0] is not None and ages[1] is not None and ages[0] > ages[1]:
        chk.fail(where, "最低年龄大于最高年龄")
    edu = raw.get("min_education")
    if edu is not None and edu not in EDUCATION:
        chk.fail(f"{where}.min_education", f"学历应为 {', '.join(EDUCATION)} 之一: {edu!r}")
        edu = None
    within = raw.get("household_within") or []
    if not isinstance(within, list) or not all(isinstance(d, str) for d in within):
        chk.fail(f"{where}.household_within", "户籍范围应为行政区划代码列表")
        within = []
    for d in within:
        try:
            divisions.validate_division_code(d)
        except ValueError:
            chk.fail(f"{where}.household_within", f"行政区划代码不正确: {d!r}")
    return Requirements(ages[0], ages[1], edu, tuple(within))


class RequirementNotMet(Conflict):
    code = "RECRUITMENT_REQUIREMENT_NOT_MET"
    zh = "不符合招聘条件：{what}（{citation}）"
    en = "The worker does not meet the recruitment requirement: {what_en} ({citation})"

    def extra(self) -> dict[str, Any]:
        return {"requirement": self.params.get("requirement"), "citation": self.params.get("citation")}


@dataclass(frozen=True)
class Candidate:
    id_number: str
    education: str
    household_division: str


def check_requirements(at: RulesAt, who: Candidate) -> None:
    """Refuse a worker who fails the recruitment requirements in force for the contract's division
    on the day they are added, naming the requirement and its clause. None in force: none checked."""
    rule = at.get("recruitment_requirements")
    if rule is None:
        return
    req: Requirements = rule.value
    age = age_on(birth_date(who.id_number), at.on)
    if req.min_age is not None and age < req.min_age:
        raise RequirementNotMet(
            requirement="min_age",
            what=f"年龄 {age} 周岁，应满 {req.min_age} 周岁",
            what_en=f"aged {age}, at least {req.min_age} required",
            citation=rule.cite,
        )
    if req.max_age is not None and age > req.max_age:
        raise RequirementNotMet(
            requirement="max_age",
            what=f"年龄 {age} 周岁，应在 {req.max_age} 周岁以下",
            what_en=f"aged {age}, at most {req.max_age} allowed",
            citation=rule.cite,
        )
    if req.min_education is not None and EDUCATION.index(who.education) < EDUCATION.index(req.min_education):
        raise RequirementNotMet(
            requirement="min_education",
            what=f"学历为{EDUCATION_ZH[who.education]}，应为{EDUCATION_ZH[req.min_education]}以上",
            what_en=f"education {who.education}, {req.min_education} or higher required",
            citation=rule.cite,
        )
    if req.household_within and not any(
        divisions.covers(d, who.household_division) for d in req.household_within
    ):
        raise RequirementNotMet(
            requirement="household_within",
            what=f"户籍 {who.household_division} 不在 {'、'.join(req.household_within)} 范围内",
            what_en=f"household registration {who.household_division} outside {', '.join(req.household_within)}",
            citation=rule.cite,
        )


@dataclass(frozen=True)
class TrainingGap:
    key: str  # sessions_per_year | induction
    detail: str
    citation: str
    required: int
    recorded: int
    worker_ids: tuple[str, ...] = ()


def training_gaps(
    at: RulesAt, year: int, sessions: list[dict[str, Any]], workers: list[tuple[str, str]]
) -> list[TrainingGap]:
    """What training is missing for a contract in `year`: fewer sessions than the yearly minimum
    (`training_sessions_per_year`), and workers (id, name) in post without an induction
    (`induction_training_required`). `sessions`: {on, kind, attendees}."""
    out: list[TrainingGap] = []
    per_year = at.get("training_sessions_per_year")
    in_year = [s for s in sessions if s["on"].year == year]
    if per_year is not None and len(in_year) < per_year.value:
        out.append(
            TrainingGap(
                "sessions_per_year",
                f"{year} 年业务培训 {len(in_year)} 次，每年至少 {per_year.value} 次",
                per_year.cite,
                per_year.value,
                len(in_year),
            )
        )
    induction = at.get("induction_training_required")
    if induction is not None and induction.value:
        trained = {a for s in sessions if s["kind"] == "induction" for a in s["attendees"]}
        missing = tuple(w for w, _ in workers if w not in trained)
        if missing:
            out.append(
                TrainingGap(
                    "induction",
                    f"{len(missing)} 名工作人员未参加入职培训",
                    induction.cite,
                    len(workers),
                    len(workers) - len(missing),
                    missing,
                )
            )
    return out
