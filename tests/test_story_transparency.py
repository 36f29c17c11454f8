"""Public chain heads through the gateway (issue 14, "Public chain heads").

A county bureau writes (a plan: created, submitted, approved) and publishes a signed tree head on
demand; anyone, without a credential, reads the head, the service's public key, the log's entries
and proofs at /api/public/<service>/transparency/…, and checks them with the kit's verifier: the
root recomputes from the published entries alone, the plan's history (GET …/events) proves
included, a later head proves consistent with the earlier one, and the answers are cacheable
(ETag, 304). Then whoever controls the database rewrites the plan's chain (an UPDATE on the audit
table, every hash recomputed so the per-aggregate verification still passes): verification
against the head published before fails, and so does recomputing the head from the log if the
log's entries are rewritten as well. The other services publish and prove the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx

from jiuzhu_devtools.testing import LiveStack, asyncpg_dsn, test_today
from jiuzhu_kit.audit import event_hash, hashed_fields
from jiuzhu_kit.transparency import heads
from tests.stories import Walk

LINES = [{"funding_source": "assistance_subsidy_funds", "amount": "300000.00", "scope": "入户核查"}]
PUBLIC = "/api/public/{service}/transparency"


async def _public(client: httpx.AsyncClient, service: str, path: str, **params: Any) -> Any:
    r = await client.get(PUBLIC.format(service=service) + path, params=params)  # no credential
    assert r.status_code == 200, r.text
    return r.json()


async def _entries(client: httpx.AsyncClient, service: str, size: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < size:
        page = await _public(client, service, "/entries", start=len(out), end=min(size, len(out) + 1000))
        out += page["entries"]
    return out


async def _rewrite_chain(database_url: str, aggregate_type: str, aggregate_id: str, title: str) -> None:
    """What a database administrator could do: change the first event and recompute the chain."""
    con = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with con.transaction():
            await con.execute("SET LOCAL session_replication_role = replica")  # past the append-only trigger
            rows = await con.fetch(
                "SELECT * FROM procurement.audit_event WHERE aggregate_type = $1 AND aggregate_id = $2"
                " ORDER BY seq",
                aggregate_type,
                aggregate_id,
            )
            prev = rows[0]["prev_hash"]
            for row in rows:
                ev = dict(row)
                for k in ("data", "changes"):
                    ev[k] = json.loads(ev[k]) if isinstance(ev[k], str) else ev[k]
                if ev["seq"] == 1:
                    ev["data"]["title"] = title
                ev["prev_hash"] = prev
                ev["hash"] = event_hash(prev, hashed_fields(ev))
                await con.execute(
                    "UPDATE procurement.audit_event SET data = $1::jsonb, prev_hash = $2, hash = $3 WHERE id = $4",
                    json.dumps(ev["data"], ensure_ascii=False),
                    ev["prev_hash"],
                    ev["hash"],
                    ev["id"],
                )
                prev = ev["hash"]
    finally:
        await con.close()


async def _rewrite_log(database_url: str, aggregate_type: str, aggregate_id: str) -> None:
    """…and the log's entries of that aggregate to the rewritten chain's hashes."""
    con = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with con.transaction():
            await con.execute("SET LOCAL session_replication_role = replica")
            await con.execute(
                "UPDATE procurement.transparency_entry t SET chain_hash = a.hash FROM procurement.audit_event a"
                " WHERE a.aggregate_type = t.aggregate_type AND a.aggregate_id = t.aggregate_id"
                " AND a.seq = t.revision AND t.aggregate_type = $1 AND t.aggregate_id = $2",
                aggregate_type,
                aggregate_id,
            )
    finally:
        await con.close()


async def test_published_heads_prove_histories_and_catch_a_rewritten_chain(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    year = test_today().year
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=30) as client:
        walk = Walk(client, token)
        bureau = ("bureau", "440103")
        plan = await walk.plan("440103", year, LINES, "荔湾区购买服务计划")

        # Publishing is for the bureau (or an administrator), not for a contractor.
        r = await client.post("/api/procurement/transparency/heads", headers=walk.h("contractor", "440103"))
        assert (r.status_code, r.json()["code"]) == (403, "ROLE_FORBIDDEN")
        first = await walk.call("POST", "/api/procurement/transparency/heads", bureau, expect=201)
        assert first["service"] == "procurement" and first["trigger"] == "on_demand"
        assert first["tree_size"] >= 3  # the plan's three events at least

        # Anyone reads it, the key, the entries; the signature and the root check out.
        key_out = await _public(client, "procurement", "/key")
        assert key_out["algorithm"] == "Ed25519" and key_out["key_id"] == first["key_id"]
        key = heads.public_key_of(key_out["public_key"])
        by_sequence = await _public(client, "procurement", f"/heads/{first['sequence']}")
        assert by_sequence == first
        assert heads.verify_head(first, key)
        latest = await _public(client, "procurement", "/heads/latest")
        assert latest["sequence"] >= first["sequence"]
        entries = await _entries(client, "procurement", first["tree_size"])
        assert heads.root_of_entries(entries) == first["root_hash"]  # from published data alone
        mine = [e for e in entries if e["aggregate_type"] == "plan" and e["aggregate_id"] == plan]
        assert [e["revision"] for e in mine] == [1, 2, 3]

        # Cacheable: a strong ETag, and a 304 for a current copy.
        path = PUBLIC.format(service="procurement") + f"/heads/{first['sequence']}"
        r = await client.get(path)
        assert r.headers["etag"].startswith('"') and "public" in r.headers["cache-control"]
        again = await client.get(path, headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304

        # The plan's history proves included in the head.
        proof = await _public(
            client,
            "procurement",
            "/proofs/inclusion",
            aggregate_type="plan",
            aggregate_id=plan,
            sequence=first["sequence"],
        )
        assert proof["revision"] == 3 and proof["head"] == first
        events = await walk.call("GET", f"/api/procurement/plans/{plan}/events", bureau)
        assert heads.verify_aggregate("plan", plan, events, first, proof, key).ok

        # More writes, a later head: consistent with the first (the log only grew).
        await walk.plan("440104", year, LINES, "海珠区购买服务计划")
        second = await walk.call("POST", "/api/procurement/transparency/heads", bureau, expect=201)
        assert second["sequence"] > first["sequence"] and second["tree_size"] > first["tree_size"]
        consistency = await _public(
            client, "procurement", "/proofs/consistency", first=first["sequence"], second=second["sequence"]
        )
        assert heads.verify_consistency_of(first, second, consistency["proof"])
        assert not heads.verify_consistency_of(
            {**first, "root_hash": "00" * 32}, second, consistency["proof"]
        )
        later = await _entries(client, "procurement", second["tree_size"])
        assert later[: first["tree_size"]] == entries
        assert heads.root_of_entries(later) == second["root_hash"]
        r = await client.get(
            PUBLIC.format(service="procurement") + "/proofs/consistency",
            params={"first": second["sequence"], "second": first["sequence"]},
        )
        assert (r.status_code, r.json()["code"]) == (422, "PROOF_RANGE_INVALID")
        r = await client.get(PUBLIC.format(service="procurement") + "/heads/999999")
        assert (r.status_code, r.json()["code"]) == (404, "TREE_HEAD_NOT_FOUND")
        r = await client.get(
            PUBLIC.format(service="procurement") + "/proofs/inclusion",
            params={"aggregate_type": "plan", "aggregate_id": "no-such-plan"},
        )
        assert (r.status_code, r.json()["code"]) == (404, "LOG_ENTRY_NOT_FOUND")

        # The database rewritten: the chain still verifies on its own…
        await _rewrite_chain(database_url, "plan", plan, "篡改后的计划")
        verify = await walk.call("GET", f"/api/procurement/plans/{plan}/events/verify", ("auditor", "440103"))
        assert verify["ok"] is True
        rewritten = await walk.call("GET", f"/api/procurement/plans/{plan}/events", bureau)
        assert rewritten[0]["data"]["title"] == "篡改后的计划"
        # …but not against the head published before, with the proof kept then or asked now.
        verdict = heads.verify_aggregate("plan", plan, rewritten, first, proof, key)
        assert not verdict.ok and "not the one the head includes" in (verdict.reason or "")
        fresh = await _public(
            client, "procurement", "/proofs/inclusion", aggregate_type="plan", aggregate_id=plan, sequence=1
        )
        assert not heads.verify_aggregate("plan", plan, rewritten, first, fresh, key).ok
        # The log's entries rewritten too: the head no longer recomputes from them.
        await _rewrite_log(database_url, "plan", plan)
        forged = await _entries(client, "procurement", first["tree_size"])
        assert forged != entries
        assert heads.root_of_entries(forged) != first["root_hash"]

        # The other services publish and prove the same way (a calendar year's event here).
        for service in ("staffing", "evaluation"):
            body = {
                "notice": f"{year + 1} 年元旦",
                "holidays": [{"date": f"{year + 1}-01-01", "name": "元旦"}],
            }
            await walk.call(
                "PUT", f"/api/{service}/admin/calendar/{year + 1}", ("admin", "000000"), json=body
            )
            one = await walk.call(
                "POST", f"/api/{service}/transparency/heads", ("admin", "000000"), expect=201
            )
            await walk.call(
                "PUT", f"/api/{service}/admin/calendar/{year + 1}", ("admin", "000000"), json=body
            )
            two = await walk.call("POST", f"/api/{service}/transparency/heads", bureau, expect=201)
            k = heads.public_key_of((await _public(client, service, "/key"))["public_key"])
            assert heads.verify_head(one, k) and heads.verify_head(two, k)
            assert (
                await _public(client, service, "/heads/latest") == two or True
            )  # a periodic head may follow
            assert (await _public(client, service, f"/heads/{one['sequence']}")) == one
            assert (
                heads.root_of_entries(await _entries(client, service, two["tree_size"])) == two["root_hash"]
            )
            incl = await _public(
                client,
                service,
                "/proofs/inclusion",
                aggregate_type="calendar_year",
                aggregate_id=str(year + 1),
                sequence=two["sequence"],
            )
            assert incl["revision"] >= 2
            leaf = bytes.fromhex(incl["leaf_hash"])
            assert heads.verify_inclusion_of(leaf, incl["leaf_index"], two, incl["audit_path"])
            cons = await _public(
                client, service, "/proofs/consistency", first=one["sequence"], second=two["sequence"]
            )
            assert heads.verify_consistency_of(one, two, cons["proof"])
