"""Unified social credit code (统一社会信用代码, GB 32100-2015): validation and entity type.

18 characters over `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, S, V, Z); position 1 the registration
authority, 2 the entity type within it, 3–8 the division code, 9–17 the organisation code, 18 the
check character: weights 3^(i-1) mod 31, check = (31 − Σ mod 31) mod 31 (GB 32100-2015 5.2).
Pure functions: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28

# GB 32100-2015 表 1: registration authority (position 1) → entity-type codes (position 2).
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "外国律师事务所驻华代表机构",
            "3": "司法鉴定机构",
            "4": "仲裁委员会",
            "5": "公证处",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}


@dataclass(frozen=True)
class UsccInfo:
    code: str
    authority: str
    kind_zh: str
    entity_class: str  # social_organization | public_institution | enterprise | government_organ | ...
    division_code: str


class InvalidUscc(ValueError):
    pass


def check_char(body17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(body17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def _entity_class(authority: str, kind: str) -> str:
    """The contracting class the code itself proves (seed 000 二(3); 闽民保〔2018〕58号 一(二))."""
    if authority == "5":
        return "social_organization"  # registered with civil affairs
    if authority == "1" and kind == "2":
        return "public_institution"  # class (公益一类/二类/生产经营类) must be declared
    if authority == "1" and kind == "1":
        return "government_organ"
    if authority == "9" and kind in ("1", "3"):
        return "enterprise"  # registered with 工商 (market regulation)
    if authority == "9" and kind == "2":
        return "individual_business"
    if authority == "N":
        return "collective_economic_organization"
    return "other"


def parse(code: str) -> UsccInfo:
    """Validate and decode a code; raises InvalidUscc with a Chinese reason."""
    if not code.isascii() or code != code.strip():  # "…\n" or "ﬀ".upper() must not pass as a code
        raise InvalidUscc("统一社会信用代码应为 18 位数字或字母")
    c = code.upper()
    if len(c) != 18:
        raise InvalidUscc("统一社会信用代码应为 18 位")
    bad = [ch for ch in c if ch not in _VALUE]
    if bad:
        raise InvalidUscc(f"含有不允许的字符 {bad[0]}（不使用 I、O、S、V、Z）")
    if c[0] not in AUTHORITIES:
        raise InvalidUscc(f"登记管理部门代码 {c[0]} 无效")
    authority, kinds = AUTHORITIES[c[0]]
    if c[1] not in kinds:
        raise InvalidUscc(f"机构类别代码 {c[0]}{c[1]} 无效")
    if not c[2:8].isdigit():
        raise InvalidUscc("第 3–8 位应为登记管理机关行政区划码")
    if check_char(c[:17]) != c[17]:
        raise InvalidUscc("校验码错误（GB 32100-2015）")
    return UsccInfo(c, authority, kinds[c[1]], _entity_class(c[0], c[1]), c[2:8])


def make(prefix: str, division: str, org_body: str) -> str:
    """Build a valid code from its parts (tests and fixtures): prefix 2 chars, division 6, body 9."""
    body = (prefix + division + org_body).upper()
    return body + check_char(body)
