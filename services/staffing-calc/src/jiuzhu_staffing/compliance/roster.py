"""Compliance from facts (issue 16): the workers actually in post come from procurement's roster
(`GET {PROCUREMENT_SERVICE_URL}/workers/in-post?division_code=&on=`, the caller's credentials), not
from a typed count. A county whose purchase is bound to a roster (a contract naming its headcount or
keeping workers on it, in force on the report date) reads its "actual" from there, per township or
village; a typed count remains only where no such contract exists yet, and says so (`typed`).

Procurement down or slow → 503 PEER_UNAVAILABLE: the service never guesses a count. No URL set (a
staffing-calc running alone) → typed figures only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starlette.requests import Request

from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.peers import Peer, PeerUnavailable, wired_transport

ROSTER, TYPED = "roster", "typed"
COUNTY_LEVEL = "county"


class ActualFromRoster(Conflict):
    code = "COMPLIANCE_ACTUAL_FROM_ROSTER"
    zh = "{division} 已有按花名册管理人员的合同（{contracts}），实际在岗人数取自花名册，不能填报"
    en = "{division} has contracts kept on the roster ({contracts}): actual staff come from it, not typed"


@dataclass(frozen=True)
class RosterFacts:
    """What procurement's roster says about one county on one day."""

    on: date
    contracts: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)  # {serves_division, unit_name, workers}

    @property
    def bound(self) -> bool:
        return bool(self.contracts)

    def of_county(self, county: str) -> RosterFacts:
        return RosterFacts(
            self.on,
            [c for c in self.contracts if str(c.get("purchaser_division", "")).startswith(county)],
            [u for u in self.units if str(u.get("serves_division", "")).startswith(county)],
        )

    def summary(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "contracts": self.contracts,
            "workers_in_post": sum(int(u["workers"]) for u in self.units),
            "source": "procurement roster: GET /api/procurement/workers/in-post",
        }


async def facts(request: Request, division: str, on: date) -> RosterFacts | None:
    """The roster's in-post counts under `division` on `on`, or None when no procurement is wired."""
    settings = request.app.state.settings
    base = getattr(settings, "procurement_service_url", "") or ""
    if not base:
        return None
    peer = Peer(
        "procurement",
        base,
        timeout=settings.http_timeout_seconds,
        transport=wired_transport(request.app.state, "procurement"),
    )
    params = {"division_code": division, "on": on.isoformat()}
    resp = await peer.get("/workers/in-post", request, params)
    if resp.status in (401, 403, 404):  # this reader sees no roster there: nothing bound for them
        return RosterFacts(on)
    body = resp.body
    if not resp.ok or not isinstance(body, dict):
        raise PeerUnavailable(peer="procurement")
    return RosterFacts(on, list(body.get("contracts") or []), list(body.get("units") or []))


def _unit_for(
    figures: list[dict[str, Any]], county: str, serves: str, unit_name: str
) -> tuple[str, str] | None:
    """The required unit a roster group counts for: the county's own unit for workers serving the
    county itself; else the township whose statistical code covers the place served; else the unit
    of the same name. Its first role (a unit's workers are counted once, under its main role)."""

    def first(match: list[dict[str, Any]]) -> tuple[str, str] | None:
        return (match[0]["unit_name"], match[0]["role"]) if match else None

    if serves == county:
        return first([f for f in figures if f["unit_kind"] == COUNTY_LEVEL])
    below = [f for f in figures if f["unit_kind"] != COUNTY_LEVEL]
    coded = [f for f in below if f.get("unit_code") and serves.startswith(str(f["unit_code"]))]
    if coded:
        return first(sorted(coded, key=lambda f: -len(str(f["unit_code"]))))
    name = unit_name.removesuffix("办事处")
    return first([f for f in below if f["unit_name"] == name])


def actual_by_unit(
    figures: list[dict[str, Any]], county: str, units: list[dict[str, Any]]
) -> dict[tuple[str, str], int]:
    """Roster groups to (unit name, role) → people, by `_unit_for`; a group matching no required unit
    is kept under its own unit name and role `worker` (required 0), so no worker disappears."""
    out: dict[tuple[str, str], int] = {}
    for u in units:
        key = _unit_for(figures, county, str(u["serves_division"]), str(u["unit_name"]))
        key = key or (str(u["unit_name"]), "worker")
        out[key] = out.get(key, 0) + int(u["workers"])
    return out
