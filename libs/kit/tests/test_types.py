from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from jiuzhu_kit import divisions
from jiuzhu_kit.auth import TokenInvalid, TokenVerifier, issue_token
from jiuzhu_kit.money import Money, round_fen
from jiuzhu_kit.settings import KitSettings


class M(BaseModel):
    amount: Money


def test_money_is_decimal_string_two_places() -> None:
    assert M(amount="50000").model_dump(mode="json") == {"amount": "50000.00"}
    assert M(amount=1).amount == Decimal("1.00")
    assert M.model_validate_json('{"amount": 0.1}').amount == Decimal("0.10")
    for bad in ("1.005", "NaN", "abc", "1e20", True):
        with pytest.raises(ValidationError):
            M(amount=bad)


def test_round_half_up_to_fen() -> None:
    assert round_fen(Decimal("2.675")) == Decimal("2.68")
    assert round_fen(Decimal("2.665")) == Decimal("2.67")
    assert round_fen(Decimal("-2.665")) == Decimal("-2.67")


@pytest.mark.parametrize(
    ("jur", "code", "seen"),
    [
        ("350802", "350802", True),
        ("350802", "350802101", True),
        ("350802", "350803", False),
        ("350800", "350803", True),
        ("350000", "350803", True),
        ("350000", "440103", False),
        ("000000", "440103", True),
        ("350802101", "350802", False),
    ],
)
def test_jurisdiction_covers_subtree_only(jur: str, code: str, seen: bool) -> None:
    assert divisions.covers(jur, code) is seen


@pytest.mark.parametrize("bad", ["", "12345", "990000", "350080", "35080a", "3508021", "350000101"])
def test_invalid_division_codes(bad: str) -> None:
    with pytest.raises(divisions.InvalidDivisionCode):
        divisions.validate_division_code(bad)


def test_division_levels() -> None:
    assert [
        divisions.level(c) for c in ("000000", "640000", "640100", "640181", "640181001", "640181001001")
    ] == ["national", "province", "city", "county", "township", "village"]
    assert divisions.parent("640181001") == "640181"
    assert divisions.parent("640181") == "640100"


def test_placeholder_secret_refused_in_prod() -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        KitSettings(JIUZHU_ENVIRONMENT="prod", DATABASE_URL="postgresql://x/y", JIUZHU_CLOCK="")
    # JIUZHU_CLOCK="": the suite sets a test clock in the environment, which prod refuses.
    KitSettings(
        JIUZHU_ENVIRONMENT="prod", DATABASE_URL="postgresql://x/y", JWT_SECRET="x" * 40, JIUZHU_CLOCK=""
    )


def test_rs256_tokens() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    settings = KitSettings(JWT_ALGORITHM="RS256", JWT_PUBLIC_KEY=public)
    tok = issue_token(settings, "u1", ["auditor"], "640181", private_key=private)
    p = TokenVerifier(settings).verify(tok)
    assert p.sub == "u1" and p.division == "640181" and p.has("auditor")
    # An HS256 token (e.g. alg confusion) is refused by an RS256 verifier.
    forged = issue_token(KitSettings(JWT_SECRET="s" * 40), "u1", ["admin"], "000000")
    with pytest.raises(TokenInvalid):
        TokenVerifier(settings).verify(forged)


def test_rate_limited_problem_carries_retry_after() -> None:
    from starlette.requests import Request

    from jiuzhu_kit.errors import RateLimited, problem_response

    resp = problem_response(
        Request({"type": "http", "path": "/x", "headers": [], "query_string": b""}), RateLimited(7)
    )
    assert resp.status_code == 429 and resp.headers["retry-after"] == "7"
    assert b'"retry_after":7' in bytes(resp.body)


def test_problem_titles_never_show_template_placeholders() -> None:
    from jiuzhu_kit.auth import JurisdictionForbidden
    from jiuzhu_kit.calendar import CalendarYearMissing

    err = JurisdictionForbidden(division="350803")
    assert err.title("zh") == "超出本辖区范围" and err.title("en") == "Outside your jurisdiction"
    assert "350803" in err.detail("zh")
    assert "{" not in CalendarYearMissing(year=2099).title("zh")


def test_raw_asyncpg_errors_are_classified_like_wrapped_ones() -> None:
    import asyncpg

    from jiuzhu_kit.db import ConcurrentUpdate, DatabaseUnavailable, DuplicateRecord, classify_db_error

    assert isinstance(classify_db_error(asyncpg.exceptions.AdminShutdownError("bye")), DatabaseUnavailable)
    assert isinstance(
        classify_db_error(asyncpg.exceptions.ConnectionDoesNotExistError("gone")), DatabaseUnavailable
    )
    assert isinstance(classify_db_error(asyncpg.exceptions.InterfaceError("closed")), DatabaseUnavailable)
    assert isinstance(classify_db_error(asyncpg.exceptions.DeadlockDetectedError("x")), ConcurrentUpdate)
    assert isinstance(classify_db_error(asyncpg.exceptions.UniqueViolationError("x")), DuplicateRecord)
    torn = asyncpg.exceptions.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    )
    assert isinstance(classify_db_error(torn), DatabaseUnavailable)  # Postgres stopping mid-request
    assert classify_db_error(asyncpg.exceptions.UndefinedTableError("bug")) is None  # a bug stays a 500
