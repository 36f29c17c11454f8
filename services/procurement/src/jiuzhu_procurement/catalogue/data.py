"""Reference data as dated rows with citations: service catalogue, negative list, thresholds.

Loaded by migration 0003 and refreshed (upsert by key) by `jiuzhu_procurement.reference.load`.
A row applies on a day d when valid_from <= d and (valid_to is None or d <= valid_to).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

S000 = "seed 000 二(2)"  # 粤民发〔2018〕170号 implementation plan
S001 = "闽民保〔2018〕58号 一(三)"
S002 = "灵政办发〔2018〕201号 四(二)"
S003 = "沪 实施意见 三(二) 及附件目录"
S004 = "川民 试点通知 四(二)"

ALL = ["county", "township", "village"]
UPPER = ["county", "township"]

# (code, 中文, English, category, levels, citation)
_ITEMS: list[tuple[str, str, str, str, list[str], str]] = [
    ("AS01", "对象排查", "case finding", "administrative_support", ALL, f"{S000}; {S001}; {S002}"),
    ("AS02", "家计调查", "household means survey", "administrative_support", ALL, f"{S000}; {S001}; {S002}"),
    ("AS03", "信息核实", "information verification", "administrative_support", ALL, S001),
    ("AS04", "评估鉴定", "assessment", "administrative_support", UPPER, S001),
    ("AS05", "业务培训", "training", "administrative_support", UPPER, f"{S000}; {S001}; {S002}"),
    ("AS06", "政策宣传", "publicity", "administrative_support", ALL, f"{S000}; {S001}; {S002}"),
    (
        "AS07",
        "绩效评价",
        "performance evaluation",
        "administrative_support",
        UPPER,
        f"{S000}; {S001}; {S002}",
    ),
    ("AS08", "政策研究", "policy research", "administrative_support", ["county"], S003),
    (
        "AS09",
        "入户核查",
        "household verification",
        "administrative_support",
        ALL,
        "灵政办发〔2018〕201号 四(四)",
    ),
    ("AS10", "经办服务", "caseworker services", "administrative_support", UPPER, "seed 000 二(六)"),
    ("DS01", "照料护理", "care", "direct_service", ALL, f"{S000}; {S001}; {S002}"),
    ("DS02", "康复训练", "rehabilitation", "direct_service", UPPER, f"{S000}; {S001}; {S002}"),
    ("DS03", "送医陪护", "escort to medical care", "direct_service", ALL, f"{S000}; {S001}; {S002}"),
    ("DS04", "社会融入", "social integration", "direct_service", ALL, f"{S000}; {S001}"),
    ("DS05", "能力提升", "capacity building", "direct_service", ALL, f"{S000}; {S001}; {S003}"),
    ("DS06", "心理疏导", "counselling", "direct_service", ALL, f"{S000}; {S001}; {S003}"),
    ("DS07", "资源链接", "resource linking", "direct_service", ALL, f"{S000}; {S001}"),
    ("DS08", "寻亲助返", "family tracing and return", "direct_service", UPPER, S001),
    ("DS09", "行为矫治", "behavioural correction", "direct_service", UPPER, S001),
    ("DS10", "监护支持", "guardianship support", "direct_service", ALL, S001),
    ("DS11", "维权援助", "rights assistance", "direct_service", UPPER, S001),
    ("DS12", "个案评估", "case assessment", "direct_service", UPPER, S003),
]


def catalogue_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "name_zh": zh,
            "name_en": en,
            "category": cat,
            "levels": levels,
            "citation": cite,
            "valid_from": date(2017, 6, 12),  # the earliest seed (Sichuan pilot notice, 2017-06-12)
            "valid_to": None,
        }
        for code, zh, en, cat, levels, cite in _ITEMS
    ]


# What may not be bought. `kind` says what it matches: a purchase form or a catalogue-like item code.
NEGATIVE: list[dict[str, Any]] = [
    {
        "code": "government_administrative_acts",
        "kind": "item",
        "name_zh": "应当由政府直接承担的行政管理性事务（如审批、确认、处罚等行政行为）",
        "name_en": "the government's own administrative acts (approval, determination, penalties)",
        "valid_from": date(2014, 1, 1),
        "valid_to": None,
        "citation": "国办发〔2013〕96号; seed 000 二(2); 闽民保〔2018〕58号 一(三); 灵政办发〔2018〕201号 四(二)",
    },
    {
        "code": "labour_dispatch",
        "kind": "form",
        "name_zh": "劳务派遣",
        "name_en": "labour dispatch",
        "valid_from": date(2020, 3, 1),
        "valid_to": None,
        "citation": "财政部令第102号 第十条",
    },
    {
        "code": "staff_hiring",
        "kind": "form",
        "name_zh": "雇用人员",
        "name_en": "staff hiring",
        "valid_from": date(2020, 3, 1),
        "valid_to": None,
        "citation": "财政部令第102号 第十条",
    },
    {
        "code": "public_welfare_posts",
        "kind": "form",
        "name_zh": "购买公益性岗位",
        "name_en": "public-welfare posts",
        "valid_from": date(2020, 3, 1),
        "valid_to": None,
        "citation": "财政部令第102号 第十条 (seed 004 四(三) allowed them in 2017)",
    },
    {
        "code": "goods_or_works",
        "kind": "form",
        "name_zh": "货物和工程（不属于政府购买服务）",
        "name_en": "goods or works",
        "valid_from": date(2020, 3, 1),
        "valid_to": None,
        "citation": "财政部令第102号 第十条",
    },
    {
        "code": "financing",
        "kind": "form",
        "name_zh": "融资行为",
        "name_en": "financing",
        "valid_from": date(2020, 3, 1),
        "valid_to": None,
        "citation": "财政部令第102号 第十条",
    },
]

# Thresholds for services (yuan). `以上` includes the amount (民法典 第一千二百五十九条): a budget equal
# to the open-tender amount must be openly tendered. A region without its own rows falls back to
# its nearest ancestor, then to the central standard (000000).
THRESHOLDS: list[dict[str, Any]] = [
    {
        "region": "000000",
        "kind": "open_tender",
        "amount": Decimal("2000000.00"),
        "valid_from": date(2017, 1, 1),
        "valid_to": date(2019, 12, 31),
        "citation": "国办发〔2016〕96号 三: 单项采购金额达到200万元以上的服务项目应当公开招标",
        "verified": True,
    },
    {
        "region": "000000",
        "kind": "procurement_limit",
        "amount": Decimal("1000000.00"),
        "valid_from": date(2017, 1, 1),
        "valid_to": date(2019, 12, 31),
        "citation": "国办发〔2016〕96号 二: 分散采购限额标准 货物和服务 100万元",
        "verified": True,
    },
    {
        "region": "000000",
        "kind": "open_tender",
        "amount": Decimal("2000000.00"),
        "valid_from": date(2020, 1, 1),
        "valid_to": None,
        "citation": "国办发〔2019〕55号 三: 服务项目 200万元以上公开招标",
        "verified": True,
    },
    {
        "region": "000000",
        "kind": "procurement_limit",
        "amount": Decimal("1000000.00"),
        "valid_from": date(2020, 1, 1),
        "valid_to": None,
        "citation": "国办发〔2019〕55号 二: 分散采购限额标准 100万元",
        "verified": True,
    },
    {
        "region": "440000",
        "kind": "open_tender",
        "amount": Decimal("4000000.00"),
        "valid_from": date(2020, 1, 1),
        "valid_to": None,
        "citation": "广东省政府集中采购目录及标准（2020年版）: 公开招标数额标准 400万元 — verify before use",
        "verified": False,
    },
    {
        "region": "440000",
        "kind": "procurement_limit",
        "amount": Decimal("1000000.00"),
        "valid_from": date(2020, 1, 1),
        "valid_to": None,
        "citation": "广东省政府集中采购目录及标准（2020年版）: 分散采购限额 100万元 — verify before use",
        "verified": False,
    },
]
