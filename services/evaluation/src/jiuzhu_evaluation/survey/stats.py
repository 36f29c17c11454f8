"""Survey results, aggregated in SQL: response rate, mean, share satisfied, 95% intervals.

The mean's interval is over respondents (each respondent's mean answer), normal approximation;
the share's is Wilson's score interval over answers. Below `min_sample` respondents the figures
carry a warning instead of pretending to precision.
"""

from __future__ import annotations

import math
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

Z95 = 1.959963984540054
Q4 = Decimal("0.0001")

_BY_QUESTION = text(
    """
    SELECT a.question, count(*) AS n, avg(a.value) AS mean,
           count(*) FILTER (WHERE a.value >= s.satisfied_min) AS satisfied
    FROM evaluation.survey_answer a JOIN evaluation.survey s ON s.id = a.survey_id
    WHERE a.survey_id = :sid GROUP BY a.question ORDER BY a.question
    """
)
_OVERALL = text(
    """
    WITH per AS (
        SELECT a.response_id, avg(a.value) AS m FROM evaluation.survey_answer a
        WHERE a.survey_id = :sid GROUP BY a.response_id
    )
    SELECT (SELECT count(*) FROM evaluation.survey_code WHERE survey_id = :sid) AS issued,
           (SELECT count(*) FROM per) AS respondents,
           (SELECT avg(m) FROM per) AS mean,
           (SELECT stddev_samp(m) FROM per) AS sd
    """
)
# Every contract and period at once (the benchmark's 1,000,000 answers): one GROUP BY.
BY_CONTRACT_PERIOD = text(
    """
    SELECT s.contract_id, s.period, count(*) AS answers, count(DISTINCT a.response_id) AS respondents,
           avg(a.value) AS mean, count(*) FILTER (WHERE a.value >= s.satisfied_min) AS satisfied
    FROM evaluation.survey_answer a JOIN evaluation.survey s ON s.id = a.survey_id
    WHERE s.purchaser_division LIKE :prefix
    GROUP BY s.contract_id, s.period ORDER BY s.contract_id, s.period
    """
)


def q4(x: float | Decimal) -> str:
    return str(Decimal(str(x)).quantize(Q4, rounding=ROUND_HALF_UP))


def wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def to_score(mean: Decimal, points: int) -> Decimal:
    """A mean on the 1..points scale as 0–100."""
    return (mean - 1) / Decimal(points - 1) * 100


async def survey_stats(session: AsyncSession, survey: Any) -> dict[str, Any]:
    rows = (await session.execute(_BY_QUESTION, {"sid": survey.id})).all()
    overall = (await session.execute(_OVERALL, {"sid": survey.id})).one()
    answers = sum(r.n for r in rows)
    satisfied = sum(r.satisfied for r in rows)
    n = int(overall.respondents)
    issued = int(overall.issued)
    mean = Decimal(overall.mean) if overall.mean is not None else None
    mean_ci = None
    if mean is not None and overall.sd is not None and n > 1:
        half = Decimal(str(Z95)) * Decimal(overall.sd) / Decimal(n).sqrt()
        mean_ci = [q4(mean - half), q4(mean + half)]
    share = Decimal(satisfied) / answers if answers else None
    lo, hi = wilson(satisfied, answers)
    small = n < survey.min_sample
    keys = [q["key"] for q in survey.questions]
    share_pct = share * 100 if share is not None else None
    rate = Decimal(n) / issued if issued else None
    return {
        "survey_id": str(survey.id),
        "codes_issued": issued,
        "respondents": n,
        "answers": answers,
        "response_rate": q4(rate) if rate is not None else None,
        "mean": q4(mean) if mean is not None else None,
        "mean_ci95": mean_ci,
        "share_satisfied": q4(share) if share is not None else None,
        "share_satisfied_ci95": [q4(lo), q4(hi)] if answers else None,
        "small_sample": small,
        "warning": (
            f"样本量 {n} 少于 {survey.min_sample}，结果仅供参考 (sample too small to mean much)"
            if small
            else None
        ),
        "questions": {
            keys[r.question]: {
                "n": r.n,
                "mean": q4(r.mean),
                "share_satisfied": q4(Decimal(r.satisfied) / r.n),
            }
            for r in rows
        },
        # Values for computed indicators (0–100): see template.rules.COMPUTED_SOURCES.
        "computed": {
            "survey_share_satisfied": q4(share_pct) if share_pct is not None else None,
            "survey_response_rate": q4(rate * 100) if rate is not None else None,
            "survey_mean": q4(to_score(mean, survey.points)) if mean is not None else None,
        },
    }


async def for_contract_period(
    session: AsyncSession, contract_id: uuid.UUID, period: str
) -> dict[str, Any] | None:
    """Results of the survey of one contract and period; None when there is none or no answer yet."""
    from jiuzhu_evaluation.survey.repository import SurveyRepository

    survey = await SurveyRepository(session).by_contract_period(contract_id, period)
    if survey is None:
        return None
    out = await survey_stats(session, survey)
    return out if out["respondents"] else None


async def all_contract_periods(session: AsyncSession, division_prefix: str = "") -> list[dict[str, Any]]:
    """Every contract and period under a division prefix ('' = all), in one GROUP BY."""
    escaped = division_prefix.replace("\\", "").replace("%", "").replace("_", "")
    rows = (await session.execute(BY_CONTRACT_PERIOD, {"prefix": escaped + "%"})).all()
    return [
        {
            "contract_id": str(r.contract_id),
            "period": r.period,
            "answers": r.answers,
            "respondents": r.respondents,
            "mean": q4(r.mean),
            "share_satisfied": q4(Decimal(r.satisfied) / r.answers),
        }
        for r in rows
    ]
