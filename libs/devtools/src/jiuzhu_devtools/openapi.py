"""`make openapi` writes each service's OpenAPI contract beside it and the gateway's merged one
(`gateway/openapi.json`, what `GET /openapi.json` serves); `check` fails on drift."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from jiuzhu_devtools import repo_root
from jiuzhu_devtools.services import SERVICES


def service_contract(package: str) -> dict[str, Any]:
    mod = importlib.import_module(f"{package}.app")
    return mod.create().openapi()  # type: ignore[no-any-return]


def merged_contract() -> dict[str, Any]:
    """The gateway's merged contract, built offline from the services' apps and the gateway's own."""
    from jiuzhu_gateway.app import create
    from jiuzhu_gateway.openapi_merge import merge
    from jiuzhu_gateway.settings import GatewaySettings

    gateway: Any = create(GatewaySettings(DATABASE_URL=""))
    inner = gateway.app.inner  # the CORS layer wraps the dispatcher
    specs = {spec.schema: service_contract(spec.package) for spec in SERVICES}
    return merge(specs, inner.openapi())


def _text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def render(package: str) -> str:
    return _text(service_contract(package))


def main() -> int:
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    drift = []
    outputs = [(repo_root() / spec.directory / "openapi.json", render(spec.package)) for spec in SERVICES]
    outputs.append((repo_root() / "gateway" / "openapi.json", _text(merged_contract())))
    for path, text in outputs:
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
