"""API keys for system integrations, end to end: issued by an admin, used on real services (which
see a short-lived JWT minted by the gateway), refused when out of scope, revoked at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from jiuzhu_devtools.testing import TEST_SECRET, LiveStack

Auth = Callable[..., dict[str, str]]
KEYS = "/api/gateway/api-keys"
RESULTS = "/api/evaluation/surveys/results/by-contract-period"


async def _issue(c: httpx.AsyncClient, admin: dict[str, str], **body: Any) -> dict[str, Any]:
    r = await c.post(
        KEYS,
        json={"name": "福建省社会救助信息系统", "roles": ["bureau"], "division_code": "350802", **body},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_key_lifecycle_on_real_services(live_stack: LiveStack, auth: Auth) -> None:
    admin = auth("admin", "350800", sub="admin-longyan")
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        key = await _issue(c, admin)
        presented = key["key"]
        assert presented.startswith(f"jzk_{key['key_id']}_") and key["last_used_at"] is None
        h = {"X-API-Key": presented}
        # the service sees the key's roles and jurisdiction (a bureau of 350802)
        ok = await c.get(RESULTS, headers=h)
        assert ok.status_code == 200, ok.text
        outside = await c.get(RESULTS, params={"division_code": "350803"}, headers=h)
        assert outside.status_code == 403 and outside.json()["code"] == "JURISDICTION_FORBIDDEN"
        wrong_role = await c.put("/api/procurement/admin/calendar/2030", json={}, headers=h)
        assert wrong_role.status_code == 403 and wrong_role.json()["code"] == "ROLE_FORBIDDEN"
        bad_secret = await c.get(RESULTS, headers={"X-API-Key": presented[:-3] + "xyz"})
        assert bad_secret.status_code == 401 and bad_secret.json()["code"] == "API_KEY_INVALID"

        listed = (await c.get(KEYS, headers=admin)).json()
        mine = next(k for k in listed if k["id"] == key["id"])
        assert "key" not in mine and "secret_hash" not in mine
        for _ in range(20):  # last use is written off the request path
            if mine["last_used_at"] is not None:
                break
            await asyncio.sleep(0.1)
            mine = (await c.get(f"{KEYS}/{key['id']}", headers=admin)).json()
        assert mine["last_used_at"] is not None

        revoked = await c.post(f"{KEYS}/{key['id']}/revoke", json={"reason": "系统下线"}, headers=admin)
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        after = await c.get(RESULTS, headers=h)
        assert after.status_code == 401 and after.json()["code"] == "API_KEY_INVALID"
        again = await c.post(f"{KEYS}/{key['id']}/revoke", json={"reason": "x"}, headers=admin)
        assert again.status_code == 409 and again.json()["code"] == "API_KEY_ALREADY_REVOKED"
        events = (await c.get(f"{KEYS}/{key['id']}/events", headers=admin)).json()
        assert [e["action"] for e in events] == ["api_key.created", "api_key.revoked"]
        assert events[1]["actor"] == "admin-longyan" and events[1]["reason"] == "系统下线"
        assert "secret_hash" not in str(events)
        assert key["id"] not in [k["id"] for k in (await c.get(KEYS, headers=admin)).json()]


async def test_only_admins_within_their_jurisdiction_manage_keys(live_stack: LiveStack, auth: Auth) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        body = {"name": "x", "roles": ["portal"], "division_code": "350802"}
        r = await c.post(KEYS, json=body, headers=auth("bureau", "350802"))
        assert r.status_code == 403 and r.json()["code"] == "ROLE_FORBIDDEN"
        assert (await c.post(KEYS, json=body)).status_code == 401
        r = await c.post(KEYS, json={**body, "division_code": "350803"}, headers=auth("admin", "350802"))
        assert r.status_code == 403 and r.json()["code"] == "JURISDICTION_FORBIDDEN"
        r = await c.post(KEYS, json={**body, "roles": ["admin"]}, headers=auth("admin", "350802"))
        assert r.status_code == 400 and r.json()["code"] == "API_KEY_ADMIN_ROLE"
        r = await c.post(KEYS, json={**body, "division_code": "35080"}, headers=auth("admin", "350802"))
        assert r.status_code == 422
        key = await _issue(c, auth("admin", "350802"), roles=["portal"])
        # another county's admin neither sees nor revokes it
        other = auth("admin", "350803")
        assert (await c.get(f"{KEYS}/{key['id']}", headers=other)).status_code == 404
        r = await c.post(f"{KEYS}/{key['id']}/revoke", json={"reason": "x"}, headers=other)
        assert r.status_code == 404


async def test_the_old_division_name_is_still_accepted_for_one_release(
    live_stack: LiveStack, auth: Auth
) -> None:
    """`division` was renamed `division_code` (one name per concept across services); the old name
    is accepted for one release (its description says so), and both at once are refused."""
    admin = auth("admin", "350800")
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        new = await _issue(c, admin, name="新字段")
        assert new["division_code"] == new["division"] == "350802"
        old = await c.post(
            KEYS, json={"name": "旧字段", "roles": ["bureau"], "division": "350802"}, headers=admin
        )
        assert old.status_code == 201, old.text
        assert old.json()["division_code"] == old.json()["division"] == "350802"
        got = (await c.get(f"{KEYS}/{old.json()['id']}", headers=admin)).json()
        assert got["division_code"] == "350802"
        outside = await c.post(
            KEYS, json={"name": "x", "roles": ["bureau"], "division": "350803"}, headers=admin
        )
        assert outside.status_code == 201  # 350803 is within the admin's 350800
        both = {"name": "x", "roles": ["bureau"], "division_code": "350802", "division": "350802"}
        r = await c.post(KEYS, json=both, headers=admin)
        assert r.status_code == 422 and r.json()["code"] == "REQUEST_INVALID", r.text
        r = await c.post(KEYS, json={"name": "x", "roles": ["bureau"]}, headers=admin)
        assert r.status_code == 422 and r.json()["code"] == "REQUEST_INVALID", r.text


async def test_key_calls_carry_a_short_lived_minted_token(fault_stack: LiveStack, auth: Auth) -> None:
    admin = auth("admin", "350800", sub="admin-mint")
    async with httpx.AsyncClient(base_url=fault_stack.gateway, timeout=10) as c:
        key = await _issue(c, admin, roles=["portal", "bureau"], org="91350802MA2Y0000X1")
        seen = (await c.get("/api/evaluation/echo", headers={"X-API-Key": key["key"]})).json()["headers"]
        assert "x-api-key" not in seen
        token = seen["authorization"][0].removeprefix("Bearer ")
        claims = jwt.decode(token, TEST_SECRET, algorithms=["HS256"], issuer="jiuzhu")
        assert claims["sub"] == f"apikey:{key['key_id']}" and claims["roles"] == ["bureau", "portal"]
        assert claims["div"] == "350802" and claims["org"] == "91350802MA2Y0000X1"
        assert claims["exp"] - claims["iat"] == 300
        past = await c.post(
            KEYS,
            json={
                "name": "x",
                "roles": ["portal"],
                "division_code": "350802",
                "expires_at": "2020-01-01T00:00:00Z",
            },
            headers=admin,
        )
        assert past.status_code == 400 and past.json()["code"] == "API_KEY_EXPIRY_PAST"


async def test_anonymous_survey_answer_reaches_the_service(live_stack: LiveStack) -> None:
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=10) as c:
        r = await c.post("/api/evaluation/surveys/00000000-0000-0000-0000-000000000000/responses", json={})
        assert r.status_code != 401 and r.json()["code"] != "UNAUTHENTICATED", r.text
        r = await c.get("/api/evaluation/surveys/00000000-0000-0000-0000-000000000000")
        assert r.status_code == 401  # the rest of the survey API still needs a credential
