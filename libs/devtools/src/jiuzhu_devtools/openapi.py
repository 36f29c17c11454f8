"""`make openapi` writes each service's OpenAPI contract beside it; `check` fails on drift."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from jiuzhu_devtools import repo_root
from jiuzhu_devtools.services import SERVICES


def render(package: str) -> str:
    mod = importlib.import_module(f"{package}.app")
    app = mod.create()
    return json.dumps(app.openapi(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    drift = []
    for spec in SERVICES:
        path = repo_root() / spec.directory / "openapi.json"
        text = render(spec.package)
        if mode == "write":
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(repo_root())}")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            drift.append(str(Path(path).relative_to(repo_root())))
    if drift:
        print("OpenAPI drift (run `make openapi` and commit): " + ", ".join(drift), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
