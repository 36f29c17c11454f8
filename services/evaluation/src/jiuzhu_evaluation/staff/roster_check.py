"""Check an assessment's `staff_ref` against procurement's roster (`GET {PROCUREMENT_SERVICE_URL}/workers/{id}`).

A `staff_ref` that is a UUID names a roster worker (issue 16: assessments attach to the roster), so
it must be a worker of the assessment's contract, as the caller may read it there; any other
`staff_ref` stays the opaque reference it always was. Like the round's contract check, it never
blocks on procurement being down (unset URL, timeout, 5xx: the assessment is recorded)."""

from __future__ import annotations

import uuid

import httpx

from jiuzhu_evaluation.staff.schemas import AssessmentIn
from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.peers import Peer, PeerUnavailable

TIMEOUT = httpx.Timeout(3.0, connect=1.0)


class NotOnRoster(Conflict):
    code = "STAFF_NOT_ON_ROSTER"
    zh = "该人员（{staff_ref}）不在本合同的花名册中"
    en = "This worker ({staff_ref}) is not on this contract's roster"


async def check(base_url: str, body: AssessmentIn, authorization: str | None) -> str:
    try:
        uuid.UUID(body.staff_ref)
    except ValueError:
        return "opaque"
    if not base_url:
        return "skipped"
    try:
        resp = await Peer("procurement", base_url, timeout=TIMEOUT).get(
            f"/workers/{body.staff_ref}", authorization
        )
    except PeerUnavailable:
        return "unavailable"
    worker = resp.body
    if resp.status == 404 or (
        resp.status == 200 and isinstance(worker, dict) and worker.get("contract_id") != str(body.contract_id)
    ):
        raise NotOnRoster(staff_ref=body.staff_ref)
    return "matched" if resp.status == 200 else "unavailable"
