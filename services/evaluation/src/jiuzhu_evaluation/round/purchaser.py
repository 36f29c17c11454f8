"""The purchaser's name for the evaluation report, from procurement's purchaser registry (its public
read `GET /public/purchasers/{division_code}`: no credential needed, so a regeneration before a
commit can ask too). Unreachable or malformed: 503 `PURCHASER_UNAVAILABLE`, never a code printed
where the bureau's name belongs."""

from __future__ import annotations

from typing import Any

from jiuzhu_kit.errors import ServiceUnavailable
from jiuzhu_kit.peers import Peer, PeerUnavailable, wired_transport

TIMEOUT = 3.0


class PurchaserUnavailable(ServiceUnavailable):
    code = "PURCHASER_UNAVAILABLE"
    zh = "采购服务暂不可用，无法读取购买主体名称（{why}）"
    en = "The procurement service is unavailable; the purchaser's name cannot be read ({why})"


async def name_of(app: Any, division: str) -> str:
    """The registered purchaser's name; a division the registry lacks is named from its code, as
    procurement names it on contracts (purchaser/registry.py)."""
    base_url = app.state.settings.procurement_service_url
    if not base_url:
        raise PurchaserUnavailable(why="PROCUREMENT_SERVICE_URL not set")
    peer = Peer("procurement", base_url, timeout=TIMEOUT, transport=wired_transport(app.state, "procurement"))
    try:
        resp = await peer.get(f"/public/purchasers/{division}", None)
    except PeerUnavailable as exc:
        raise PurchaserUnavailable(why=type(exc.__cause__ or exc).__name__) from exc
    if resp.status == 404:
        return f"民政部门，行政区划代码 {division}"
    body = resp.body
    if resp.status != 200 or not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise PurchaserUnavailable(why=f"HTTP {resp.status}")
    return str(body["name"])
