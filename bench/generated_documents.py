"""What keeping generated documents in step costs a write whose aggregate has none (issue 15).

Run: `.venv/bin/python -m bench.generated_documents` (server as the other benchmarks: bench/common.py).

A project transition on the lean route's write pool runs, besides its own statements, one query:
is there a generated document this write may change (the project's award notice, its plan's
annual plan)? `jiuzhu_kit.documents.generated.affected`. Measured side by side in one run, on one
asyncpg connection, each in its own transaction, alternating: that check for projects with no
generated document (among PROJECTS projects and as many documents of other owners), against the
project's primary-key read (`SELECT * FROM project WHERE id = $1`, what the transition's row lock
reads, without the lock's write). Bar: the check costs at most 2 × that read (one indexed query too).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import asyncpg

from bench.common import print_table, row, scratch_database
from jiuzhu_kit.documents import generated
from jiuzhu_kit.documents.api import Documents
from jiuzhu_procurement.contract import document as contract_document
from jiuzhu_procurement.db import documents as documents_table
from jiuzhu_procurement.plan import document as plan_document
from jiuzhu_procurement.project import notice

PROJECTS = int(os.environ.get("BENCH_GENERATED_PROJECTS", "5000"))
CALLS = int(os.environ.get("BENCH_GENERATED_CALLS", "2000"))
ROUNDS = 3
DIV = "640181"


async def _seed(con: asyncpg.Connection) -> list[str]:
    plan = uuid.uuid4()
    await con.execute(
        "INSERT INTO procurement.purchase_plan (id, division_code, year, title, status, budget_lines, total,"
        " created_by, version) VALUES ($1, $2, 2024, 'bench', 'approved', '[]', 0, 'bench', 1)",
        plan,
        DIV,
    )
    ids = [uuid.uuid4() for _ in range(PROJECTS)]
    await con.copy_records_to_table(
        "project",
        schema_name="procurement",
        columns=["id", "plan_id", "division_code", "title", "purchase_form", "items", "budget"]
        + ["funding_source", "declared_on", "status", "method", "round", "created_by", "version"],
        records=[
            (i, plan, DIV, "bench", "service_contract", '["AS01"]', 100000, "working_funds")
            + (date(2024, 1, 2), "bidding_closed", "open_tender", 1, "bench", 1)
            for i in ids
        ],
    )
    # Documents of other owners (uploaded tender notices on each project): the index has work to do.
    now = datetime.now(UTC)
    docs = [uuid.uuid4() for _ in ids]
    await con.copy_records_to_table(
        "document",
        schema_name="procurement",
        columns=["id", "series_id", "version", "owner_type", "owner_id", "division_code", "document_type"]
        + ["title", "language", "media_type", "size", "sha256", "uploaded_by", "uploaded_at"],
        records=[
            (d, d, 1, "project", str(i), DIV, "tenderNotice", "招标公告", "zh", "application/pdf", 1)
            + ("0" * 64, "bench", now)
            for d, i in zip(docs, ids, strict=True)
        ],
    )
    await con.execute("ANALYZE procurement.project; ANALYZE procurement.document")
    return [str(i) for i in ids]


async def _time(con: asyncpg.Connection, ids: list[str], one: object) -> float:
    """Mean µs per call of `one(key)` in its own transaction."""
    start = time.perf_counter()
    for n in range(CALLS):
        async with con.transaction():
            await one(ids[n % len(ids)])  # type: ignore[operator]
    return (time.perf_counter() - start) / CALLS * 1e6


async def _measure(dsn: str) -> list[dict[str, Any]]:
    con = await asyncpg.connect(dsn)
    try:
        ids = await _seed(con)
        docs = Documents(store=None, table=documents_table)  # type: ignore[arg-type]
        docs.generators = (contract_document.GENERATOR, notice.GENERATOR, plan_document.GENERATOR)
        app = SimpleNamespace(state=SimpleNamespace(documents=docs))

        async def check(key: str) -> None:
            assert not await generated.affected(app, con, "project", key)

        async def lock(key: str) -> None:
            await con.fetchrow("SELECT * FROM procurement.project WHERE id = $1", uuid.UUID(key))

        checks, locks = [], []
        for _ in range(ROUNDS):
            locks.append(await _time(con, ids, lock))
            checks.append(await _time(con, ids, check))
        plan = await con.fetch("EXPLAIN " + docs.lean_sql["project"], ids[0])  # type: ignore[operator]
    finally:
        await con.close()
    c, k = statistics.median(checks), statistics.median(locks)
    rows = [
        row("project read by primary key (reference)", k, "µs"),
        row("generated-document check", c, "µs", k, "≤ 2 × the read", c <= 2 * k),
    ]
    print_table(
        rows,
        f"generated documents: the check on a write with none ({PROJECTS} projects, {CALLS} calls, "
        f"median of {ROUNDS}; runs: check {[round(x) for x in checks]}, read {[round(x) for x in locks]})",
    )
    print("\n".join(r[0] for r in plan))
    return rows


def main() -> list[dict[str, Any]]:
    with scratch_database("gendocs", ["jiuzhu_procurement"]) as url:
        return asyncio.run(_measure(url.replace("postgresql+asyncpg://", "postgresql://")))


if __name__ == "__main__":
    main()
