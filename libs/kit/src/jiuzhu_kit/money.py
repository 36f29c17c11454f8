"""Money: Decimal end to end, two places (fen), half-up, strings in JSON. Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

FEN = Decimal("0.01")
ROUNDING_RULE = "四舍五入到分 (ROUND_HALF_UP to 0.01 yuan)"


def round_fen(value: Decimal) -> Decimal:
    """The one rounding rule for money: half-up to the fen."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def to_decimal(value: Any) -> Decimal:
    """Parse money input. Floats are refused: they already lost precision before reaching us."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, bool):
        raise ValueError("金额应为数字字符串")
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, str):
        s = value.strip().replace(",", "")
        if len(s) > 40:
            raise ValueError("金额数值过长")
        try:
            d = Decimal(s)
        except InvalidOperation as exc:
            raise ValueError("金额格式不正确") from exc
    elif isinstance(value, float):
        # JSON numbers arrive as float in lax mode; accept only those that are exact at 2 places.
        d = Decimal(repr(value))
    else:
        raise ValueError("金额格式不正确")
    if not d.is_finite():
        raise ValueError("金额应为有限数值")
    if d.as_tuple().exponent < -2 and d != d.quantize(FEN):  # type: ignore[operator]
        raise ValueError("金额最多两位小数")
    if abs(d) >= Decimal("1e15"):
        raise ValueError("金额超出范围")
    return d.quantize(FEN)


Money = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["50000.00"]}),
]


def non_negative(d: Decimal) -> Decimal:
    if d < 0:
        raise ValueError("金额不能为负")
    return d
