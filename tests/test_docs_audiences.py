"""The merged contract (what the gateway's /docs shows) groups operations by audience (issue 17):
public, bureau, contractor, finance, integration — and the grouping agrees with the reviewed
authorization policy (tests/fuzzing/authz_policy.toml): an operation open to a role is listed for
that role's audience, a public one under `public`, and nothing is left ungrouped."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from jiuzhu_devtools.openapi import merged_contract
from jiuzhu_kit.contract import AUDIENCES, ROLE_AUDIENCE

METHODS = {"get", "put", "post", "delete", "patch"}
POLICY = tomllib.loads((Path(__file__).parent / "fuzzing" / "authz_policy.toml").read_text(encoding="utf-8"))


@cache
def _doc() -> dict[str, Any]:
    return merged_contract()


def _merged_path(service: str, path: str) -> str:
    if path.startswith("/public/"):
        return f"/api/public/{service}{path[len('/public') :]}"
    return f"/api/{service}{path}"


def _ops() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (m.upper(), path): op
        for path, item in _doc()["paths"].items()
        for m, op in item.items()
        if m in METHODS
    }


def test_docs_tags_are_the_five_audiences_in_order() -> None:
    doc = _doc()
    assert (
        [t["name"] for t in doc["tags"]]
        == list(AUDIENCES)
        == [
            "public",
            "bureau",
            "contractor",
            "finance",
            "integration",
        ]
    )
    assert all(t["description"] for t in doc["tags"])
    for (method, path), op in _ops().items():
        assert op["tags"], f"{method} {path}: in no group"
        assert set(op["tags"]) <= set(AUDIENCES), f"{method} {path}: {op['tags']}"


def test_the_audiences_follow_the_authorization_policy() -> None:
    ops = _ops()
    checked = 0
    for service, entries in POLICY.items():
        for key, rule in entries.items():
            method, path = key.split(" ", 1)
            op = ops.get((method, _merged_path(service, path)))
            if op is None:  # operations kept out of the merged contract (docs pages)
                continue
            tags = set(op["tags"])
            access = rule["access"]
            if access == "public":
                assert "public" in tags, f"{service} {key}: public but tagged {tags}"
            elif isinstance(access, list):
                wanted = {ROLE_AUDIENCE[r] for r in access if r in ROLE_AUDIENCE}
                assert wanted <= tags, f"{service} {key}: roles {access} but tagged {tags}"
                assert "public" not in tags, f"{service} {key}: needs a role, tagged public"
            else:  # any token: the service decides; never public
                assert "public" not in tags and tags, f"{service} {key}: tagged {tags}"
            checked += 1
    assert checked > 200


def test_portal_and_front_end_routes_land_in_their_groups() -> None:
    ops = _ops()
    for path in (
        "/api/public/procurement/announcements",
        "/api/public/procurement/catalogue",
        "/api/public/procurement/who-serves/{division_code}",
        "/api/public/evaluation/results",
    ):
        assert ops[("GET", path)]["tags"] == ["public"], path
    assert "contractor" in ops[("POST", "/api/procurement/projects/{project_id}/bids")]["tags"]
    assert ops[("POST", "/api/procurement/projects/{project_id}/bids")]["tags"] == ["contractor"]
    assert (
        "finance"
        in ops[("POST", "/api/procurement/contracts/{contract_id}/payments/{period}/release")]["tags"]
    )
    assert "integration" in ops[("GET", "/api/procurement/changes")]["tags"]
    assert "integration" in ops[("POST", "/api/evaluation/surveys/{survey_id}/responses/bulk")]["tags"]
    assert ops[("POST", "/api/gateway/api-keys")]["tags"] == ["integration"]
    assert "bureau" in ops[("POST", "/api/procurement/projects")]["tags"]
