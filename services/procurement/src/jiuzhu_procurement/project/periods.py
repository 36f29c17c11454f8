"""The legal clock of a purchase, without I/O: every period is a dated, cited rule of the procurement
packs (rulebook/data), counted on the working-day calendar (jiuzhu_kit.calendar) when its unit is
working days and on calendar days otherwise; the first day is never counted (民法典 第二百零一条),
so "20 days from the documents issued on D" ends on D + 20. A deadline for an act counted in
calendar days that falls on a rest day moves to the next working day (民法典 第二百零三条); the
minimum of a period does not (a response deadline may be any day from its earliest on).

- The response period per method: documents issued → response deadline (`response_period_min_*`:
  tenders 20 days, 政府采购法 35; consultation 10 days, 财库〔2014〕214号 10; negotiation and request
  for quotation 3 working days, 74号令); single source goes on only after its publicity
  (`single_source_publicity_min`, 实施条例 38).
- The deadlines after the award, kept on the project with their due dates: the result announced
  (and the notice sent) within 2 working days (实施条例 43), the contract signed within 30 days of
  the notice (政府采购法 46), the contract published within 2 working days of signing (实施条例 50).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from jiuzhu_kit.calendar import WorkingCalendar
from jiuzhu_kit.rules.book import Rule, RulesAt

# The longest span any of these rules asks the calendar for (30 working days is ~ 6 weeks, plus
# the Spring Festival and National Day weeks): what callers load around a start date.
CALENDAR_SPAN = timedelta(days=120)


def count(cal: WorkingCalendar, start: date, value: int, unit: str) -> date:
    """The day `value` days (or working days) after `start`, start not counted."""
    if unit == "working_day":
        return cal.add_working_days(start, value)
    return start + timedelta(days=value)


def after(cal: WorkingCalendar, start: date, rule: Rule) -> date:
    return count(cal, start, int(rule.value), rule.unit)


def due(cal: WorkingCalendar, start: date, value: int, unit: str) -> date:
    """When an act is due `value` days (or working days) after `start`: a period in calendar days
    whose last day is a rest day ends on the next working day (民法典 第二百零三条)."""
    d = count(cal, start, value, unit)
    return next_working_day(cal, d) if unit != "working_day" else d


def next_working_day(cal: WorkingCalendar, d: date) -> date:
    """`d` itself if it is a working day, else the first working day after it."""
    while not cal.is_working_day(d):
        d += timedelta(days=1)
    return d


def span_zh(rule: Rule) -> str:
    return f"{rule.value} 个工作日" if rule.unit == "working_day" else f"{rule.value} 日"


def span_en(rule: Rule) -> str:
    return f"{rule.value} working days" if rule.unit == "working_day" else f"{rule.value} days"


@dataclass(frozen=True)
class Period:
    """The response period of a method: the earliest lawful deadline and the rule that sets it
    (None: the method has no minimum in the rules on that day)."""

    issued_on: date
    earliest: date
    rule: Rule | None

    def as_dict(self, deadline: date) -> dict[str, Any]:
        return {
            "documents_issued_on": self.issued_on.isoformat(),
            "response_deadline": deadline.isoformat(),
            "earliest_deadline": self.earliest.isoformat(),
            "minimum": span_zh(self.rule) if self.rule else None,
            "rule": self.rule.name if self.rule else None,
            "citation": self.rule.cite if self.rule else None,
            "extensions": [],
        }


def response_period(
    at: RulesAt, cal: WorkingCalendar, method: str, issued_on: date, publicity_ends_on: date | None
) -> Period:
    """The earliest response deadline of `method` for documents issued on `issued_on`, by the rules
    in force on the announcement day (`at`). Single source: the day after its publicity ends."""
    if method == "single_source":
        r = at.get("single_source_publicity_min")
        ends = publicity_ends_on or issued_on
        return Period(issued_on, max(issued_on, ends + timedelta(days=1)), r)
    r = at.get(f"response_period_min_{method}")
    if r is None:
        return Period(issued_on, issued_on, None)
    return Period(issued_on, after(cal, issued_on, r), r)


# ---- deadlines after the award ------------------------------------------------------------------

NAMES = {
    "award_announcement": "发出中标、成交通知书并公告结果",
    "contract_signing": "签订政府采购合同",
    "contract_publication": "公告政府采购合同",
}
# Which rule sets each deadline, and whether the purchaser records it (the others are met by a
# transition: the contract is signed by `sign_contract`).
RULES = {
    "award_announcement": "award_announcement_working_days",
    "contract_signing": "contract_signing_days",
    "contract_publication": "contract_publication_working_days",
}
MANUAL = frozenset({"award_announcement", "contract_publication"})


def _deadline(key: str, rule: Rule, cal: WorkingCalendar, start: date) -> dict[str, Any]:
    return {
        "key": key,
        "name": NAMES[key],
        "rule": rule.name,
        "period": {"value": int(rule.value), "unit": rule.unit},
        "citation": rule.cite,
        "from": start.isoformat(),
        "due_on": due(cal, start, int(rule.value), rule.unit).isoformat(),
        "fulfilled_on": None,
        "manual": key in MANUAL,
    }


def after_award(at: RulesAt, cal: WorkingCalendar, awarded_on: date) -> list[dict[str, Any]]:
    """The deadlines an award starts, by the rules in force on the award day. The notice goes out
    with the announcement (实施条例 43): until the announcement is recorded, the signing period
    counts from the award day."""
    out = []
    for key in ("award_announcement", "contract_signing"):
        r = at.get(RULES[key])
        if r is not None:
            out.append(_deadline(key, r, cal, awarded_on))
    return out


def on_signing(
    at: RulesAt, cal: WorkingCalendar, deadlines: list[dict[str, Any]], signed_on: date
) -> list[dict[str, Any]]:
    """Signing meets the signing deadline and starts the publication one."""
    out = [
        {**d, "fulfilled_on": signed_on.isoformat()} if d["key"] == "contract_signing" else d
        for d in deadlines
        if d["key"] != "contract_publication"
    ]
    r = at.get(RULES["contract_publication"])
    if r is not None:
        out.append(_deadline("contract_publication", r, cal, signed_on))
    return out


def fulfil(cal: WorkingCalendar, deadlines: list[dict[str, Any]], key: str, on: date) -> list[dict[str, Any]]:
    """Record that `key` was met on `on`. The award announcement carries the notice (实施条例 43),
    so the signing period (政府采购法 46: from the notice) is counted again from that day."""
    out = []
    for d in deadlines:
        if d["key"] == key:
            d = {**d, "fulfilled_on": on.isoformat()}
        elif key == "award_announcement" and d["key"] == "contract_signing" and not d["fulfilled_on"]:
            p = d["period"]
            d = {**d, "from": on.isoformat(), "due_on": due(cal, on, p["value"], p["unit"]).isoformat()}
        out.append(d)
    return out


def suspended_days(until_before: date | None, until_after: date | None, today: date) -> int:
    """How many more (or, lifted early, fewer) days the purchase stands still when its suspension
    changes from `until_before` to `until_after` (both inclusive; None: not suspended)."""
    start = today - timedelta(days=1)  # a suspension set or lifted today counts from today
    before = (until_before - start).days if until_before and until_before > start else 0
    after = (until_after - start).days if until_after and until_after > start else 0
    return after - before


def shift_pending(deadlines: list[dict[str, Any]], days: int) -> list[dict[str, Any]]:
    """Move every deadline not yet met by `days` calendar days: the time a purchase stands
    suspended (政府采购法 57) does not run against the purchaser (the days are kept on the
    deadline as `suspended_days`)."""
    if days == 0:
        return deadlines
    out = []
    for d in deadlines:
        if not d.get("fulfilled_on"):
            d = {
                **d,
                "due_on": (date.fromisoformat(d["due_on"]) + timedelta(days=days)).isoformat(),
                "suspended_days": int(d.get("suspended_days", 0)) + days,
            }
        out.append(d)
    return out


def status(d: dict[str, Any], today: date) -> str:
    """met · late (met after its due date) · overdue (not met, past due) · pending."""
    due = date.fromisoformat(d["due_on"])
    done = d.get("fulfilled_on")
    if done:
        return "met" if date.fromisoformat(done) <= due else "late"
    return "overdue" if today > due else "pending"
