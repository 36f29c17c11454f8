"""Authorization matrix, reads: every read × every principal × every place, on real records.

Part of the matrix in tests/test_authz_matrix.py (its docstring lists the parts). The Lingwu world
(tests/fuzzing/world.py) holds a project in bidding, one in scoring and one awarded, a contract,
rounds collecting and published, a survey, a template, staff assessments, a scenario, a compliance
report and contractors (one debarred), filled with sentinel values. Every GET of the three
contracts (tests/fuzzing/reads.py) is sent by every role (contractor as bidder X and as an
unrelated contractor) from Lingwu 640181, its sibling 640121, its city 640100, another province
440103 and the national level 000000, and without a token. The oracle:

1. A history (`…/events`, `…/events/verify`) answers a caller the single read refuses with the
   same status and code; where the single read answers, the history answers too or refuses with
   403 ROLE_FORBIDDEN (it may be stricter, never looser).
2. Sentinels: X's legal representative and phone in full only to admin/bureau/finance/auditor and X
   itself; a price, panel score or bidder identity of a project not yet awarded only to the
   purchaser's roles covering Lingwu and to that bidder itself (and, in the opening record, to the
   bidders it reads out); a price or bidder of the project still in bidding (sealed) to that bidder
   alone, not to the purchaser's side nor an admin; after the award the winner's price may be
   public, a loser's never.
3. From outside Lingwu's subtree a read looks absent (404 with the aggregate's not-found code, or
   403 ROLE_FORBIDDEN for a role the route never serves); a list shows none of Lingwu's records.
4. A refusal carries ROLE_FORBIDDEN, JURISDICTION_FORBIDDEN or a not-found code; never a 5xx; no
   token gets 401 except on public routes; a role outside the route's policy gets ROLE_FORBIDDEN.

Every finding is listed (rule, route, what, and to whom), not only the first.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable

import httpx

from tests.fuzzing import world
from tests.fuzzing.reads import INSIDE, Principal, Read, may_see, principals, reads, sentinels, unprobed
from tests.test_authz_matrix import policy

REFUSALS = {"ROLE_FORBIDDEN", "JURISDICTION_FORBIDDEN"}


class Findings:
    """Findings grouped by (rule, route, what): one line each, naming every principal concerned."""

    def __init__(self) -> None:
        self.by: dict[tuple[str, str, str], list[str]] = defaultdict(list)

    def add(self, rule: str, read: Read, what: str, who: Principal) -> None:
        self.by[(rule, read.label, what)].append(who.label)

    def lines(self) -> list[str]:
        return [
            f"[{rule}] {route}: {what} — to {len(whos)}: {', '.join(whos)}"
            for (rule, route, what), whos in sorted(self.by.items())
        ]


Answer = tuple[int, str, str]  # status, problem code, body


async def test_reads_follow_one_policy_per_aggregate(
    clients: dict[str, httpx.AsyncClient], auth: Callable[..., dict[str, str]]
) -> None:
    started = time.monotonic()
    w = await world.build(clients, auth)
    probes = reads(w)
    assert unprobed(probes) == [], (
        "GET operations the matrix does not read (fill them in tests/fuzzing/reads.py)"
    )
    whos = principals()
    headers = {
        p.label: {} if p.role is None else auth(p.role, p.div, sub=f"matrix-{p.label}", org=p.org)
        for p in whos
    }
    gate = asyncio.Semaphore(16)

    async def ask(read: Read, who: Principal) -> Answer:
        async with gate:
            r = await clients[read.service].get(read.url, params=read.params, headers=headers[who.label])
        code = ""
        if r.headers.get("content-type", "").startswith("application/problem+json"):
            code = str(r.json().get("code", ""))
        # What the caller sent itself (a problem's `instance`, a list echoing its filter) is no leak.
        text = r.text.replace(read.url, "")
        for v in read.params.values():
            text = text.replace(v, "")
        return r.status_code, code, text

    pairs = [(read, who) for read in probes for who in whos]
    answers = list(zip(pairs, await asyncio.gather(*(ask(r, p) for r, p in pairs)), strict=True))

    found = Findings()
    marks = sentinels()
    lingwu_ids = [i for i in w.lingwu_ids() if i]
    for (read, who), (status, code, text) in answers:
        access = policy(read.service, "GET", read.path)["access"]
        outside = who.role is not None and who.div not in INSIDE
        if status >= 500:
            found.add("4 no 5xx", read, f"{status}", who)
        if who.role is None and access != "public" and status != 401:
            found.add("4 no token", read, f"answered {status} without a token, expected 401", who)
        if (
            who.role is not None
            and isinstance(access, list)
            and who.role != "admin"
            and who.role not in access
            and (status, code) != (403, "ROLE_FORBIDDEN")
        ):
            found.add(
                "4 role",
                read,
                f"role outside the policy got {status} {code}, expected 403 ROLE_FORBIDDEN",
                who,
            )
        if status == 403 and code not in REFUSALS:
            found.add("4 refusal code", read, f"403 with code {code!r}", who)
        if status == 404 and not code.endswith(("NOT_FOUND", "NOT_PUBLISHED")):
            found.add("4 refusal code", read, f"404 with code {code!r}", who)
        # 409 BID_SEALED: the purchaser's side asking for a bid (or the opening record) before the
        # opening; refused for the time, whoever asks (tests/fuzzing/reads.py: sealed sentinels).
        if status in (400, 409, 422) and (status, code) != (409, "BID_SEALED"):
            found.add(
                "4 refusal code",
                read,
                f"{status} {code}: neither a role, jurisdiction nor not-found refusal",
                who,
            )
        if (
            outside
            and read.lingwu
            and access != "public"
            and not (read.bidder_route and who.role == "contractor")
        ):
            if read.kind == "list":
                if status < 300 and any(i in text for i in lingwu_ids):
                    found.add("3 jurisdiction", read, "the list shows Lingwu's records outside Lingwu", who)
            elif not (status == 404 and code.endswith("NOT_FOUND")) and (status, code) != (
                403,
                "ROLE_FORBIDDEN",
            ):
                found.add(
                    "3 jurisdiction",
                    read,
                    f"outside Lingwu got {status} {code}, expected 404 …_NOT_FOUND",
                    who,
                )
        for s in marks:
            if s.text in text and not may_see(s, who, read):
                found.add("2 sentinel", read, f"shows {s.what} ({s.text})", who)

    # Rule 1: each history against the single read of its aggregate, per principal.
    singles = {(r.aggregate, p.label): a[:2] for (r, p), a in answers if r.kind == "single"}
    for (read, who), (status, code, _) in answers:
        if read.kind != "history":
            continue
        s_status, s_code = singles[(read.aggregate, who.label)]
        # Refused as the record is refused — or, for a role that never reads histories of this kind,
        # 403 ROLE_FORBIDDEN whatever the record (stricter, and it tells nothing about the record).
        if s_status >= 400 and (status, code) not in ((s_status, s_code), (403, "ROLE_FORBIDDEN")):
            found.add(
                "1 history",
                read,
                f"single read refuses {s_status} {s_code}, history answers {status} {code or '(data)'}",
                who,
            )
        elif s_status < 300 and status >= 300 and (status, code) != (403, "ROLE_FORBIDDEN"):
            found.add("1 history", read, f"single read answers, history refuses {status} {code}", who)

    lines = found.lines()
    leaks = sum(len(v) for v in found.by.values())
    print(
        f"\nauthz reads: {len(probes)} reads × {len(whos)} principals = {len(pairs)} requests in "
        f"{time.monotonic() - started:.1f} s; {len(lines)} findings ({leaks} responses)"
    )
    assert not lines, "\n".join(lines)
