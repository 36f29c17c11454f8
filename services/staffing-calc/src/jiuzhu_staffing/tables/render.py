"""Calculation tables (测算表) as rows, then as .xlsx (openpyxl) or CSV.

County table = seed 000 附件1 (one row per county: the county bureau's requirement);
township table = 附件2 (one row per township / street office). Both end with a totals row and
the rules cited under the table.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from jiuzhu_kit.cells import csv_cell, xlsx_cell
from jiuzhu_kit.money import round_fen
from jiuzhu_staffing.packs.model import ROLE_ZH, UNIT_ZH


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]
    totals: list[Any]
    notes: list[str] = field(default_factory=list)
    sheet: str = "测算表"


def _roles(results: list[dict[str, Any]], kinds: set[str]) -> list[str]:
    order = list(ROLE_ZH)
    seen = {f["role"] for r in results for f in r["figures"] if f["unit_kind"] in kinds}
    return [r for r in order if r in seen]


def _cited(results: list[dict[str, Any]], kinds: set[str]) -> list[str]:
    """One line per rule used: label, clause, and the brackets' own phrases."""
    lines: dict[str, str] = {}
    for r in results:
        for f in r["figures"]:
            e = f["explanation"]
            if f["unit_kind"] in kinds and e and e["rule"] not in lines:
                lines[e["rule"]] = f"依据：{e['rule_label']}（{e['citation']}）"
    return list(lines.values())


def county_table(results: list[dict[str, Any]], phrases: list[str]) -> Table:
    kinds = {"county"}
    roles = _roles(results, kinds)
    rows = []
    sums = [0] * len(roles)
    for i, r in enumerate(results, start=1):
        figs = [f for f in r["figures"] if f["unit_kind"] == "county"]
        hh = next(
            (f["explanation"]["inputs"].get("assisted_households") for f in figs if f["explanation"]), None
        )
        bracket = "；".join(
            f["explanation"]["bracket"]["phrase"]
            for f in figs
            if f["explanation"] and f["explanation"]["bracket"]
        )
        people = [sum(f["people"] for f in figs if f["role"] == role) for role in roles]
        sums = [a + b for a, b in zip(sums, people, strict=True)]
        rows.append(
            [
                i,
                r["county_name"],
                r["division_code"],
                hh if hh is not None else "",
                bracket,
                *people,
                sum(people),
            ]
        )
    headers = [
        "序号",
        "县（市、区）",
        "行政区划代码",
        "辖区救助对象户数",
        "适用档次（原文）",
        *[f"应配备{ROLE_ZH[x]}（人）" for x in roles],
        "合计（人）",
    ]
    hh_total = sum(x[3] for x in rows if isinstance(x[3], int))
    totals = ["合计", f"{len(rows)}个县（市、区）", "", hh_total, "", *sums, sum(sums)]
    return Table(
        "县（市、区）社会救助经办服务人员配备测算表",
        headers,
        rows,
        totals,
        _cited(results, kinds) + phrases,
        "附件1",
    )


def township_table(result: dict[str, Any], phrases: list[str]) -> Table:
    kinds = {"township", "street_office"}
    figs = [f for f in result["figures"] if f["unit_kind"] in kinds]
    roles = _roles([result], kinds)
    units: dict[str, list[dict[str, Any]]] = {}
    for f in figs:
        units.setdefault(f["unit_name"], []).append(f)
    rows = []
    sums = [0] * len(roles)
    for i, (name, fs) in enumerate(units.items(), start=1):
        inputs: dict[str, Any] = {}
        for f in fs:
            inputs.update((f["explanation"] or {}).get("inputs") or {})
        bracket = "；".join(
            f["explanation"]["bracket"]["phrase"]
            for f in fs
            if f["explanation"] and f["explanation"]["bracket"]
        )
        people = [sum(f["people"] for f in fs if f["role"] == role) for role in roles]
        sums = [a + b for a, b in zip(sums, people, strict=True)]
        kind = UNIT_ZH[fs[0]["unit_kind"]]
        rows.append(
            [
                i,
                name,
                kind,
                inputs.get("assisted_households", inputs.get("registered_population", "")),
                bracket,
                *people,
                sum(people),
            ]
        )
    headers = [
        "序号",
        "镇（街道）",
        "类型",
        "救助对象户数/户籍人口",
        "适用档次（原文）",
        *[f"应配备{ROLE_ZH[x]}（人）" for x in roles],
        "合计（人）",
    ]
    totals = [
        "合计",
        f"{len(rows)}个镇（街道）",
        "",
        sum(x[3] for x in rows if isinstance(x[3], int)),
        "",
        *sums,
        sum(sums),
    ]
    title = f"{result['county_name']}镇（街道）社会救助经办服务人员配备测算表"
    return Table(title, headers, rows, totals, _cited([result], kinds) + phrases, "附件2")


EXISTING_HEADERS = ["现有人数（人）", "缺口（人）", "缺口年度经费（元）"]


def with_existing(
    table: Table,
    key_column: int,
    existing: dict[str, int] | None,
    pay: Decimal | None,
    notes: list[str],
) -> Table:
    """The columns seed 000 二(六) asks the tables to be read with (根据现有…现状): the staff each row
    already has, the gap (required − existing; negative: more than required) and the gap's yearly
    cost (a positive gap × one person's yearly pay under the pack). `existing` None: left blank."""
    rows: list[list[Any]] = []
    sums: list[Any] = [0, 0, Decimal("0.00")]
    for row in table.rows:
        required = row[-1]
        if existing is None:
            rows.append([*row, "", "", ""])
            continue
        have = existing.get(str(row[key_column]), 0)
        gap = required - have
        cost: Any = round_fen(pay * max(gap, 0)) if pay is not None else ""
        rows.append([*row, have, gap, cost])
        sums[0] += have
        sums[1] += gap
        sums[2] = sums[2] + cost if isinstance(cost, Decimal) else sums[2]
    totals = [*table.totals, *(sums if existing is not None else ["", "", ""])]
    if existing is not None and pay is None:
        totals[-1] = ""
    return Table(
        table.title,
        [*table.headers, *EXISTING_HEADERS],
        rows,
        totals,
        [*table.notes, *notes],
        table.sheet,
    )


def to_xlsx(table: Table) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = table.sheet
    width = len(table.headers)
    xlsx_cell(ws, 1, 1, table.title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for c, h in enumerate(table.headers, start=1):
        cell = xlsx_cell(ws, 2, c, h)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    for r, row in enumerate([*table.rows, table.totals], start=3):
        for c, v in enumerate(row, start=1):
            cell = xlsx_cell(ws, r, c, v)
            cell.border = border
            if row is table.totals:
                cell.font = Font(bold=True)
    first, last = 3, 2 + len(table.rows)
    if table.rows:  # our own totals as live formulas, so an edited sheet still adds up
        for c, v in enumerate(table.totals, start=1):
            if isinstance(v, int) and c > 1:
                col = get_column_letter(c)
                ws.cell(row=last + 1, column=c, value=f"=SUM({col}{first}:{col}{last})")
    note_row = last + 3
    for i, line in enumerate(table.notes):
        xlsx_cell(ws, note_row + i, 1, line)
    for c in range(1, width + 1):
        ws.column_dimensions[get_column_letter(c)].width = 14 if c > 2 else 10 if c == 1 else 22
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(table: Table) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in [[table.title], table.headers, *table.rows, table.totals, *([n] for n in table.notes)]:
        w.writerow([csv_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")  # BOM: Excel opens Chinese CSV correctly
