"""The built-in templates and the grade bands are rules (rulebook/data/cn-evaluation.pack.yaml):
dated, cited, published at GET /rules…, and read by date where the service chooses them.

The seeds give no band figures (only 合格以上 / 不合格), so the pack marks them unverified and no
seed changes them by date; the switch is shown with a test pack that adds a dated value.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import create_async_engine

from jiuzhu_devtools.testing import TEST_SECRET, service_client
from jiuzhu_evaluation.app import create
from jiuzhu_evaluation.rulebook.book import SPEC, file_sources
from jiuzhu_evaluation.settings import Settings
from jiuzhu_evaluation.staff.models import StaffAssessment
from jiuzhu_evaluation.template.builtin import builtin_id, rows
from jiuzhu_evaluation.template.models import IndicatorTemplate
from jiuzhu_kit.rules.book import RuleBook
from jiuzhu_kit.rules.loader import load_from
from jiuzhu_kit.rules.parse import PackError
from jiuzhu_kit.settings import to_async_url

from .conftest import LINGWU

Auth = Callable[..., dict[str, str]]
SWITCH = "2030-01-01"
NEW_BANDS = [
    {"code": "excellent", "label": "优秀", "min_score": "85", "passed": True},
    {"code": "good", "label": "良好", "min_score": "75", "passed": True},
    {"code": "qualified", "label": "合格", "min_score": "60", "passed": True},
    {"code": "unqualified", "label": "不合格", "min_score": "0", "passed": False},
]
TEST_CITE = {"document": "seed 000", "clause": "四(三)（测试用的假设分档）"}
# A staff sheet worth 88.00 on staff-annual's weights: 良好 by the bands in force, 优秀 from 85.
SHEET_88 = {"ethics": "5", "absences": "0", "cases_handled": "60", "accuracy": "95", "daily_performance": "5"}


def _file_pack() -> dict[str, Any]:
    [(_, raw)] = [s for s in file_sources() if s[1]["id"] == "cn-evaluation"]
    return copy.deepcopy(raw)


def _templates(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    last = raw["parameters"]["indicator_templates"]["values"][-1]["value"]
    return {t["code"]: t for t in last}


def _pack_2030() -> dict[str, Any]:
    """cn-evaluation version 2: from 2030 new bands, and with them a new default staff template
    (a template graded by the rule's bands gets a new version when the bands change)."""
    raw = _file_pack()
    raw["version"] = 2
    params = raw["parameters"]
    params["grade_bands"]["values"].append(
        {"from": SWITCH, "value": NEW_BANDS, "citation": TEST_CITE, "verified": False}
    )
    staff = copy.deepcopy(_templates(raw)["staff-annual"])
    staff.update(code="staff-annual-2030", version=1)
    params["indicator_templates"]["values"].append(
        {"from": SWITCH, "value": [staff], "citation": TEST_CITE, "verified": False}
    )
    return raw


def _body(code: str) -> dict[str, Any]:
    ind = {"key": "q1", "name": "q1", "type": "likert", "weight": "100", "config": {"points": 5}}
    return {
        "code": code,
        "name": "测试",
        "dimensions": [{"key": "q", "name": "质量", "weight": "100", "indicators": [ind]}],
    }


async def test_the_templates_and_bands_are_published_with_their_citations(client: httpx.AsyncClient) -> None:
    pack = (await client.get("/rules/cn-evaluation")).json()  # no token: the rules are public
    bands = pack["parameters"]["grade_bands"]
    assert bands["unit"] == "grade_bands" and [v["from"] for v in bands["values"]] == [
        "2017-01-01",
        "2020-02-25",
    ]
    first = bands["values"][0]
    assert first["value"][0] == {"code": "excellent", "label": "优秀", "min_score": "90.00", "passed": True}
    assert [b["min_score"] for b in first["value"]] == ["90.00", "80.00", "60.00", "0.00"]
    # The seeds give no figures: unverified, and the note says so.
    assert first["citation"]["text"] == "seed 000 四(三)" and first["verified"] is False
    assert bands["values"][1]["citation"]["document"] == "财预〔2020〕10号"

    tpl = pack["parameters"]["indicator_templates"]
    assert [[t["code"] for t in v["value"]] for v in tpl["values"]] == [
        ["social-assistance-comprehensive", "staff-annual"],
        ["social-assistance-comprehensive", "finance-project", "staff-annual"],  # from 财预〔2020〕10号
    ]
    assert all(v["verified"] is False for v in tpl["values"])  # weights: this product's defaults
    comprehensive = tpl["values"][0]["value"][0]
    assert comprehensive["default"] is True and comprehensive["grade_bands"] is None  # the rule's
    assert [c["text"] for c in comprehensive["citations"]] == [
        "seed 000 四(四)",
        "闽民保〔2018〕58号 一(六)",
        "seed 003 三(五)4",
        "灵政办发〔2018〕201号 六(二)",
    ]
    assert comprehensive["dimensions"][3]["weight"] == "30.00"
    docs = {d["key"]: d for d in (await client.get("/rules/documents")).json()}
    assert docs["财预〔2020〕10号"]["title"] == "财政部关于印发《项目支出绩效评价管理办法》的通知"

    in_force = (
        await client.get("/rules/in-force", params={"division_code": LINGWU, "on": "2019-06-01"})
    ).json()
    rules = {r["name"]: r for r in in_force["rules"]}
    assert [t["code"] for t in rules["indicator_templates"]["value"]] == [
        "social-assistance-comprehensive",
        "staff-annual",
    ]
    assert rules["grade_bands"]["valid_to"] == "2020-02-24" and rules["grade_bands"]["verified"] is False


async def test_the_builtin_rows_are_the_packs_templates(client: httpx.AsyncClient, auth: Auth) -> None:
    pack = (await client.get("/rules/cn-evaluation")).json()
    bands = pack["parameters"]["grade_bands"]["values"][-1]["value"]
    for t in pack["parameters"]["indicator_templates"]["values"][-1]["value"]:
        row = (
            await client.get(
                f"/templates/{builtin_id(t['code'], t['version'])}", headers=auth("auditor", LINGWU)
            )
        ).json()
        assert row["builtin"] and row["version"] == t["version"] and row["name"] == t["name"]
        assert row["citation"] == "; ".join(c["text"] for c in t["citations"])
        assert row["grade_bands"] == bands
        assert [(d["key"], d["weight"]) for d in row["dimensions"]] == [
            (d["key"], d["weight"]) for d in t["dimensions"]
        ]
        assert [i["config"] for d in row["dimensions"] for i in d["indicators"]] == [
            i["config"] for d in t["dimensions"] for i in d["indicators"]
        ]


@pytest_asyncio.fixture(loop_scope="session")
async def client_2030(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The service on the file packs plus cn-evaluation@2 (what a new pack version would ship)."""
    app = create(Settings(DATABASE_URL=database_url, JWT_SECRET=TEST_SECRET, JIUZHU_ENVIRONMENT="test"))
    app.state.rules = RuleBook(
        load_from([*file_sources(), ("cn-evaluation.v2.pack.yaml", _pack_2030())], SPEC)
    )
    async with service_client(app) as c:
        yield c


async def test_a_dated_value_switches_the_bands_and_the_default_staff_template(
    client_2030: httpx.AsyncClient, database_url: str, auth: Auth
) -> None:
    c = client_2030

    async def bands_on(day: str) -> dict[str, Any]:
        r = await c.get("/rules/in-force", params={"division_code": LINGWU, "on": day})
        return {x["name"]: x for x in r.json()["rules"]}["grade_bands"]  # type: ignore[no-any-return]

    before, after = await bands_on("2029-12-31"), await bands_on(SWITCH)
    assert before["value"][0]["min_score"] == "90.00" and after["value"][0]["min_score"] == "85.00"
    assert (
        after["citation"]["text"] == "seed 000 四(三)（测试用的假设分档）" and after["valid_from"] == SWITCH
    )

    # A new template without bands of its own takes the bands in force that day.
    for instant, top in (("2029-12-31T23:00:00+08:00", "90.00"), ("2030-01-01T08:00:00+08:00", "85.00")):
        headers = {**auth("bureau", LINGWU), "X-Jiuzhu-Clock": instant}
        r = await c.post("/templates", json=_body(f"t-{uuid.uuid4().hex[:8]}"), headers=headers)
        assert r.status_code == 201, r.text
        assert r.json()["grade_bands"][0]["min_score"] == top

    # An annual assessment that names no template takes the one the rules name for its year.
    contract = str(uuid.uuid4())

    async def assess(year: int) -> httpx.Response:
        body = {
            "contract_id": contract,
            "staff_ref": "verifier-01",
            "division_code": "640181001",
            "year": year,
            "values": SHEET_88,
            "evidence": [{"kind": "record", "title": "年度考核表"}],
        }
        return await c.post("/staff-assessments", json=body, headers=auth("bureau", LINGWU))

    r = await assess(2029)
    assert r.status_code == 201, r.text
    assert (r.json()["template_code"], r.json()["total"], r.json()["grade"]) == (
        "staff-annual",
        "88.00",
        "良好",
    )
    missing = await assess(2030)  # the rules name a template no migration has put in the table yet
    assert missing.status_code == 409 and missing.json()["code"] == "BUILTIN_TEMPLATE_NOT_SEEDED"

    engine = create_async_engine(to_async_url(database_url))
    new_id = builtin_id("staff-annual-2030")
    try:
        async with engine.begin() as conn:  # what a migration does: the rows from the pack
            seeded = rows([("staff-annual-2030", 1)], [("v2.pack.yaml", _pack_2030())])
            await conn.execute(insert(IndicatorTemplate.__table__), seeded)
        r = await assess(2030)
        assert r.status_code == 201, r.text
        # Same sheet, same weights, the 2030 bands: 88.00 is 优秀 now.
        assert (r.json()["template_code"], r.json()["total"], r.json()["grade"]) == (
            "staff-annual-2030",
            "88.00",
            "优秀",
        )
    finally:
        async with engine.begin() as conn:  # reference rows outlive the per-test cleaning
            await conn.execute(delete(StaffAssessment).where(StaffAssessment.template_id == new_id))
            await conn.execute(delete(IndicatorTemplate).where(IndicatorTemplate.id == new_id))
        await engine.dispose()


def test_new_bands_need_new_template_versions() -> None:
    raw = _file_pack()
    raw["parameters"]["grade_bands"]["values"].append(
        {"from": SWITCH, "value": NEW_BANDS, "citation": TEST_CITE, "verified": False}
    )
    with pytest.raises(PackError) as exc:
        load_from([("changed.pack.yaml", raw)], SPEC)
    assert "grade_bands 于 2030-01-01 变更" in str(exc.value) and "请自 2030-01-01 起发布模板新版本" in str(
        exc.value
    )
    # Re-using a (code, version) with other content is refused too: versions are immutable.
    raw = _file_pack()
    staff = copy.deepcopy(_templates(raw)["staff-annual"])
    staff["name"] = "改过的名称"
    raw["parameters"]["indicator_templates"]["values"].append(
        {"from": SWITCH, "value": [staff], "citation": TEST_CITE, "verified": False}
    )
    with pytest.raises(PackError) as exc:
        load_from([("reused.pack.yaml", raw)], SPEC)
    assert "模板 staff-annual 第 1 版在 2017-01-01 与 2030-01-01 起的取值中内容不同" in str(exc.value)


def test_template_entries_are_validated_like_submitted_templates() -> None:
    raw = _file_pack()
    t = _templates(raw)
    comprehensive, staff = t["social-assistance-comprehensive"], t["staff-annual"]
    comprehensive["dimensions"][0]["weight"] = "29.99"  # the dimensions sum to 99.99
    comprehensive["dimensions"][1]["indicators"][0]["config"] = {"threshold": 95.5}  # a float
    comprehensive["citations"].append({"document": "某市文件", "clause": "一"})  # not registered
    staff["dimensions"][0]["citation"] = "free text"  # a citation must name a registered document
    raw["parameters"]["grade_bands"]["values"][0]["value"][3]["min_score"] = "10"  # a gap below 10
    with pytest.raises(PackError) as exc:
        load_from([("bad.pack.yaml", raw)], SPEC)
    text = str(exc.value)
    for problem in (
        "同级权重之和须恰为 100%，当前为 99.99%",
        "数值请写成字符串或整数以免浮点误差: 95.5",
        "出处文件 '某市文件' 不在文件登记表中",
        "dimensions[0].citation: 出处请写成 citations",
        "最低等级的下限必须为 0（不留空档）",
    ):
        assert problem in text, problem
    raw = _file_pack()
    _templates(raw)["finance-project"]["default"] = True  # a second default project template
    with pytest.raises(PackError) as exc:
        load_from([("defaults.pack.yaml", raw)], SPEC)
    assert "project 类的默认模板只能有一个: social-assistance-comprehensive, finance-project" in str(
        exc.value
    )
    raw = _file_pack()
    raw["jurisdiction"] = "640000"  # the built-ins are national reference rows
    with pytest.raises(PackError) as exc:
        load_from([("ningxia.pack.yaml", raw)], SPEC)
    assert "内置模板为全国参考数据" in str(exc.value)
