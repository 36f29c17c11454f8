"""`python -m jiuzhu_devtools.examples <dir>`: the contract's examples from what tests captured.

Run tests with `JIUZHU_CAPTURE_EXAMPLES=<dir>` (every service process then records its 2xx JSON
exchanges, jiuzhu_kit.examples), then this: per service and operation it keeps one real exchange
(preferring one with data over an empty answer, then one with a request body, then the smallest), shortens long lists, and
writes the service's `contract_examples.json`, merged with what is there (an operation the run did
not reach keeps its example). Then `make openapi`.

`python -m jiuzhu_devtools.examples --add-only <dir>` keeps the committed examples (but for stale
ones, `_stale`) and adds the operations that have none yet: for a capture from a few test files (the full `make
examples` refreshes them all).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from jiuzhu_devtools import repo_root
from jiuzhu_devtools.services import SERVICES

MAX_ITEMS = 2  # items kept of any list in an example
MAX_TEXT = 4000  # characters kept of a text answer (a CSV table, an HTML page)
JSON = "application/json"


def shorten(node: Any) -> Any:
    if isinstance(node, str) and len(node) > MAX_TEXT:
        return node[:MAX_TEXT] + "…"
    if isinstance(node, list):
        return [shorten(v) for v in node[:MAX_ITEMS]]
    if isinstance(node, dict):
        return {k: shorten(v) for k, v in node.items()}
    return node


def _empty(node: Any) -> bool:
    if isinstance(node, dict) and "items" in node:
        return not node["items"]
    return node in ([], {}, None)


def _rank(line: dict[str, Any]) -> tuple[bool, bool, int]:
    """Prefer an answer with data, then a request that sends a body (an optional body is still
    worth showing), then the smallest."""
    return (
        _empty(line["response"]),
        line["request"] is None,
        len(json.dumps(line, ensure_ascii=False)),
    )


def pick(lines: list[dict[str, Any]]) -> dict[str, Any]:
    best: dict[str, dict[str, Any]] = {}
    for line in lines:
        key = f"{line['method']} {line['path']}"
        if key not in best or _rank(line) < _rank(best[key]):
            best[key] = line
    return {
        key: {
            "path_params": line["path_params"],
            "query": line["query"],
            "request": shorten(line["request"]),
            "status": line["status"],
            **({"media": line["media"]} if line.get("media", JSON) != JSON else {}),
            "response": shorten(line["response"]),
        }
        for key, line in sorted(best.items())
    }


def documented(package: str) -> set[str]:
    """The operations of the package's committed contract (`"METHOD /path"`): a capture of anything
    else (`GET /openapi.json`, which the gateway fetches) is no example of it."""
    contract = target(package).parents[2] / "openapi.json"
    doc = json.loads(contract.read_text(encoding="utf-8"))
    return {f"{m.upper()} {p}" for p, item in doc.get("paths", {}).items() for m in item if m != "parameters"}


def _stale(old: dict[str, Any], captured: dict[str, Any]) -> bool:
    """A committed example the capture replaces even with `--add-only`: its answer has another
    shape (a bare list where the route now answers a page) or it lacks the request body the
    capture shows."""
    return type(old["response"]) is not type(captured["response"]) or (
        old["request"] is None and captured["request"] is not None
    )


def target(package: str) -> Path:
    if package == "jiuzhu_gateway":  # the gateway's own routes (API keys, health)
        return repo_root() / "gateway" / "src" / package / "contract_examples.json"
    spec = next(s for s in SERVICES if s.package == package)
    return repo_root() / spec.directory / "src" / package / "contract_examples.json"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    add_only = "--add-only" in args
    captured = Path(next(a for a in args if not a.startswith("--")))
    names = {
        "staffing-calc": "jiuzhu_staffing",
        "procurement": "jiuzhu_procurement",
        "evaluation": "jiuzhu_evaluation",
        "gateway": "jiuzhu_gateway",
    }
    for service, package in names.items():
        lines = [
            json.loads(line)
            for f in sorted(captured.glob(f"{service}-*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines()
        ]
        path = target(package)
        old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        got = {k: v for k, v in pick(lines).items() if k in documented(package)}
        new = {**old, **got}
        if add_only:  # what is committed stays, unless the capture shows it stale or poorer
            new = {**got, **{k: v for k, v in old.items() if k not in got or not _stale(v, got[k])}}
        path.write_text(
            json.dumps(dict(sorted(new.items())), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        print(
            f"{path.relative_to(repo_root())}: {len(new)} operations, {len(new) - len(old)} new "
            f"({len(lines)} exchanges captured)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
