"""Documents through the real gateway and service processes: a file of several MiB uploaded as a
stream (chunked, and with its length), downloaded whole, by range and conditionally, and an
over-long upload refused with 413 before anything is stored."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from jiuzhu_devtools.testing import LiveStack, test_today

LIMIT = 8 * 1024 * 1024
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * (5 * 4096) + b"\n%%EOF\n"  # ~5 MiB


@pytest.fixture(scope="module")
def docs_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="jiuzhu-gw-documents-") as d:
        yield Path(d)


@pytest.fixture(scope="module")
def stack(database_url: str, docs_dir: Path) -> Iterator[LiveStack]:
    env = {"PROCUREMENT_DOCUMENTS_DIR": str(docs_dir), "PROCUREMENT_DOCUMENTS_MAX_BYTES": str(LIMIT)}
    s = LiveStack(database_url, extra_env=env)
    try:
        s.wait_ready()
        yield s
    finally:
        s.close()


async def test_a_document_streams_through_the_gateway_both_ways(
    stack: LiveStack, auth: Callable[..., dict[str, str]], docs_dir: Path
) -> None:
    bureau = auth("bureau", "640181")
    sha = hashlib.sha256(PDF).hexdigest()
    async with httpx.AsyncClient(base_url=f"{stack.gateway}/api/procurement", timeout=60) as c:
        plan = {
            "division_code": "640181",
            "year": test_today().year,
            "title": "灵武市年度购买社会救助服务计划",
            "budget_lines": [{"funding_source": "working_funds", "amount": "100000.00", "scope": "入户核查"}],
        }
        r = await c.post("/plans", json=plan, headers=bureau)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        params = {"document_type": "procurementPlan", "title": "年度计划（扫描件）"}

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(PDF), 256 * 1024):
                yield PDF[i : i + 256 * 1024]

        r = await c.post(
            f"/plans/{pid}/documents",
            params=params,
            content=chunks(),
            headers=bureau | {"Content-Type": "application/pdf"},
        )
        assert r.status_code == 201, r.text
        doc = r.json()
        assert (doc["sha256"], doc["size"]) == (sha, len(PDF))
        assert (docs_dir / "procurement" / "sha256" / sha[:2] / sha).read_bytes() == PDF
        # With a Content-Length this time: the same bytes, stored once.
        r = await c.post(
            f"/plans/{pid}/documents",
            params=params,
            content=PDF,
            headers=bureau | {"Content-Type": "application/pdf"},
        )
        assert r.status_code == 201 and r.json()["sha256"] == sha

        url = f"/plans/{pid}/documents/{doc['id']}/content"
        r = await c.get(url, headers=bureau)
        assert (r.status_code, r.headers["etag"], r.headers["content-length"]) == (
            200,
            f'"{sha}"',
            str(len(PDF)),
        )
        assert r.content == PDF
        r = await c.get(url, headers=bureau | {"Range": "bytes=1048576-1048675"})
        assert (r.status_code, r.content) == (206, PDF[1048576:1048676])
        assert r.headers["content-range"] == f"bytes 1048576-1048675/{len(PDF)}"
        r = await c.get(url, headers=bureau | {"If-None-Match": f'"{sha}"'})
        assert (r.status_code, r.content) == (304, b"")

        # Declared too long: refused by the service before the body is read, nothing stored.
        big = PDF + b"0" * LIMIT
        r = await c.post(
            f"/plans/{pid}/documents",
            params=params,
            content=big,
            headers=bureau | {"Content-Type": "application/pdf"},
        )
        assert (r.status_code, r.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
        assert [p.name for p in (docs_dir / "procurement").rglob("*") if p.is_file()] == [sha]
