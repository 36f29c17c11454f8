"""`evaluations_per_year` — how often a contract is evaluated — is a dated, cited rule: yearly by
default (the product's, unverified), every half-year in Lingwu from 灵政办发〔2018〕201号 (2018-11-21,
六(二)); and the periods it cuts a term into."""

from __future__ import annotations

from datetime import date

import httpx

from jiuzhu_evaluation.schedule.periods import periods

from .conftest import LINGWU


async def _rule(client: httpx.AsyncClient, division: str, on: str) -> dict[str, object]:
    r = await client.get("/rules/in-force", params={"division_code": division, "on": on})
    assert r.status_code == 200, r.text
    return next(x for x in r.json()["rules"] if x["name"] == "evaluations_per_year")


async def test_lingwu_evaluates_every_half_year_from_the_day_its_plan_took_effect(
    client: httpx.AsyncClient,
) -> None:
    before = await _rule(client, LINGWU, "2018-11-20")
    assert (before["value"], before["verified"], before["citation"]["document"]) == (1, False, "seed 000")
    after = await _rule(client, LINGWU, "2018-11-21")
    assert (after["value"], after["verified"], after["citation"]) == (
        2,
        True,
        {"document": "灵政办发〔2018〕201号", "clause": "六(二)", "text": "灵政办发〔2018〕201号 六(二)"},
    )
    # Elsewhere the default stands on both days.
    assert (await _rule(client, "441521", "2018-11-21"))["value"] == 1


def test_a_term_is_cut_into_the_calendar_periods_it_overlaps() -> None:
    half = periods(date(2018, 11, 9), date(2019, 7, 1), 2)
    assert [(p.code, p.starts.isoformat(), p.ends.isoformat()) for p in half] == [
        ("2018-H2", "2018-07-01", "2018-12-31"),
        ("2019-H1", "2019-01-01", "2019-06-30"),
        ("2019-H2", "2019-07-01", "2019-12-31"),
    ]
    assert [p.code for p in periods(date(2019, 1, 1), date(2021, 12, 31), 1)] == ["2019", "2020", "2021"]
    assert {p.kind for p in half} == {"half_yearly"}
