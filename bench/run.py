"""`make bench`: run every benchmark module and print one table (figures measured side by side)."""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.common import print_table

HERE = Path(__file__).parent


def modules(selected: list[str]) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("*_*.py") if not p.stem.startswith("_"))
    return [n for n in names if not selected or any(s in n for s in selected)]


def main() -> int:
    rows: list[dict[str, Any]] = []
    failed = []
    for name in modules(sys.argv[1:]):
        start = time.perf_counter()
        print(f"-- {name} …", flush=True)
        try:
            got = importlib.import_module(f"bench.{name}").main()
            rows += [{**r, "name": f"{name}: {r['name']}"} for r in got]
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"   {name} took {time.perf_counter() - start:.1f}s", flush=True)
    print_table(rows, "Jiuzhu benchmarks (ratio = value / reference, measured in the same run)")
    if failed:
        print("failed:", ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
