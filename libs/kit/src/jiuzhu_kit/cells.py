"""Spreadsheet cells from client text, neutralised (CSV/formula injection, OWASP).

A township named `=HYPERLINK(...)` must reach a bureau's spreadsheet as the text it is, never as
a formula Excel or WPS evaluates on opening. Every export writes its cells through here.
"""

from __future__ import annotations

from typing import Any

# What makes a spreadsheet read a cell as a formula (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV value: text starting with a trigger gets a leading `'`; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def xlsx_cell(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write `value` to an openpyxl worksheet; text is stored as a string, never as a formula
    (openpyxl would otherwise take any text starting with `=` for one). Returns the cell."""
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell
