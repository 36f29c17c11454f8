from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import httpx
import pytest

from jiuzhu_devtools.testing import test_today
from jiuzhu_procurement.contractor import uscc

from .conftest import LINGWU, Kit, code


@pytest.mark.parametrize(
    "value",
    ["91350100M000100Y43", "91110000100006485K", code(1, "52"), code(2, "N2"), code(3, "Y1"), code(4, "A1")],
)
def test_valid_codes_including_a_n_y_authorities(value: str) -> None:
    assert uscc.parse(value).code == value


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("91350100M000100Y44", "校验码"),
        ("91350100M000100Y4", "18 位"),
        ("91350100M000100YI3", "不允许的字符"),
        ("01350100M000100Y43", "登记管理部门"),
        ("94350100M000100Y43", "机构类别"),
    ],
)
def test_invalid_codes_are_refused_with_the_reason(value: str, why: str) -> None:
    with pytest.raises(uscc.InvalidUscc, match=why):
        uscc.parse(value)


def test_check_weights_are_powers_of_three_mod_31() -> None:
    assert uscc.WEIGHTS[:6] == [1, 3, 9, 27, 19, 26] and uscc.WEIGHTS[-1] == 28


async def test_register_derives_entity_type_and_masks_personal_data(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    c = await kit.contractor(1, prefix="52")
    own = (await client.get(f"/contractors/{c}", headers=auth("contractor", LINGWU, org=c))).json()
    assert own["entity_type"] == "social_organization" and own["registration_kind"] == "民政/民办非企业单位"
    assert own["legal_representative"] == "张三丰"
    other = (await client.get(f"/contractors/{c}", headers=auth("contractor", LINGWU, org=code(9)))).json()
    assert other["legal_representative"] == "张**" and other["contact_phone"] == "138****5678"
    ev = (await client.get(f"/contractors/{c}/events/verify", headers=auth("auditor", LINGWU))).json()
    assert ev["ok"] and ev["events"] == 1


async def test_who_may_contract(client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]) -> None:
    base = {
        "name": "x",
        "legal_representative": "李四",
        "capacities": {
            "facilities": "f",
            "staff_count": 1,
            "finance_system": True,
            "governance": True,
            "independent_liability": True,
        },
    }

    async def reg(value: str, **extra: object) -> httpx.Response:
        return await client.post(
            "/contractors", json={**base, "uscc": value, **extra}, headers=auth("bureau", LINGWU)
        )

    r = await reg(code(10, "11"))  # a government organ
    assert r.status_code == 409 and r.json()["code"] == "CONTRACTOR_NOT_ELIGIBLE"
    r = await reg(code(11, "12"))  # public institution without its class
    assert r.status_code == 409
    r = await reg(code(12, "12"), public_institution_class="class1")
    assert r.status_code == 409 and "公益一类" in r.json()["detail"]
    r = await reg(code(13, "12"), public_institution_class="class2")
    assert r.status_code == 201 and r.json()["entity_type"] == "public_institution_class2"
    r = await reg(code(14, "N2"))  # a valid N code, but a collective economic organisation
    assert r.status_code == 409
    r = await reg("91350100M000100Y44")
    assert r.status_code == 422 and r.json()["code"] == "USCC_INVALID"
    r = await reg(code(13, "12"), public_institution_class="class2")
    assert r.status_code == 409 and r.json()["code"] == "CONTRACTOR_EXISTS"
    # A contractor may register only itself.
    other = code(15)
    r = await client.post(
        "/contractors", json={**base, "uscc": other}, headers=auth("contractor", LINGWU, org=code(16))
    )
    assert r.status_code == 403


async def test_debarment_due_process_and_effect(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    c = await kit.contractor(20, name="某派遣公司")
    r = await client.post(
        f"/contractors/{c}/debarments",
        json={"grounds": "虚报派遣人数，情节严重"},
        headers=auth("bureau", LINGWU),
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["status"] == "reported" and date.fromisoformat(case["response_due_on"]) > test_today()
    # No decision while the response period runs and no answer was given.
    r = await kit.tr(
        "debarments",
        case["id"],
        "debarred",
        "finance",
        LINGWU,
        {"term_years": 3},
        reason="严重违约",
        expect=409,
    )
    assert r.json()["code"] == "RESPONSE_PERIOD_OPEN"
    # Only the contractor concerned responds; a bureau cannot.
    await kit.tr("debarments", case["id"], "responded", "bureau", LINGWU, {"response": "x"}, expect=403)
    await kit.tr(
        "debarments", case["id"], "responded", "contractor", "350802", {"response": "人数已补足"}, org=c
    )
    # A term outside the band of the rules in force (1–3 years, 政府采购法 77) is refused with its
    # clause; one beyond any sane bound is malformed; a decision needs a reason; only finance decides.
    r = await kit.tr(
        "debarments", case["id"], "debarred", "finance", LINGWU, {"term_years": 4}, reason="r", expect=409
    )
    assert r.json()["code"] == "DEBARMENT_TERM_OUT_OF_BAND" and "政府采购法 第七十七条" in r.json()["detail"]
    await kit.tr(
        "debarments", case["id"], "debarred", "finance", LINGWU, {"term_years": 11}, reason="r", expect=422
    )
    await kit.tr("debarments", case["id"], "debarred", "finance", LINGWU, {"term_years": 3}, expect=400)
    await kit.tr(
        "debarments", case["id"], "debarred", "bureau", LINGWU, {"term_years": 3}, reason="r", expect=403
    )
    r = await kit.tr(
        "debarments", case["id"], "debarred", "finance", LINGWU, {"term_years": 3}, reason="严重违约"
    )
    d = r.json()
    start = date.fromisoformat(d["effective_from"])
    assert d["effective_until"] == (start.replace(year=start.year + 3) - timedelta(days=1)).isoformat()
    # Nationwide: listed publicly and visible to a bureau in another province.
    got = (await client.get(f"/contractors/{c}", headers=auth("bureau", "350802"))).json()
    assert got["debarred"] is True
    # A closed case cannot be reopened: not in the table.
    r = await kit.tr(
        "debarments", case["id"], "responded", "contractor", LINGWU, {"response": "x"}, expect=409, org=c
    )
    assert r.json()["code"] == "TRANSITION_NOT_ALLOWED"


async def test_debarment_expires_by_date(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], kit: Kit
) -> None:
    c = await kit.contractor(21)
    case = (
        await client.post(
            f"/contractors/{c}/debarments", json={"grounds": "严重违约行为"}, headers=auth("finance", LINGWU)
        )
    ).json()
    # Jump past the response period, then decide with a term that started three years ago.
    await kit.jump("debarment", case["id"], response_due_on=date(2020, 1, 1))
    start = test_today().replace(year=test_today().year - 3)
    await kit.tr(
        "debarments",
        case["id"],
        "debarred",
        "finance",
        LINGWU,
        {"term_years": 3, "effective_from": start.isoformat()},
        reason="逾期未申辩",
    )
    got = (await client.get(f"/contractors/{c}", headers=auth("bureau", LINGWU))).json()
    assert got["debarred"] is False  # expired yesterday: no job needed


async def test_fujian_fixes_the_term_of_a_serious_case(client: httpx.AsyncClient, kit: Kit) -> None:
    """Seed 001 一(七): in Fujian a contractor in a serious case is barred for 3 years; elsewhere the
    finance department chooses within 政府采购法 77's 1–3 years."""
    terms = {}
    for div, n in (("350881", 31), (LINGWU, 32)):  # 漳平市 (Fujian), 灵武市 (Ningxia)
        c = await kit.contractor(n)
        r = await client.post(
            f"/contractors/{c}/debarments",
            json={"grounds": "擅自转包，造成恶劣社会影响"},
            headers=kit.auth("bureau", div),
        )
        assert r.status_code == 201, r.text
        case = r.json()["id"]
        await kit.tr("debarments", case, "responded", "contractor", div, {"response": "无异议"}, org=c)
        two = {"term_years": 2, "serious": True}
        if div == LINGWU:
            r = await kit.tr("debarments", case, "debarred", "finance", div, two, reason="情节严重")
        else:
            r = await kit.tr(
                "debarments", case, "debarred", "finance", div, two, reason="情节严重", expect=409
            )
            assert (
                r.json()["code"] == "DEBARMENT_TERM_FIXED"
                and "闽民保〔2018〕58号 一(七)" in r.json()["detail"]
            )
            r = await kit.tr(
                "debarments", case, "debarred", "finance", div, {**two, "term_years": 3}, reason="情节严重"
            )
        terms[div] = r.json()["term_years"]
    assert terms == {"350881": 3, LINGWU: 2}
