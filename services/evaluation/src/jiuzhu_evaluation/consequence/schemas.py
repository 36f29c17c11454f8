from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel


class PaymentReleaseOut(BaseModel):
    """Contract with procurement: released only for a published round of that contract+period whose
    grade passed (≥ 合格). `reason` starts with a stable code: RELEASED, NO_ROUND, NOT_PUBLISHED,
    APPEAL_PENDING, FAILED."""

    contract_id: uuid.UUID
    period: str
    released: bool
    reason: str
    round_id: uuid.UUID | None
    total: str | None
    grade: str | None


class HistoryItem(BaseModel):
    """历史结果 One published evaluation result of a contractor."""

    round_id: uuid.UUID
    contract_id: uuid.UUID
    period: str
    total: str
    grade: str
    published_at: datetime


class ContractorHistoryOut(BaseModel):
    """Published results only (公示 makes them public); `average` is the mean total, half-up to 0.01."""

    uscc: str
    results: list[HistoryItem]
    average: str | None


class DebarmentSuggestionOut(BaseModel):
    """禁止建议 Whether a contractor's results suggest a debarment, and for how long."""

    uscc: str
    suggested: bool
    reason: str
    failing_results: list[HistoryItem]
    suggested_years: int | None
    basis: list[str]
