"""Packs are refused at load time when brackets overlap or leave gaps, units are unknown,
citations are missing or inheritance is broken; inheritance overrides; choice by place and date."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from jiuzhu_staffing.packs.loader import DATA_DIR, PackError, load_from, load_packs
from jiuzhu_staffing.packs.registry import NoPackInForce, PackRegistry, default_registry
from jiuzhu_staffing.packs.snapshot import pack_from_dict, pack_to_dict


def raw(name: str) -> dict[str, Any]:
    data = yaml.safe_load((DATA_DIR / f"{name}.pack.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def with_parents(child: dict[str, Any]) -> list[tuple[str, Any]]:
    return [("gd-province.pack.yaml", raw("gd-province")), ("test.pack.yaml", child)]


def refused(sources: list[tuple[str, Any]]) -> str:
    with pytest.raises(PackError) as exc:
        load_from(sources)
    return "\n".join(exc.value.problems)


def county_brackets(pack: dict[str, Any]) -> list[dict[str, Any]]:
    brackets: list[dict[str, Any]] = pack["parameters"]["county_caseworkers"]["values"][0]["brackets"]
    return brackets


def test_the_shipped_packs_load() -> None:
    ids = {p.id for p in load_packs()}
    assert ids == {
        "gd-province",
        "gd-city-plan",
        "fj-province",
        "longyan",
        "nx-region",
        "lingwu",
        "shanghai",
        "sichuan-pilot",
    }


def test_overlapping_brackets_are_refused() -> None:
    pack = raw("gd-city-plan")
    county_brackets(pack)[1]["range"] = "[3000, 5000]"  # 3000 now in two brackets
    assert "重叠（overlap at 3000）" in refused(with_parents(pack))


def test_gapped_brackets_are_refused() -> None:
    pack = raw("gd-city-plan")
    county_brackets(pack)[2]["range"] = "(5000, 8000)"
    county_brackets(pack)[3]["range"] = "(8000, inf)"  # 8000 itself in no bracket
    assert "空档（gap）" in refused(with_parents(pack))


def test_open_top_and_missing_zero_are_refused() -> None:
    pack = raw("gd-city-plan")
    county_brackets(pack)[0]["range"] = "(0, 3000]"
    county_brackets(pack)[3]["range"] = "[8000, 20000]"
    problems = refused(with_parents(pack))
    assert "第一档应从 0（含）开始" in problems and "最后一档应无上限" in problems


def test_unknown_unit_missing_citation_and_float_money_are_refused() -> None:
    pack = raw("gd-city-plan")
    pack["parameters"]["first_year_pay"]["unit"] = "dollars"
    del pack["parameters"]["raise_rate"]["values"][0]["citation"]
    pack["parameters"]["contract_years"]["values"][0]["value"] = 2.5
    county_brackets(pack)[0]["phrase"] = ""
    problems = refused(with_parents(pack))
    assert "未知单位 'dollars'" in problems
    assert "parameters.raise_rate.values[0]: 缺少出处" in problems
    assert "contract_years.values[0].value: 取值应为非负整数: 2.5" in problems
    assert "缺少 phrase" in problems


def test_broken_inheritance_is_refused() -> None:
    pack = raw("gd-city-plan")
    pack["inherits"] = "no-such-pack"
    assert "上级规则包 'no-such-pack' 不存在" in refused(with_parents(pack))
    pack["inherits"] = "gd-province"
    pack["jurisdiction"] = "350000"  # Guangdong parent cannot cover Fujian
    assert "不包含 350000" in refused(with_parents(pack))


def test_allocation_must_total_what_the_document_says() -> None:
    sources = [("nx-region.pack.yaml", raw("nx-region")), ("lingwu.pack.yaml", raw("lingwu"))]
    sources[1][1]["parameters"]["verifier_allocation"]["values"][0]["value"]["units"]["东塔镇"] = 2
    assert "分配合计 14 与文件所定总数 13 不符" in refused(sources)


def test_child_overrides_and_inherits() -> None:
    reg = default_registry()
    longyan = reg.get("longyan")
    assert longyan.lineage == ("longyan@1", "fj-province@1")
    assert longyan.param("workers_per_village").defined_in == "longyan"
    assert str(longyan.param("workers_per_village").values[0].citation) == "龙民〔2018〕170号 三"
    assert longyan.param("township_coordinators").defined_in == "fj-province"
    lingwu = reg.get("lingwu")
    assert lingwu.param("minimum_wage_class2").defined_in == "nx-region"


def test_pack_in_force_by_place_and_date() -> None:
    reg = default_registry()
    assert reg.in_force("350802", date(2018, 9, 1)).id == "longyan"  # city beats province
    assert reg.in_force("350802", date(2018, 5, 1)).id == "fj-province"  # before Longyan's notice
    assert reg.in_force("350102", date(2018, 9, 1)).id == "fj-province"
    assert reg.in_force("640181", date(2019, 1, 1)).id == "lingwu"
    assert reg.in_force("440103", date(2019, 6, 1)).id == "gd-city-plan"  # abstract gd-province never chosen
    with pytest.raises(NoPackInForce):
        reg.in_force("440103", date(2019, 3, 31))
    with pytest.raises(NoPackInForce):
        reg.in_force("640104", date(2019, 1, 1))  # Ningxia has only the abstract wage table


def test_new_version_supersedes_and_snapshot_reproduces_old() -> None:
    old = default_registry().get("gd-city-plan")
    v2 = copy.deepcopy(raw("gd-city-plan"))
    v2["version"] = 2
    v2["parameters"]["first_year_pay"]["values"][0]["value"] = "60000"
    sources: list[tuple[str, Any]] = [
        (p.name, yaml.safe_load(p.read_text(encoding="utf-8")))
        for p in sorted(Path(DATA_DIR).glob("*.pack.yaml"))
    ]
    reg = PackRegistry(load_from([*sources, ("gd-city-plan-v2.pack.yaml", v2)]))
    assert reg.in_force("440103", date(2019, 6, 1)).version == 2
    assert reg.get("gd-city-plan@1").content_hash == old.content_hash
    rebuilt = pack_from_dict(pack_to_dict(old))
    assert rebuilt.content_hash == old.content_hash
    assert rebuilt.param("working_funds_rate").defined_in == "gd-province"
