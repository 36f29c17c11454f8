"""The merged contract as a Python team uses it: openapi-python-client generates an installable
client from the committed `gateway/openapi.json` (config `gateway/openapi-client.yaml`) with no
warning, the package installs, and its calls work through a running stack — a public route, an
authenticated one, and refusals parsed into the generated `Problem` model.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from jiuzhu_devtools import repo_root
from jiuzhu_devtools.seeds import LINGWU
from jiuzhu_devtools.testing import LiveStack

ROOT = repo_root()


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("client")
    generator = Path(sys.executable).parent / "openapi-python-client"
    gen = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(ROOT / "gateway" / "openapi.json"),
            "--config",
            str(ROOT / "gateway" / "openapi-client.yaml"),
            "--meta",
            "setup",
            "--output-path",
            str(out / "jiuzhu-client"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = gen.stdout + gen.stderr
    assert gen.returncode == 0, report
    # Any skipped model or operation is reported as a warning; none may be.
    assert "Warning" not in report and "Unable" not in report, report
    target = out / "site"
    uv = ROOT / ".data" / "tools" / "bin" / "uv"
    install = subprocess.run(
        [
            str(uv),
            "pip",
            "install",
            "--offline",  # its dependencies (httpx, attrs) are the suite's; setuptools builds it
            "--no-deps",
            "--no-build-isolation",
            "--python",
            sys.executable,
            "--target",
            str(target),
            str(out / "jiuzhu-client"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    assert (target / "jiuzhu_client-0.2.0.dist-info").is_dir()
    sys.path.insert(0, str(target))
    try:
        yield importlib.import_module("jiuzhu_client")
    finally:
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m == "jiuzhu_client" or m.startswith("jiuzhu_client.")]:
            del sys.modules[name]


def test_generated_client_calls_the_stack(
    client_package: ModuleType, live_stack: LiveStack, token: Callable[..., str]
) -> None:
    api = importlib.import_module("jiuzhu_client.api")
    public = importlib.import_module("jiuzhu_client.api.public.list_public_debarments")
    packs = importlib.import_module("jiuzhu_client.api.public.list_packs")
    projects = importlib.import_module("jiuzhu_client.api.bureau.list_projects")
    project = importlib.import_module("jiuzhu_client.api.bureau.get_project")
    models = importlib.import_module("jiuzhu_client.models")
    assert api is not None
    anonymous = client_package.Client(base_url=live_stack.gateway, raise_on_unexpected_status=True)
    bureau = client_package.AuthenticatedClient(
        base_url=live_stack.gateway, token=token("bureau", LINGWU), raise_on_unexpected_status=True
    )

    # public: no credential
    listed = public.sync_detailed(client=anonymous)
    assert listed.status_code == 200 and type(listed.parsed).__name__ == "CursorPagePublicDebarmentOut"
    assert (listed.parsed.items, listed.parsed.next_cursor) == ([], None)
    rule_packs = packs.sync(client=anonymous)
    assert isinstance(rule_packs, list) and rule_packs, rule_packs
    assert {type(p).__name__ for p in rule_packs} == {"PackSummary"}

    # authenticated: the bureau's page of projects (none yet), typed
    page = projects.sync(client=bureau)
    assert type(page).__name__ == "CursorPageProjectOut" and page.items == [] and page.next_cursor is None

    # refusals come back as the generated Problem, with the stable code
    missing = project.sync(client=bureau, project_id=uuid.uuid4())
    assert isinstance(missing, models.Problem), missing
    assert (missing.status, missing.code) == (404, "PROJECT_NOT_FOUND")
    unauthenticated = projects.sync(client=anonymous)
    assert isinstance(unauthenticated, models.Problem)
    assert (unauthenticated.status, unauthenticated.code) == (401, "UNAUTHENTICATED")
    english = projects.sync_detailed(client=anonymous, accept_language="en")
    assert isinstance(english.parsed, models.Problem) and english.parsed.detail.isascii()
