"""Shared by the benchmarks: one row shape and one table printer."""

from __future__ import annotations

from typing import Any

COLUMNS = ("name", "value", "unit", "reference", "ratio", "target", "ok")


def row(
    name: str,
    value: float,
    unit: str,
    reference: float | None = None,
    target: str = "",
    ok: bool | None = None,
) -> dict[str, Any]:
    ratio = (value / reference) if reference else None
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "reference": reference,
        "ratio": ratio,
        "target": target,
        "ok": ok,
    }


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


def print_table(rows: list[dict[str, Any]], title: str = "") -> None:
    if title:
        print(f"\n== {title} ==")
    cells = [[_fmt(r.get(c)) for c in COLUMNS] for r in rows]
    widths = [max(len(c), *(len(x[i]) for x in cells)) if cells else len(c) for i, c in enumerate(COLUMNS)]
    print("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)))
    for x in cells:
        print("  ".join(v.ljust(w) for v, w in zip(x, widths, strict=True)))
