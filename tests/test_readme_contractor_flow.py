"""The README's contractor flow runs as written (issue 17): the lines between the `contractor-flow`
markers, in bash with `make -s token` and curl, against a real stack with the demo loaded. Only the
gateway address is the stack's, and the token is signed with the suite's secret."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from jiuzhu_devtools.demo import load
from jiuzhu_devtools.testing import TEST_SECRET, LiveStack
from jiuzhu_kit.settings import KitSettings

ROOT = Path(__file__).resolve().parents[1]


def _flow() -> str:
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- contractor-flow -->\n```sh\n(.*?)```\n<!-- /contractor-flow -->", readme, re.S)
    assert m, "README: no contractor-flow block"
    return m.group(1)


def test_readme_contractor_flow_works_as_written(live_stack: LiveStack) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    load(live_stack.gateway, KitSettings(JWT_SECRET=TEST_SECRET, DATABASE_URL=""))
    script = _flow()
    assert "G=http://127.0.0.1:8000\n" in script
    script = script.replace("G=http://127.0.0.1:8000\n", f"G={live_stack.gateway}\n", 1)
    env = {**os.environ, "JWT_SECRET": TEST_SECRET, "JIUZHU_ENVIRONMENT": "test"}
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    outputs, text, decoder = [], run.stdout.strip(), json.JSONDecoder()
    while text:  # curl prints each body without a newline
        value, end = decoder.raw_decode(text)
        outputs.append(value)
        text = text[end:].strip()
    registered, receipt, mine = outputs[0], outputs[1], outputs[2]
    assert registered["uscc"] == "52310104MA0000777K", registered
    assert "price" not in receipt and receipt.get("commitment"), receipt
    assert mine["uscc"] == "52310104MA0000777K" and mine["price"] == "470000.00", mine
