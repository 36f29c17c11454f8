"""Check a round's contract against procurement (`GET {PROCUREMENT_SERVICE_URL}/contracts/{id}`).

Never blocks on procurement: unset URL, timeout, error or 404 are recorded on the round
("skipped" / "unavailable" / "not_found") and the round opens. Only a contract that procurement
knows with another contractor or purchaser division is refused.
"""

from __future__ import annotations

from typing import Any

import httpx

from jiuzhu_evaluation.round.schemas import RoundIn
from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.peers import Peer, PeerUnavailable

TIMEOUT = httpx.Timeout(3.0, connect=1.0)


class ContractMismatch(Conflict):
    code = "CONTRACT_MISMATCH"
    zh = "采购服务中的该合同与所填{field}不一致"
    en = "The contract in procurement has a different {field}"


async def check(
    base_url: str,
    body: RoundIn,
    authorization: str | None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> str:
    if not base_url:
        return "skipped"
    try:
        resp = await Peer("procurement", base_url, timeout=TIMEOUT, transport=transport).get(
            f"/contracts/{body.contract_id}", authorization
        )
    except PeerUnavailable:
        return "unavailable"
    if resp.status == 404:
        return "not_found"
    contract: Any = resp.body
    if resp.status != 200 or not isinstance(contract, dict):
        return "unavailable"
    if contract.get("contractor_uscc") not in (None, body.contractor_uscc):
        raise ContractMismatch(field="承接主体统一社会信用代码 (contractor_uscc)")
    if contract.get("division_code") not in (None, body.purchaser_division):
        raise ContractMismatch(field="购买主体行政区划 (purchaser_division)")
    return "matched"
