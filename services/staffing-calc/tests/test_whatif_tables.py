"""What-if side by side; calculation tables as real .xlsx and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import httpx
from openpyxl import load_workbook

from jiuzhu_devtools.seeds import LINGWU_UNITS

COUNTY = {
    "division_code": "350802",
    "townships": [
        {"name": "甲镇", "registered_population": 20001, "administrative_villages": 4},
        {"name": "乙街道", "kind": "street_office", "registered_population": 19000, "urban_communities": 3},
    ],
}


async def test_what_if_two_dates_and_two_packs(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    h = auth("bureau", "350802")
    # Before 2018-08-06 the province's opinions apply, after it Longyan's: same numbers, other citations.
    r = await client.post(
        "/calculations/what-if",
        json={"county": COUNTY, "a": {"on": "2018-05-01"}, "b": {"on": "2018-09-01"}},
        headers=h,
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["a"]["pack"]["id"] == "fj-province" and out["b"]["pack"]["id"] == "longyan"
    assert out["differences"] == [] and out["total_delta"] == 0
    # The Guangdong plan applied to the same county (a comparison outside its jurisdiction).
    body = {
        "county": {**COUNTY, "townships": [{**t, "assisted_households": 301} for t in COUNTY["townships"]]},
        "a": {"on": "2019-06-01"},
        "b": {"on": "2019-06-01", "pack": "gd-city-plan"},
    }
    out = (await client.post("/calculations/what-if", json=body, headers=h)).json()
    assert out["b"]["pack"]["outside_jurisdiction"] is True
    assert out["totals"]["caseworker"] == {"a": 0, "b": 2 + 4 + 4, "delta": 10}  # county 602 户 → 2
    assert out["totals"]["coordinator"] == {"a": 3, "b": 0, "delta": -3}
    d = next(x for x in out["differences"] if x["unit_name"] == "甲镇" and x["role"] == "caseworker")
    assert d["a"] == 0 and d["b"] == 4 and "300户到600户" in d["b_reading_zh"]


async def test_what_if_budget_lingwu_across_the_wage_change(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    county = {
        "division_code": "640181",
        "townships": [{"name": n} for n in LINGWU_UNITS],
    }
    body = {"county": county, "a": {"on": "2019-01-01"}, "b": {"on": "2021-09-01"}, "budget": {"years": 1}}
    out = (await client.post("/calculations/what-if", json=body, headers=auth("bureau", "640181"))).json()
    # Wages 13 × 2 × 1560 × 12 = 486720 plus the employer's contributions and the dispatch fee
    # (655774.08 in all); wages 13 × 2 × 1840 × 12 = 574080, each month × 1.334 (16 % pension, 6.5 %
    # medical, 0.5 % unemployment, 0.4 % injury, 5 % housing fund, 5 % fee): 765822.72.
    assert out["budget"]["a_total"] == "655774.08" and out["budget"]["b_total"] == "765822.72"
    assert out["budget"]["delta"] == "110048.64"


async def test_township_table_xlsx_and_csv(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = {
        "on": "2019-06-01",
        "county": {
            "division_code": "440103",
            "townships": [
                {"name": "甲镇", "assisted_households": 300},
                {"name": "乙街道", "kind": "street_office", "assisted_households": 601},
            ],
        },
    }
    h = auth("bureau", "440103")
    r = await client.post("/tables/township", json=body, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    assert ws["A2"].value == "序号" and ws["B2"].value == "镇（街道）"
    assert [ws.cell(row=3, column=c).value for c in (2, 4, 5, 6)] == ["甲镇", 300, "300户以下", 2]
    assert [ws.cell(row=4, column=c).value for c in (2, 4, 5, 6)] == ["乙街道", 601, "600户以上", 6]
    assert ws["A5"].value == "合计" and ws["F5"].value == "=SUM(F3:F4)"
    notes = [ws.cell(row=r, column=1).value for r in range(7, 12)]
    assert any(n and "seed 000 二(六)" in n for n in notes)
    r = await client.post("/tables/township?format=csv", json=body, headers=h)
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[1][:2] == ["序号", "镇（街道）"] and rows[4][0] == "合计" and rows[4][5] == "8"
    assert any("seed 000 二(六)" in x[0] for x in rows[5:])


async def test_county_table(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    body = {
        "on": "2019-06-01",
        "counties": [
            {"division_code": "440103", "assisted_households": 3000},
            {"division_code": "440104", "assisted_households": 3001},
        ],
    }
    r = await client.post("/tables/county?format=csv", json=body, headers=auth("auditor", "440100"))
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[2][1:6] == ["荔湾区", "440103", "3000", "3000户以下", "2"]
    assert rows[3][1:6] == ["越秀区", "440104", "3001", "3000户到5000户", "4"]
    assert rows[4][0] == "合计" and rows[4][5] == "6"
    r = await client.post("/tables/county", json=body, headers=auth("bureau", "440103"))
    assert r.status_code == 403


async def test_a_reform_changes_the_result_and_its_explanation_names_the_override(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    """OpenFisca-style reforms: "the township bracket at 250" and "pay base 55,000 from 2027" applied
    to the pack of one side, for this calculation only; the pack itself is unchanged."""
    county = {
        "division_code": "440103",
        "townships": [{"name": "甲街道", "kind": "street_office", "assisted_households": 280}],
    }
    at_250 = [
        {"range": "[0, 250]", "value": 2},
        {"range": "(250, 600)", "value": 4},
        {"range": "[600, inf)", "value": 6},
    ]
    body = {
        "county": county,
        "a": {"on": "2027-06-01"},
        "b": {
            "on": "2027-06-01",
            "changes": [
                {"parameter": "township_caseworkers", "from": "2027-01-01", "brackets": at_250},
                {"parameter": "first_year_pay", "from": "2027-01-01", "value": "55000"},
            ],
        },
        "budget": {"years": 1},
    }
    r = await client.post("/calculations/what-if", json=body, headers=auth("bureau", "440103"))
    assert r.status_code == 200, r.text
    out = r.json()
    town = next(d for d in out["differences"] if d["unit_name"] == "甲街道")
    assert (town["a"], town["b"]) == (2, 4)  # 280 households: 300户以下 → 2; at 250 → 4
    assert "what-if 改动 township_caseworkers (250, 600)" in town["b_reading_zh"]
    applied = {c["parameter"]: c for c in out["changes"]["b"]}
    assert applied["first_year_pay"]["value"] == "55000" and applied["first_year_pay"]["from"] == "2027-01-01"
    assert "seed 000" in applied["first_year_pay"]["replaces"]  # the value and clause it replaces
    assert out["b"]["pack"]["id"].endswith("+reform") and "a" not in out["changes"]
    assert out["budget"]["a_total"] != out["budget"]["b_total"]
    # A change the pack cannot take is refused with its code; the pack in force is untouched.
    bad = {
        **body,
        "b": {
            "on": "2027-06-01",
            "changes": [{"parameter": "no_such_rule", "from": "2027-01-01", "value": "1"}],
        },
    }
    r = await client.post("/calculations/what-if", json=bad, headers=auth("bureau", "440103"))
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "REFORM_INVALID"
    plain = await client.post(
        "/calculations/what-if", json={**body, "b": {"on": "2027-06-01"}}, headers=auth("bureau", "440103")
    )
    assert plain.json()["total_delta"] == 0
