"""Client of the evaluation service (env EVALUATION_SERVICE_URL), forwarding the caller's credentials.

This service never guesses an evaluation result: unreachable or malformed answers are 503.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jiuzhu_kit.errors import ServiceUnavailable
from jiuzhu_kit.peers import Peer, PeerUnavailable


class EvaluationUnavailable(ServiceUnavailable):
    code = "EVALUATION_UNAVAILABLE"
    zh = "绩效评价服务暂不可用，无法确认评价结果（{why}）"
    en = "The evaluation service is unavailable; the evaluation result cannot be confirmed ({why})"


async def _get(settings: Any, path: str, params: dict[str, str] | None, authorization: str | None) -> Any:
    base = settings.evaluation_service_url or ""
    if not base:
        raise EvaluationUnavailable(why="EVALUATION_SERVICE_URL not set")
    peer = Peer("evaluation", base, timeout=settings.http_timeout_seconds)
    try:
        resp = await peer.get(path, authorization, params)
    except PeerUnavailable as exc:
        raise EvaluationUnavailable(why=type(exc.__cause__ or exc).__name__) from exc
    if resp.status != 200:
        raise EvaluationUnavailable(why=f"HTTP {resp.status}")
    if resp.body is None:
        raise EvaluationUnavailable(why="invalid JSON")
    return resp.body


async def payment_release(
    settings: Any, contract_id: str, period: str, authorization: str | None
) -> dict[str, Any]:
    body = await _get(
        settings,
        "/consequences/payment-release",
        {"contract_id": contract_id, "period": period},
        authorization,
    )
    if not isinstance(body, dict) or not isinstance(body.get("released"), bool):
        raise EvaluationUnavailable(why="unexpected answer")
    return body


async def contractor_average(settings: Any, uscc: str, authorization: str | None) -> Decimal | None:
    """The contractor's published average evaluation total (0–100), or None if it has none."""
    body = await _get(settings, f"/consequences/contractor-history/{uscc}", None, authorization)
    if not isinstance(body, dict):
        raise EvaluationUnavailable(why="unexpected answer")
    avg = body.get("average")
    if avg is None or not body.get("results"):
        return None
    try:
        return Decimal(str(avg))
    except ArithmeticError as exc:
        raise EvaluationUnavailable(why="unexpected average") from exc


async def staff_renewal(
    settings: Any, contract_id: str, staff_ref: str, authorization: str | None
) -> dict[str, Any] | None:
    """A worker's assessments on a contract as the evaluation service reads them (`staff_ref` = the
    roster worker's id): years assessed and whether the latest one lets them continue; None when the
    worker has no assessment there."""
    base = settings.evaluation_service_url or ""
    if not base:
        raise EvaluationUnavailable(why="EVALUATION_SERVICE_URL not set")
    peer = Peer("evaluation", base, timeout=settings.http_timeout_seconds)
    params = {"contract_id": contract_id, "staff_ref": staff_ref}
    try:
        resp = await peer.get("/staff-assessments/renewal", authorization, params)
    except PeerUnavailable as exc:
        raise EvaluationUnavailable(why=type(exc.__cause__ or exc).__name__) from exc
    if resp.status == 404:
        return None
    if resp.status != 200 or not isinstance(resp.body, dict):
        raise EvaluationUnavailable(why=f"HTTP {resp.status}")
    return dict(resp.body)


async def latest_published(
    settings: Any, transport: Any, contract_id: str, contractor_uscc: str, purchaser_division: str
) -> dict[str, Any] | None:
    """The contract's latest published evaluation result, read from the evaluation service's public
    list (`/public/results`, newest first; no credential: it is what anyone may see), or None when
    it has none. For public pages: an unreachable evaluation service gives None, never an error."""
    base = settings.evaluation_service_url or ""
    if not base:
        return None
    peer = Peer("evaluation", base, timeout=settings.http_timeout_seconds, transport=transport)
    params = {"contractor_uscc": contractor_uscc, "division_code": purchaser_division, "limit": "100"}
    try:
        resp = await peer.get("/public/results", None, params)
    except PeerUnavailable:
        return None
    items = resp.body.get("items") if resp.ok and isinstance(resp.body, dict) else None
    for item in items or []:
        if isinstance(item, dict) and item.get("contract_id") == contract_id:
            return item
    return None
