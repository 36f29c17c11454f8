"""The kit's rules format: dated, cited values; one registry of documents; the most specific pack
in force answers, with its citation and whether it was verified."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from jiuzhu_kit.rules.book import NoPackInForce, RuleBook, RuleNotInForce
from jiuzhu_kit.rules.documents import cite_as, registry
from jiuzhu_kit.rules.loader import load_from
from jiuzhu_kit.rules.parse import PackError, Spec

SPEC = Spec()


def pack(pid: str, jurisdiction: str, params: dict[str, Any], **extra: Any) -> tuple[str, dict[str, Any]]:
    return (
        f"{pid}.pack.yaml",
        {
            "id": pid,
            "version": 1,
            "title": pid,
            "cite_as": pid,
            "issuer": "test",
            "published": "2015-01-01",
            "effective_from": "2015-01-01",
            "jurisdiction": jurisdiction,
            "parameters": params,
            **extra,
        },
    )


SME = {
    "label": "小微企业价格扣除比例（服务，下限）",
    "unit": "ratio",
    "values": [
        {"from": "2021-01-01", "value": "0.06", "citation": {"document": "财库〔2020〕46号", "clause": "九"}},
        {"from": "2022-07-01", "value": "0.10", "citation": {"document": "财库〔2022〕19号", "clause": "二"}},
    ],
}
THRESHOLD = {
    "label": "公开招标数额标准（服务）",
    "unit": "yuan",
    "values": [
        {
            "from": "2020-01-01",
            "value": "4000000",
            "citation": {"document": "政府采购法", "clause": "27"},
            "verified": False,
        }
    ],
}


def test_the_most_specific_pack_in_force_answers_with_its_dated_value_and_citation() -> None:
    national = pack("cn", "000000", {"sme_deduction": SME})
    province = pack("gd", "440000", {"open_tender_threshold": THRESHOLD}, inherits="cn")
    book = RuleBook(load_from([national, province], SPEC))
    before, after = book.at("440103", date(2022, 6, 30)), book.at("440103", date(2022, 7, 1))
    assert before.pack.id == "gd" and before.rule("sme_deduction").value == Decimal("0.06")
    assert str(before.rule("sme_deduction").citation) == "财库〔2020〕46号 九"
    assert after.rule("sme_deduction").value == Decimal("0.10")
    assert after.rule("sme_deduction").cite == "财库〔2022〕19号 二"
    # Another province only has the national pack; the Guangdong threshold is not its rule.
    assert book.at("350802", date(2022, 7, 1)).pack.id == "cn"
    with pytest.raises(RuleNotInForce):
        book.at("350802", date(2022, 7, 1)).rule("open_tender_threshold")
    # Before the first value starts, the SME band is not in force at all.
    assert book.at("440103", date(2020, 6, 1)).get("sme_deduction") is None
    unverified = book.at("440103", date(2022, 7, 1)).rule("open_tender_threshold")
    assert unverified.verified is False and unverified.cite.endswith("（未核实）")
    with pytest.raises(NoPackInForce):
        book.at("440103", date(2014, 1, 1))


def test_a_citation_must_name_a_registered_document() -> None:
    bad = dict(
        SME,
        values=[
            {"from": "2021-01-01", "value": "0.06", "citation": {"document": "闽民保58号", "clause": "一"}}
        ],
    )
    with pytest.raises(PackError) as exc:
        load_from([pack("cn", "000000", {"sme_deduction": bad})], SPEC)
    assert "出处文件 '闽民保58号' 不在文件登记表中" in str(exc.value)


def test_one_document_one_citation_style() -> None:
    docs = registry()
    # A seed's own number and its seed key name the same document.
    assert docs["龙民〔2018〕170号"] is docs["seed 001"]
    assert cite_as("seed 001") == "龙民〔2018〕170号"
    assert docs["seed 003"].title == "上海市积极推行政府购买服务加强基层社会救助服务能力的实施意见"
    assert cite_as("seed 003") == "seed 003"  # no number of its own (DOMAIN.md)


def test_values_are_bounded_and_dated_without_gap() -> None:
    huge = dict(THRESHOLD, values=[dict(THRESHOLD["values"][0], value="1E+999999999")])  # type: ignore[call-overload]
    gap = dict(SME, values=[dict(SME["values"][0], to="2021-06-30"), SME["values"][1]])  # type: ignore[call-overload]
    with pytest.raises(PackError) as exc:
        load_from([pack("cn", "000000", {"open_tender_threshold": huge, "sme_deduction": gap})], SPEC)
    text = str(exc.value)
    assert "数值超出范围: '1E+999999999'" in text
    assert "取值 2021-06-30 至 2022-07-01 之间无定义（gap）" in text


def test_a_pack_names_itself_with_a_plain_id_and_an_integer_version() -> None:
    """A submitted local pack is any JSON: a version of "1" or an id with spaces is a problem listed
    with the others, never an exception (it was a 500 before the review)."""
    bad_version = dict(pack("cn", "000000", {"sme_deduction": SME})[1], version="1")
    bad_id = dict(pack("cn", "000000", {"sme_deduction": SME})[1], id="c n")
    with pytest.raises(PackError) as exc:
        load_from([("a.pack.yaml", bad_version), ("b.pack.yaml", bad_id)], SPEC)
    text = str(exc.value)
    assert "a.pack.yaml: version: 版本号应为 1–10000 的整数: '1'" in text
    assert "b.pack.yaml: id: 规则包编号应为 1–64 位小写字母、数字或 -: 'c n'" in text
