"""Hardening of inputs (issue "harden", part inputs), each through the gateway to the real services.

- identifiers are matched in full on ASCII: "640181100\\n" was read as its county, "640181\\n"
  stored a second compliance report and plan (jiuzhu_kit.ids);
- numbers are bounded at parsing: "1E+999999999" was a 500 (decimal.Overflow) (jiuzhu_kit.money);
- lone surrogates are refused and every problem renders (strictjson, errors.ProblemResponse);
- exported 测算表 cells are never formulas (jiuzhu_kit.cells);
- a contract deadline is fulfilled once, on a day between signing and today;
- an Idempotency-Key is scoped by the whole principal and the route (jiuzhu_kit.idempotency).
"""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest_asyncio
from openpyxl import load_workbook

from jiuzhu_devtools.testing import TEST_SECRET, LiveStack, announce_clock
from jiuzhu_kit.settings import KitSettings
from jiuzhu_procurement.contractor.uscc import make as make_uscc
from tests.fuzzing import is_problem, row_counts

Auth = Callable[..., dict[str, str]]
Clients = dict[str, httpx.AsyncClient]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def clients(live_stack: LiveStack) -> AsyncIterator[Clients]:
    """Every request of this file goes through the gateway (`/api/<service>/…`), as a client's would."""
    async with AsyncExitStack() as stack:
        yield {
            s: await stack.enter_async_context(
                httpx.AsyncClient(base_url=f"{live_stack.gateway}/api/{s}", timeout=30)
            )
            for s in ("staffing", "procurement", "evaluation")
        }


COUNTY = "440103"  # 广州市荔湾区
TOWNSHIP = "440103001"
LINGWU = "640181"


def variants(code: str) -> list[str]:
    """A code with a trailing LF or CRLF, in full-width and in Arabic-Indic digits."""
    return [
        code + "\n",
        code + "\r\n",
        code.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
        code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
    ]


def field_codes(r: httpx.Response) -> set[str]:
    return {e["code"] for e in r.json().get("errors") or []}


def assert_field_refused(r: httpx.Response, code: str, what: str) -> None:
    assert r.status_code == 422, f"{what}: {r.status_code} {r.text[:300]}"
    assert is_problem(r) and r.json()["code"] == "REQUEST_INVALID", f"{what}: {r.text[:300]}"
    assert code in field_codes(r), f"{what}: {field_codes(r)}"


STAFFING = {
    "on": "2019-06-01",
    "county": {"division_code": COUNTY, "townships": [{"name": "甲镇", "assisted_households": 301}]},
}


def report(division: str = COUNTY, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "year": 2019,
        "on": "2019-06-01",
        "county": {**STAFFING["county"], "division_code": division},
        "actual": [{"unit_name": "甲镇", "role": "caseworker", "people": 1}],
        "pay_level": "48000.00",
        "trainings_held": 1,
    }
    body.update(kw)
    return body


def plan(division: str = COUNTY, amount: str = "500000.00") -> dict[str, Any]:
    return {
        "division_code": division,
        "year": 2019,
        "title": "2019 年度购买社会救助服务计划",
        "budget_lines": [{"funding_source": "working_funds", "amount": amount, "scope": "社会救助经办服务"}],
    }


# ---- 3. identifiers -----------------------------------------------------------------------


async def test_a_township_cannot_read_its_county_through_a_mangled_code(clients: Clients, auth: Auth) -> None:
    st, ev = clients["staffing"], clients["evaluation"]
    saved = await st.post(
        "/scenarios",
        json={"division_code": COUNTY, "name": "荔湾", "inputs": STAFFING},
        headers=auth("bureau", COUNTY),
    )
    assert saved.status_code == 201, saved.text
    assert (
        await st.post("/compliance/reports", json=report(), headers=auth("bureau", COUNTY))
    ).status_code == 201
    township = auth(["bureau", "auditor"], TOWNSHIP)
    # The township's own code reads only the township: nothing of the county.
    own = await st.get("/scenarios", params={"division_code": TOWNSHIP}, headers=township)
    assert own.status_code == 200 and own.json()["items"] == []
    for bad in variants(TOWNSHIP):
        what = f"{bad!r}"
        r = await st.get("/scenarios", params={"division_code": bad}, headers=township)
        assert_field_refused(r, "DIVISION_CODE_INVALID", "scenarios " + what)
        r = await st.get("/compliance/summary", params={"division_code": bad, "year": 2019}, headers=township)
        assert_field_refused(r, "DIVISION_CODE_INVALID", "compliance summary " + what)
        r = await ev.get(
            "/surveys/results/by-contract-period", params={"division_code": bad}, headers=township
        )
        assert_field_refused(r, "DIVISION_CODE_INVALID", "survey results " + what)
    for bad in variants(COUNTY):
        r = await st.get(f"/compliance/reports/{quote(bad, safe='')}/2019", headers=auth("auditor", COUNTY))
        assert_field_refused(r, "DIVISION_CODE_INVALID", f"report path {bad!r}")


async def test_a_mangled_code_stores_no_second_report_or_plan(
    clients: Clients, auth: Auth, database_url: str
) -> None:
    st, pr = clients["staffing"], clients["procurement"]
    h = auth("bureau", COUNTY)
    assert (await st.post("/compliance/reports", json=report(), headers=h)).status_code == 201
    assert (await pr.post("/plans", json=plan(), headers=h)).status_code == 201
    for bad in variants(COUNTY):
        r = await st.post("/compliance/reports", json=report(bad), headers=h)
        assert_field_refused(r, "DIVISION_CODE_INVALID", f"report {bad!r}")
        r = await pr.post("/plans", json=plan(bad), headers=h)
        assert_field_refused(r, "DIVISION_CODE_INVALID", f"plan {bad!r}")
    s = await st.get(
        "/compliance/summary",
        params={"division_code": "440000", "year": 2019},
        headers=auth("auditor", "440000"),
    )
    assert [c["division_code"] for c in s.json()["counties"]] == [COUNTY]
    counts = await row_counts(database_url)
    assert counts["procurement.purchase_plan"] == 1 and counts["staffing.compliance_report"] == 1


async def test_years_periods_and_usccs_are_matched_in_full(clients: Clients, auth: Auth) -> None:
    st, pr, ev = clients["staffing"], clients["procurement"], clients["evaluation"]
    for bad in variants("2019"):
        r = await st.get(
            "/compliance/summary",
            params={"division_code": COUNTY, "year": bad},
            headers=auth("auditor", COUNTY),
        )
        assert_field_refused(r, "YEAR_INVALID", f"year {bad!r}")
        r = await pr.post("/plans", json={**plan(), "year": bad}, headers=auth("bureau", COUNTY))
        assert_field_refused(r, "YEAR_INVALID", f"plan year {bad!r}")
    cid = uuid.uuid4()
    for bad in ["2019-H1\n", "2019-H1\r\n", "２０１９-H1", "٢٠١٩-H1"]:
        r = await ev.get(
            "/consequences/payment-release",
            params={"contract_id": str(cid), "period": bad},
            headers=auth("finance", LINGWU),
        )
        assert_field_refused(r, "PERIOD_INVALID", f"period {bad!r}")
    uscc = make_uscc("91", LINGWU, "MA0000001")
    for bad in [
        uscc + "\n",
        uscc + "\r\n",
        uscc[:2] + uscc[2:8].translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")) + uscc[8:],
    ]:
        r = await ev.get(
            f"/consequences/contractor-history/{quote(bad, safe='')}", headers=auth("auditor", LINGWU)
        )
        assert_field_refused(r, "USCC_INVALID", f"uscc {bad!r}")
        r = await pr.post(
            f"/projects/{uuid.uuid4()}/bids",
            json={"uscc": bad, "price": "100.00"},
            headers=auth("contractor", LINGWU, org=uscc),
        )
        assert_field_refused(r, "USCC_INVALID", f"bid uscc {bad!r}")


def _raw_token(div: str, roles: list[str] | None = None) -> str:
    now = int(time.time())
    claims = {"sub": "raw", "roles": roles or ["auditor"], "div": div, "iat": now, "exp": now + 600}
    claims["iss"] = KitSettings(JWT_SECRET=TEST_SECRET, DATABASE_URL="").jwt_issuer
    return jwt.encode(claims, TEST_SECRET, algorithm="HS256")


async def test_a_token_jurisdiction_must_be_ascii_digits(clients: Clients) -> None:
    assert (
        await clients["staffing"].get("/scenarios", headers={"Authorization": f"Bearer {_raw_token(COUNTY)}"})
    ).status_code == 200
    for bad in variants(COUNTY):
        for name, c in clients.items():
            path = {
                "staffing": "/scenarios",
                "procurement": "/contracts/overdue-deadlines",
                "evaluation": "/rounds",
            }[name]
            r = await c.get(path, headers={"Authorization": f"Bearer {_raw_token(bad)}"})
            assert r.status_code == 401 and r.json()["code"] == "TOKEN_INVALID", (
                f"{name} {bad!r}: {r.text[:200]}"
            )


# ---- 4. numbers and lone surrogates --------------------------------------------------------

HUGE = [
    "1E+999999999",
    "-1E+999999999",
    "NaN",
    "Infinity",
    "1e-999999999",
    "9" * 400,
]


def _contract_body(amount: str) -> dict[str, Any]:
    return {
        "subject": "社会救助入户核查员服务",
        "service_standards": "专职专责",
        "quantity": "13 名",
        "term_start": "2019-01-01",
        "term_end": "2019-12-31",
        "payment_method": "按半年",
        "payment_schedule": [{"period": "2019-H1", "amount": amount, "due_on": "2019-06-28"}],
        "breach_liability": "按合同约定",
        "dispute_resolution": "诉讼",
        "takeover_plan": "不能履约时由民政局临时接管并重新采购",
    }


async def test_every_money_and_number_field_is_bounded(clients: Clients, auth: Auth) -> None:
    st, pr, ev = clients["staffing"], clients["procurement"], clients["evaluation"]
    uscc = make_uscc("91", LINGWU, "MA0000002")
    some = str(uuid.uuid4())
    for v in HUGE:
        cases: list[tuple[str, httpx.AsyncClient, str, dict[str, Any], dict[str, str], str]] = [
            ("plan budget line", pr, "/plans", plan(amount=v), auth("bureau", COUNTY), "MONEY_INVALID"),
            (
                "project budget",
                pr,
                "/projects",
                {
                    "plan_id": some,
                    "division_code": LINGWU,
                    "title": "购买服务",
                    "items": ["AS01"],
                    "budget": v,
                    "funding_source": "working_funds",
                },
                auth("bureau", LINGWU),
                "MONEY_INVALID",
            ),
            (
                "bid price",
                pr,
                f"/projects/{some}/bids",
                {"uscc": uscc, "price": v},
                auth("contractor", LINGWU, org=uscc),
                "MONEY_INVALID",
            ),
            (
                "payment schedule",
                pr,
                f"/projects/{some}/contract",
                _contract_body(v),
                auth("bureau", LINGWU),
                "MONEY_INVALID",
            ),
            (
                "pay_level",
                st,
                "/compliance/reports",
                report(pay_level=v),
                auth("bureau", COUNTY),
                "MONEY_INVALID",
            ),
            (
                "staff assessment values",
                ev,
                "/staff-assessments",
                {
                    "contract_id": some,
                    "staff_ref": "s1",
                    "division_code": LINGWU,
                    "year": 2019,
                    "values": {"attendance": v},
                    "evidence": [{"kind": "record", "title": "考勤"}],
                },
                auth("bureau", LINGWU),
                "NUMBER_OUT_OF_RANGE" if v not in ("NaN", "Infinity") else "NUMBER_INVALID",
            ),
        ]
        for name, c, path, body, headers, code in cases:
            r = await c.post(path, json=body, headers=headers)
            assert_field_refused(r, code, f"{name} {v!r}")
    # Legitimate amounts still pass.
    assert (
        await pr.post("/plans", json=plan(amount="1,000.50"), headers=auth("bureau", COUNTY))
    ).status_code == 201


async def test_lone_surrogates_are_refused_and_every_problem_renders(clients: Clients, auth: Auth) -> None:
    pr, st = clients["procurement"], clients["staffing"]
    h = auth("bureau", LINGWU)
    body = (
        b'{"plan_id": "' + str(uuid.uuid4()).encode() + b'", "division_code": "640181", "title": "x",'
        b' "items": ["\\ud800"], "budget": "100.00", "funding_source": "working_funds"}'
    )
    json_h = {**h, "Content-Type": "application/json"}
    r = await pr.post("/projects", content=body, headers=json_h)
    assert r.status_code == 422 and r.json()["code"] == "UNPAIRED_SURROGATE", r.text[:300]
    r = await pr.post("/projects", content=b'{"\\udc00": 1}', headers=json_h)  # a key
    assert r.status_code == 422 and r.json()["code"] == "UNPAIRED_SURROGATE", r.text[:300]
    # A query parameter and a path: percent-encoded surrogates (CESU-8) and the character itself.
    for q in ["%ED%A0%80", "440103%ED%A0%80"]:
        r = await st.get(f"/scenarios?division_code={q}", headers=auth("bureau", COUNTY))
        assert 400 <= r.status_code < 500 and is_problem(r), f"query {q}: {r.status_code} {r.text[:200]}"
    for p in ["/contractors/%ED%A0%80", "/contracts/%ED%B0%80", "/plans/%ED%A0%80/events"]:
        r = await pr.get(p, headers=h)
        assert 400 <= r.status_code < 500 and is_problem(r), f"path {p}: {r.status_code} {r.text[:200]}"


def test_a_problem_with_a_lone_surrogate_renders() -> None:
    """The renderer itself: a refusal quoting a lone surrogate still renders as UTF-8."""
    from jiuzhu_kit.errors import ProblemResponse

    out = ProblemResponse({"code": "X", "detail": "未知代码 \ud800", "errors": [{"pointer": "#/\udc00"}]})
    assert "\ufffd".encode() in out.body and out.media_type == "application/problem+json"


# ---- 8. formula injection -----------------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://evil.example","点我")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


async def test_exported_tables_never_carry_a_formula(clients: Clients, auth: Auth) -> None:
    st = clients["staffing"]
    body = {
        "on": "2019-06-01",
        "county": {
            "division_code": COUNTY,
            "name": "=1+1",
            "townships": [{"name": n, "assisted_households": 301} for n in HOSTILE],
        },
    }
    h = auth("bureau", COUNTY)
    r = await st.post("/tables/township", params={"format": "xlsx"}, json=body, headers=h)
    assert r.status_code == 200, r.text[:300]
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for name in HOSTILE:
        # openpyxl writes and reads through lxml here (a dev dependency), which keeps a CR as &#13;
        assert name in cells, f"{name!r} not in the sheet"
        assert cells[name].data_type != "f", f"{name!r} written as a formula"
    # Our own totals stay live formulas; counts stay numbers.
    assert any(c.data_type == "f" and str(c.value).startswith("=SUM(") for c in cells.values())
    assert any(isinstance(c.value, int) for row in ws.iter_rows() for c in row)
    r = await st.post("/tables/township", params={"format": "csv"}, json=body, headers=h)
    assert r.status_code == 200, r.text[:300]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    flat = [cell for row in rows for cell in row]
    for name in HOSTILE:
        assert "'" + name in flat, f"{name!r} not neutralised in CSV"
    assert not [c for c in flat if c[:1] in ("=", "+", "@", "\t", "\r")], "a live formula cell in CSV"
    assert not [c for c in flat if c.startswith("-") and not c.lstrip("-").isdigit()]
    r = await st.post(
        "/tables/county",
        params={"format": "csv"},
        json={"on": "2019-06-01", "counties": [body["county"]]},
        headers=h,
    )
    assert r.status_code == 200, r.text[:300]
    assert "=1+1" not in [c for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) for c in row]


# ---- 11. contract deadlines ---------------------------------------------------------------


async def _signed_contract(pr: httpx.AsyncClient, auth: Auth) -> dict[str, Any]:
    """Plan → project → single source → award → contract signed, through the API."""
    bureau, finance = auth("bureau", LINGWU), auth("finance", LINGWU)
    company = make_uscc("91", LINGWU, "MA0000003")
    reg = {
        "uscc": company,
        "name": "某劳务公司",
        "legal_representative": "张三",
        "capacities": {
            "facilities": "办公场所 200 平方米",
            "staff_count": 20,
            "skills": ["社会工作"],
            "finance_system": True,
            "governance": True,
            "independent_liability": True,
        },
    }
    r = await pr.post("/contractors", json=reg, headers=auth("contractor", LINGWU, org=company))
    assert r.status_code == 201, r.text

    async def tr(kind: str, eid: str, to: str, h: dict[str, str], data: dict[str, Any] | None = None) -> None:
        r = await pr.post(
            f"/{kind}/{eid}/transitions", json={"to": to, **({"data": data} if data else {})}, headers=h
        )
        assert r.status_code == 200, r.text

    pl = await pr.post("/plans", json={**plan(LINGWU), "year": 2018}, headers=bureau)
    assert pl.status_code == 201, pl.text
    await tr("plans", pl.json()["id"], "submitted", bureau)
    await tr("plans", pl.json()["id"], "approved", finance)
    pj = await pr.post(
        "/projects",
        json={
            "plan_id": pl.json()["id"],
            "division_code": LINGWU,
            "title": "购买入户核查服务",
            "purchase_form": "labour_dispatch",
            "items": ["AS09"],
            "budget": "100000.00",
            "funding_source": "working_funds",
            "declared_on": "2018-09-03",
        },
        headers=bureau,
    )
    assert pj.status_code == 201, pj.text
    pid = pj.json()["id"]
    await tr("projects", pid, "approved", finance)
    await tr(
        "projects",
        pid,
        "announced",
        {**bureau, "X-Jiuzhu-Clock": announce_clock()},  # the publicity has run when bidding closes
        {"method": "single_source", "ground": "only_one_supplier", "publicity_working_days": 5},
    )
    bid = await pr.post(
        f"/projects/{pid}/bids",
        json={"uscc": company, "price": "100000.00"},
        headers=auth("contractor", LINGWU, org=company),
    )
    assert bid.status_code == 201, bid.text
    await tr("projects", pid, "bidding_closed", bureau)
    await tr("projects", pid, "qualification_review", bureau)
    r = await pr.post(
        f"/projects/{pid}/bids/{bid.json()['id']}/qualification", json={"qualified": True}, headers=bureau
    )
    assert r.status_code == 200, r.text
    await tr("projects", pid, "scoring", bureau)
    r = await pr.post(
        f"/projects/{pid}/scoring",
        json={
            "members": [{"id": "m1", "expert": True}],
            "scores": [{"bid_id": bid.json()["id"], "member_id": "m1", "score": "65"}],
        },
        headers=bureau,
    )
    assert r.status_code == 200, r.text
    await tr("projects", pid, "awarded", bureau)
    body = {
        **_contract_body("100000.00"),
        "deadlines": [{"key": "staff_dispatched", "name": "完成人员派遣", "working_days": 15}],
    }
    c = await pr.post(f"/projects/{pid}/contract", json=body, headers=bureau)
    assert c.status_code == 201, c.text
    await tr("projects", pid, "contract_signed", bureau)
    got = await pr.get(f"/contracts/{c.json()['id']}", headers=bureau)
    assert got.json()["status"] == "signed", got.text
    return dict(got.json())


async def test_a_deadline_is_fulfilled_once_on_a_real_day(clients: Clients, auth: Auth) -> None:
    pr = clients["procurement"]
    c = await _signed_contract(pr, auth)
    url = f"/contracts/{c['id']}/deadlines/staff_dispatched/fulfil"
    bureau = auth("bureau", LINGWU)
    signed = date.fromisoformat(c["signed_on"])
    for on in ["9999-12-31", (signed - timedelta(days=1)).isoformat(), "2020-02-29"]:
        r = await pr.post(url, json={"on": on}, headers=bureau)
        assert r.status_code == 422 and r.json()["code"] == "FULFILLED_DATE_INVALID", f"{on}: {r.text[:300]}"
    r = await pr.post(url, json={"on": signed.isoformat()}, headers=bureau)
    assert r.status_code == 200, r.text
    assert r.json()["deadlines"][0]["fulfilled_on"] == signed.isoformat()
    for on in [signed.isoformat(), "9999-12-31"]:
        r = await pr.post(url, json={"on": on}, headers=bureau)
        assert r.status_code == 409 and r.json()["code"] == "DEADLINE_ALREADY_FULFILLED", r.text[:300]
    events = (await pr.get(f"/contracts/{c['id']}/events", headers=auth("auditor", LINGWU))).json()
    assert [e["action"] for e in events].count("contract.deadline_fulfilled") == 1


# ---- 12. idempotency scope ----------------------------------------------------------------


async def test_an_idempotency_key_is_scoped_by_principal_and_route(clients: Clients, auth: Auth) -> None:
    st = clients["staffing"]
    key = {"Idempotency-Key": "same-key-1"}
    body = {"division_code": COUNTY, "name": "荔湾", "inputs": STAFFING}
    first = await st.post("/scenarios", json=body, headers={**auth("bureau", COUNTY, sub="u1"), **key})
    assert first.status_code == 201, first.text
    again = await st.post("/scenarios", json=body, headers={**auth("bureau", COUNTY, sub="u1"), **key})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    # Same sub, another county: never the stored response; refused by jurisdiction.
    other = await st.post("/scenarios", json=body, headers={**auth("bureau", "440104", sub="u1"), **key})
    assert other.status_code == 403 and other.json()["code"] == "JURISDICTION_FORBIDDEN", other.text[:300]
    assert "Idempotent-Replayed" not in other.headers
    # Same sub and county, other roles: executed as a new request.
    roles = await st.post(
        "/scenarios", json=body, headers={**auth(["bureau", "auditor"], COUNTY, sub="u1"), **key}
    )
    assert roles.status_code == 201 and roles.json()["id"] != first.json()["id"]
    # Same key on another route: not replayed, executed there.
    rep = await st.post(
        "/compliance/reports", json=report(), headers={**auth("bureau", COUNTY, sub="u1"), **key}
    )
    assert (
        rep.status_code == 201
        and "Idempotent-Replayed" not in rep.headers
        and "pack_version" not in rep.json()
    )
    # Another body on the same route is still refused.
    changed = await st.post(
        "/scenarios", json={**body, "name": "别的"}, headers={**auth("bureau", COUNTY, sub="u1"), **key}
    )
    assert changed.status_code == 422 and changed.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
