"""Identifiers a client sends (division code, USCC, period, year), parsed in one place.

Every identifier is matched in full against ASCII characters. With Python's `re.match` a `$`
also matches before a final newline, and `\\d` (Python's and pydantic's Rust regex alike) takes
any Unicode digit (٦, ６): "640181100\\n" passed as a code and then read as a county, and
"640181\\n" stored a second report beside "640181". A refusal is a 422 whose field error carries
the type's stable code (DIVISION_CODE_INVALID, USCC_INVALID, PERIOD_INVALID, YEAR_INVALID).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from jiuzhu_kit.divisions import DivisionCode

__all__ = ["DivisionCode", "Period", "Uscc", "Year", "ascii_fullmatch"]


def ascii_fullmatch(pattern: re.Pattern[str], value: object) -> bool:
    """The one matcher for identifiers: a str of ASCII characters the pattern matches in full."""
    return isinstance(value, str) and value.isascii() and pattern.fullmatch(value) is not None


def _checked(code: str, pattern: re.Pattern[str], message: str) -> Any:
    def check(value: Any) -> Any:
        if not ascii_fullmatch(pattern, value):
            raise PydanticCustomError(code, message)
        return value

    return check


# GB 32100-2015 shape (the check character is the procurement contractor register's business).
USCC_PATTERN = r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}"
Uscc = Annotated[
    str,
    BeforeValidator(
        _checked("uscc_invalid", re.compile(USCC_PATTERN), "统一社会信用代码应为 18 位数字或大写字母")
    ),
    WithJsonSchema({"type": "string", "pattern": f"^{USCC_PATTERN}$", "examples": ["91350100M000100Y43"]}),
]

# A payment or evaluation period label: "2019-H1", "2019", "Q1", "final" (≤16: evaluation's limit).
PERIOD_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}"
Period = Annotated[
    str,
    BeforeValidator(
        _checked("period_invalid", re.compile(PERIOD_PATTERN), "期次应为 1–16 位字母、数字、- 或 _")
    ),
    WithJsonSchema({"type": "string", "pattern": f"^{PERIOD_PATTERN}$", "examples": ["2019-H1"]}),
]

_YEAR = re.compile(r"[0-9]{4}")


def _year(value: Any) -> Any:
    # Query and path values arrive as text; int() would also take " 2019\n" or "２０１９".
    if isinstance(value, str) and not ascii_fullmatch(_YEAR, value):
        raise PydanticCustomError("year_invalid", "年份应为 4 位数字")
    return value


# Without bounds: each use keeps its own (`Annotated[Year, Query(ge=2000, le=2100)]`).
Year = Annotated[int, BeforeValidator(_year)]
