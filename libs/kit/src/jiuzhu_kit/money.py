"""Money: Decimal end to end, two places (fen), half-up, strings in JSON. Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

FEN = Decimal("0.01")
ROUNDING_RULE = "四舍五入到分 (ROUND_HALF_UP to 0.01 yuan)"


def round_fen(value: Decimal) -> Decimal:
    """The one rounding rule for money: half-up to the fen."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


# Bounds on any number a client sends, checked on the parsed digits and exponent before any
# arithmetic: Python's decimal context raises Overflow (a 500) on abs(Decimal("1E+999999999")),
# and a 400-digit number or 1e-999999999 only costs CPU and reaches Postgres NUMERIC.
MAX_DIGITS = 40
MAX_EXPONENT = 40


def _invalid(code: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(code, message)


def parse_decimal(value: Any) -> Decimal:
    """A client's number as a finite Decimal of at most MAX_DIGITS digits and |exponent| ≤
    MAX_EXPONENT. Floats are taken by their shortest repr; booleans are refused."""
    if isinstance(value, bool):
        raise _invalid("number_invalid", "应为数字")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        if abs(value) >= 10**MAX_DIGITS:
            raise _invalid("number_out_of_range", "数值超出范围")
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))
    elif isinstance(value, str):
        s = value.strip()
        if len(s) > MAX_DIGITS + 8:  # sign, point, exponent
            raise _invalid("number_out_of_range", "数值过长")
        try:
            d = Decimal(s)
        except InvalidOperation:
            raise _invalid("number_invalid", "应为数字") from None
    else:
        raise _invalid("number_invalid", "应为数字")
    if not d.is_finite():
        raise _invalid("number_invalid", "应为有限数值")
    sign, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    if len(digits) > MAX_DIGITS or not -MAX_EXPONENT <= exponent <= MAX_EXPONENT:
        raise _invalid("number_out_of_range", "数值超出范围")
    return d


# Any decimal a client sends that is not money (scores, weights, indicator values).
Number = Annotated[Decimal, BeforeValidator(parse_decimal)]


def to_decimal(value: Any) -> Decimal:
    """Parse money input: a bounded number (parse_decimal), at most two places, |x| < 10^15."""
    if isinstance(value, str):
        value = value.replace(",", "")  # "1,000.00" as people write it
        if len(value.strip()) > 40:
            raise _invalid("money_invalid", "金额数值过长")
    try:
        d = parse_decimal(value)
    except PydanticCustomError as exc:
        raise _invalid("money_invalid", "金额" + exc.message()) from None
    if d.as_tuple().exponent < -2 and d != d.quantize(FEN):  # type: ignore[operator]
        raise _invalid("money_invalid", "金额最多两位小数")
    if abs(d) >= Decimal("1e15"):
        raise _invalid("money_invalid", "金额超出范围")
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


def percent(ratio: Decimal) -> str:
    """A ratio as a percentage for people to read: 0.10 → "10", 0.065 → "6.5" (never an exponent)."""
    return format((ratio * 100).normalize(), "f")
