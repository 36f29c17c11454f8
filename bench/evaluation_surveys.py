"""Survey aggregation and intake.

Run: `.venv/bin/python -m bench.evaluation_surveys` (server from BENCH_DATABASE_URL, else
TEST_DATABASE_URL, else the machine's Postgres on 127.0.0.1:5432; a scratch database is created
and dropped).

1. Aggregate 1,000,000 survey answers (500 contracts × 2 periods × 200 respondents × 5 questions)
   by contract and period with the service's own SQL (`survey.stats.all_contract_periods`);
   reference: the same figures computed by a Python loop over the fetched rows.
2. Bulk intake through the API: a real uvicorn process of the evaluation service on loopback,
   a portal posting 1,000 responses × 5 answers per request (codes hashed, used once, answers
   inserted set-based, audited); reference: one answer per request on the direct endpoint.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from typing import Any

import httpx

from bench.common import SECRET, print_table, row, scratch_database, stop, uvicorn
from jiuzhu_devtools.run import wait_ready
from jiuzhu_devtools.testing import free_port

CONTRACTS, PERIODS, RESPONDENTS, QUESTIONS = 500, ("2019-H1", "2019-H2"), 200, 5
USCC = "91640181MA7F3K2P1X"
BULK_REQUESTS, BULK_SIZE, SINGLE_REQUESTS = 20, 1000, 200


async def _fill(url: str) -> int:
    import asyncpg

    from jiuzhu_devtools.testing import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        questions = '[{"key":"q0","text":"q"},{"key":"q1","text":"q"},{"key":"q2","text":"q"},{"key":"q3","text":"q"},{"key":"q4","text":"q"}]'
        await conn.execute(
            """
            INSERT INTO evaluation.survey (id, contract_id, period, contractor_uscc, purchaser_division, title,
                questions, points, satisfied_min, min_sample, status, created_by)
            SELECT gen_random_uuid(), c.id, p.period, $1, '640181', 'bench', $2::jsonb, 5, 4, 30, 'open', 'bench'
            FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $3)) c
            CROSS JOIN unnest($4::text[]) AS p(period)
            """,
            USCC,
            questions,
            CONTRACTS,
            list(PERIODS),
        )
        await conn.execute(
            """
            INSERT INTO evaluation.survey_response (survey_id, submitted_on, channel)
            SELECT s.id, current_date, 'bench' FROM evaluation.survey s, generate_series(1, $1)
            """,
            RESPONDENTS,
        )
        await conn.execute(
            """
            INSERT INTO evaluation.survey_answer (response_id, survey_id, question, value)
            SELECT r.id, r.survey_id, q, 1 + ((r.id * 7 + q * 13) % 5)
            FROM evaluation.survey_response r, generate_series(0, $1 - 1) q
            """,
            QUESTIONS,
        )
        await conn.execute(
            "ANALYZE evaluation.survey; ANALYZE evaluation.survey_response; ANALYZE evaluation.survey_answer"
        )
        return int(await conn.fetchval("SELECT count(*) FROM evaluation.survey_answer"))
    finally:
        await conn.close()


async def _aggregate(url: str) -> tuple[float, float, int]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from jiuzhu_evaluation.survey.stats import all_contract_periods
    from jiuzhu_kit.settings import to_async_url

    engine = create_async_engine(to_async_url(url))
    try:
        from sqlalchemy.ext.asyncio import AsyncSession

        async with AsyncSession(engine) as session:
            await all_contract_periods(session)  # warm-up
            times = []
            for _ in range(3):
                t = time.perf_counter()
                out = await all_contract_periods(session)
                times.append(time.perf_counter() - t)
            assert len(out) == CONTRACTS * len(PERIODS) and sum(x["answers"] for x in out) >= 1_000_000
            # Reference: the rows to Python and a loop (what "aggregate in SQL" avoids).
            t = time.perf_counter()
            rows = await session.execute(
                text(
                    "SELECT s.contract_id, s.period, a.response_id, a.value, s.satisfied_min FROM evaluation.survey_answer a "
                    "JOIN evaluation.survey s ON s.id = a.survey_id"
                )
            )
            acc: dict[tuple[Any, str], list[Any]] = {}
            for cid, period, rid, value, smin in rows:
                a = acc.setdefault((cid, period), [0, 0, 0, set()])
                a[0] += 1
                a[1] += value
                a[2] += value >= smin
                a[3].add(rid)
            py = time.perf_counter() - t
            assert len(acc) == len(out)
            return statistics.median(times), py, len(out)
    finally:
        await engine.dispose()


def _intake(url: str) -> tuple[float, float]:
    from jiuzhu_kit.auth import issue_token
    from jiuzhu_kit.settings import KitSettings

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JWT_SECRET": SECRET,
        "JIUZHU_ENVIRONMENT": "test",
        "EVALUATION_LOG_LEVEL": "WARNING",
        "EVALUATION_SURVEY_RATE_LIMIT_PER_MINUTE": "1000000",
        "EVALUATION_SURVEY_BULK_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    proc = uvicorn("jiuzhu_evaluation.app:create", port, env)
    ks = KitSettings(JWT_SECRET=SECRET, DATABASE_URL="")
    bureau = {"Authorization": f"Bearer {issue_token(ks, 'bench-bureau', ['bureau'], '640181')}"}
    portal = {"Authorization": f"Bearer {issue_token(ks, 'bench-portal', ['portal'], '640000')}"}
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready([f"{base}/healthz"])
        with httpx.Client(base_url=base, timeout=120) as c:
            body = {
                "contract_id": str(uuid.uuid4()),
                "period": "2020-H1",
                "contractor_uscc": USCC,
                "purchaser_division": "640181",
                "questions": [{"key": f"q{i}", "text": "满意度"} for i in range(QUESTIONS)],
            }
            sid = c.post("/surveys", json=body, headers=bureau).json()["id"]
            codes: list[str] = []
            need = BULK_REQUESTS * BULK_SIZE + SINGLE_REQUESTS + BULK_SIZE
            while len(codes) < need:
                r = c.post(
                    f"/surveys/{sid}/codes", json={"count": min(20_000, need - len(codes))}, headers=bureau
                )
                assert r.status_code == 201, r.text
                codes += r.json()["codes"]
            answers = {f"q{i}": 1 + i % 5 for i in range(QUESTIONS)}
            batches = [codes[i * BULK_SIZE : (i + 1) * BULK_SIZE] for i in range(BULK_REQUESTS + 1)]
            rest = codes[(BULK_REQUESTS + 1) * BULK_SIZE :]
            bodies = [{"responses": [{"code": k, "answers": answers} for k in b]} for b in batches]
            r = c.post(f"/surveys/{sid}/responses/bulk", json=bodies[0], headers=portal)  # warm-up
            assert r.json()["accepted"] == BULK_SIZE, r.text[:300]
            t = time.perf_counter()
            for b in bodies[1:]:
                r = c.post(f"/surveys/{sid}/responses/bulk", json=b, headers=portal)
                assert r.status_code == 200 and r.json()["accepted"] == BULK_SIZE, r.text[:300]
            bulk = BULK_REQUESTS * BULK_SIZE * QUESTIONS / (time.perf_counter() - t)
            t = time.perf_counter()
            for k in rest[:SINGLE_REQUESTS]:
                r = c.post(f"/surveys/{sid}/responses", json={"code": k, "answers": answers})
                assert r.status_code == 201, r.text[:300]
            single = SINGLE_REQUESTS * QUESTIONS / (time.perf_counter() - t)
            return bulk, single
    finally:
        stop(proc)


def main() -> list[dict[str, Any]]:
    with scratch_database("eval", ["jiuzhu_evaluation"]) as url:
        t = time.perf_counter()
        answers = asyncio.run(_fill(url))
        fill = time.perf_counter() - t
        sql, py, groups = asyncio.run(_aggregate(url))
        bulk, single = _intake(url)
    rows = [
        row(
            f"aggregate {answers:,} answers by contract+period ({groups} groups), SQL",
            sql * 1000,
            "ms",
            py * 1000,
            "< 2000 ms",
            sql < 2.0,
        ),
        row("same figures by a Python loop over the rows (reference)", py * 1000, "ms", None, "", None),
        row(
            f"bulk intake via API ({BULK_SIZE} responses × {QUESTIONS} answers per POST)",
            bulk,
            "answers/s",
            single,
            ">= 1000 answers/s",
            bulk >= 1000,
        ),
        row("one response per POST via API (reference)", single, "answers/s", None, "", None),
        row("(setup) generate 1,000,000 answers in SQL", fill * 1000, "ms", None, "", None),
    ]
    return rows


if __name__ == "__main__":
    print_table(main(), "evaluation surveys (ratio = value / reference)")
