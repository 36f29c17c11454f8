"""A contract's purchaser, contractor and term, asked of procurement with the caller's credentials.

The schedule is worked out from the contract procurement holds, never from what a caller types:
unreachable or malformed answers are 503, a contract the caller may not read is 404 as it is there."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import httpx

from jiuzhu_kit.errors import NotFound, ServiceUnavailable
from jiuzhu_kit.peers import Peer, PeerUnavailable


class ContractNotFound(NotFound):
    code = "CONTRACT_NOT_FOUND"
    zh = "未找到该合同"
    en = "Contract not found"


class ProcurementUnavailable(ServiceUnavailable):
    code = "PROCUREMENT_UNAVAILABLE"
    zh = "采购服务暂不可用，无法读取合同（{why}）"
    en = "The procurement service is unavailable; the contract cannot be read ({why})"


@dataclass(frozen=True)
class ContractTerms:
    id: uuid.UUID
    division_code: str
    contractor_uscc: str
    term_start: date
    term_end: date
    ended_on: date | None  # ended early (taken over, terminated): no period after it is due

    @property
    def last_day(self) -> date:
        return min(self.term_end, self.ended_on) if self.ended_on else self.term_end


async def fetch(
    base_url: str,
    contract_id: uuid.UUID,
    authorization: str | None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ContractTerms:
    if not base_url:
        raise ProcurementUnavailable(why="PROCUREMENT_SERVICE_URL not set")
    try:
        resp = await Peer("procurement", base_url, transport=transport).get(
            f"/contracts/{contract_id}", authorization
        )
    except PeerUnavailable as exc:
        raise ProcurementUnavailable(why=type(exc.__cause__ or exc).__name__) from exc
    if resp.status in (403, 404):  # not readable there: absent here too
        raise ContractNotFound()
    body = resp.body
    if resp.status != 200 or not isinstance(body, dict):
        raise ProcurementUnavailable(why=f"HTTP {resp.status}")
    try:
        return _terms(body)
    except (KeyError, ValueError) as exc:
        raise ProcurementUnavailable(why="unexpected answer") from exc


# A county-wide list asks procurement for every contract the caller may read, 500 at a time; past
# this many it stops rather than hold the request open (a county buys dozens a year, not thousands).
MAX_PAGES = 20


def _terms(body: dict[str, object]) -> ContractTerms:
    return ContractTerms(
        id=uuid.UUID(str(body["id"])),
        division_code=str(body["division_code"]),
        contractor_uscc=str(body["contractor_uscc"]),
        term_start=date.fromisoformat(str(body["term_start"])),
        term_end=date.fromisoformat(str(body["term_end"])),
        ended_on=date.fromisoformat(str(body["ended_on"])) if body.get("ended_on") else None,
    )


async def fetch_readable(
    base_url: str,
    authorization: str | None,
    division_code: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[ContractTerms]:
    """Every signed contract (or one since ended) under `division_code` that the caller may read in
    procurement: its read policy there decides, with the caller's own credentials. Drafts are left
    out: no evaluation period runs before a contract is signed."""
    if not base_url:
        raise ProcurementUnavailable(why="PROCUREMENT_SERVICE_URL not set")
    peer = Peer("procurement", base_url, transport=transport)
    out: list[ContractTerms] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        params: dict[str, object] = {"limit": 500, "division_code": division_code}
        if cursor:
            params["cursor"] = cursor
        try:
            resp = await peer.get("/contracts", authorization, params)
        except PeerUnavailable as exc:
            raise ProcurementUnavailable(why=type(exc.__cause__ or exc).__name__) from exc
        body = resp.body
        if resp.status != 200 or not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise ProcurementUnavailable(why=f"HTTP {resp.status}")
        try:
            out.extend(_terms(c) for c in body["items"] if isinstance(c, dict) and c.get("status") != "draft")
        except (KeyError, ValueError) as exc:
            raise ProcurementUnavailable(why="unexpected answer") from exc
        cursor = body.get("next_cursor") if isinstance(body.get("next_cursor"), str) else None
        if cursor is None:
            return out
    raise ProcurementUnavailable(why=f"more than {MAX_PAGES * 500} contracts")
