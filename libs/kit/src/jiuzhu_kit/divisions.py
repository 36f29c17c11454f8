"""Administrative division codes (行政区划代码, GB/T 2260; 9/12-digit statistical codes below county).

A jurisdiction is a division code; a principal of code C sees C and every code under it.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

NATIONAL = "000000"

# GB/T 2260 province-level prefixes (incl. 71 Taiwan, 81 Hong Kong, 82 Macao).
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)

# ASCII digits, matched in full: `\d` would take ٦ or ６ and `$` a trailing newline, and a code
# "640181100\n" would then read as a county (see ids.py).
_SHAPE = re.compile(r"[0-9]{6}(?:[0-9]{3}(?:[0-9]{3})?)?")


class InvalidDivisionCode(ValueError):
    pass


def validate_division_code(code: str) -> str:
    """Structural validation: 6, 9 or 12 digits, known province, no county part without a city part."""
    if not isinstance(code, str) or not _SHAPE.fullmatch(code):
        raise InvalidDivisionCode("行政区划代码应为 6、9 或 12 位数字")
    if code == NATIONAL:
        return code
    if code[:2] not in PROVINCE_PREFIXES:
        raise InvalidDivisionCode(f"未知的省级代码 {code[:2]}")
    if code[2:4] == "00" and code[4:6] != "00":
        raise InvalidDivisionCode("县级代码缺少地市级部分")
    if len(code) > 6 and code[4:6] == "00" and code[2:4] == "00":
        raise InvalidDivisionCode("乡镇/村级代码必须在县级之下")
    return code


def _division_code(code: str) -> str:
    try:
        return validate_division_code(code)
    except InvalidDivisionCode as exc:
        # A custom type gives the field error a stable code: DIVISION_CODE_INVALID.
        raise PydanticCustomError("division_code_invalid", str(exc)) from None


DivisionCode = Annotated[str, AfterValidator(_division_code)]


def prefix(code: str) -> str:
    """The significant prefix: 350000→'35', 350800→'3508', 350802→'350802', NATIONAL→''."""
    return {
        "national": "",
        "province": code[:2],
        "city": code[:4],
        "county": code[:6],
        "township": code[:9],
        "village": code,
    }[level(code)]


def level(code: str) -> str:
    if code == NATIONAL:
        return "national"
    if len(code) == 12:
        return "village"
    if len(code) == 9:
        return "township"
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county"


def parent(code: str) -> str | None:
    """The enclosing division: village→township→county→city→province→national."""
    lv = level(code)
    if lv == "village":
        return code[:9]
    if lv == "township":
        return code[:6]
    if lv == "county":
        return code[:4] + "00"
    if lv == "city":
        return code[:2] + "0000"
    if lv == "province":
        return NATIONAL
    return None


def city_of(code: str) -> str:
    return code[:4] + "00"


def province_of(code: str) -> str:
    return code[:2] + "0000"


def covers(jurisdiction: str, code: str) -> bool:
    """Does a principal of `jurisdiction` see `code`? A county sees itself and its subtree only."""
    return code.startswith(prefix(jurisdiction))
