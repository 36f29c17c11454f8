"""The pay progression's facts (issue 16): a contract's staff assessments, read from the evaluation
service (`GET {EVALUATION_SERVICE_URL}/staff-assessments/outcomes?contract_id=`, the caller's
credentials) instead of typed outcomes. The staff refs are procurement roster workers' ids where the
roster is kept. Evaluation down, or no URL set → 503 PEER_UNAVAILABLE: never a guessed raise."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request

from jiuzhu_kit.peers import Peer, PeerUnavailable, wired_transport


async def outcomes(request: Request, contract_id: uuid.UUID) -> list[dict[str, Any]]:
    """Per staff member, per year: qualified or not (the caller must read the contract's assessments;
    one it may not read has none to give)."""
    settings = request.app.state.settings
    base = getattr(settings, "evaluation_service_url", "") or ""
    if not base:
        raise PeerUnavailable(peer="evaluation")
    peer = Peer(
        "evaluation",
        base,
        timeout=settings.http_timeout_seconds,
        transport=wired_transport(request.app.state, "evaluation"),
    )
    resp = await peer.get("/staff-assessments/outcomes", request, {"contract_id": str(contract_id)})
    if resp.status in (403, 404):
        return []
    body = resp.body
    if not resp.ok or not isinstance(body, dict) or not isinstance(body.get("staff"), list):
        raise PeerUnavailable(peer="evaluation")
    return [s for s in body["staff"] if isinstance(s, dict)]
