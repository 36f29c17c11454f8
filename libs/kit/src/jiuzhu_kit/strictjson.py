"""Refuse input that parsers disagree on or that Postgres cannot store, before any service code.

- Python's `json` keeps the last of two equal keys and accepts `NaN`/`Infinity`; other parsers (a
  gateway, a WAF, an auditor's tool) may keep the first or refuse. A body two parsers read
  differently is refused (422 `JSON_AMBIGUOUS`), as RFC 8259 4 and RFC 7493 (I-JSON) advise.
- U+0000 cannot be stored in Postgres text or jsonb: in a path, query or JSON string it used to
  reach the database and come back as a 500; it is refused up front (422 `NUL_CHARACTER`).
- A lone surrogate escape ("\\ud800") is no character: UTF-8 cannot encode it, Postgres cannot
  store it and I-JSON (RFC 7493 2.1) forbids it; refused up front (422 `UNPAIRED_SURROGATE`).

Runs as a global dependency, after FastAPI has read (and cached) the body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from fastapi import Request

from jiuzhu_kit.db import SAFE_METHODS
from jiuzhu_kit.errors import FieldError, MalformedRequest


class JsonAmbiguous(MalformedRequest):
    code = "JSON_AMBIGUOUS"
    zh = "JSON 含重复键或非标准数值（NaN/Infinity），无法无歧义地解读"
    en = "The JSON has duplicate keys or non-standard numbers (NaN/Infinity)"


class NulCharacter(MalformedRequest):
    code = "NUL_CHARACTER"
    zh = "请求中含有空字符（U+0000）"
    en = "The request contains a NUL character (U+0000)"


class UnpairedSurrogate(MalformedRequest):
    code = "UNPAIRED_SURROGATE"
    zh = "请求中含有不成对的 UTF-16 代理项（如 \\ud800），不是有效字符"
    en = "The request contains an unpaired UTF-16 surrogate (such as \\ud800)"


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class _Ambiguous(ValueError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Ambiguous("JSON_DUPLICATE_KEY", f"重复的键 {key[:64]!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise _Ambiguous("JSON_NON_STANDARD_NUMBER", f"非标准数值 {name}")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _has_nul(doc: Any) -> bool:
    return _any_string(doc, lambda s: "\x00" in s)


def has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def _any_string(doc: Any, test: Callable[[str], bool]) -> bool:
    stack = [doc]
    while stack:  # iterative: the document may be deep
        item = stack.pop()
        if isinstance(item, str):
            if test(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def check_json(body: bytes) -> None:
    """Raise for duplicate keys, NaN/Infinity or NUL in a string; other syntax errors are FastAPI's."""
    try:
        doc = json.loads(body, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except _Ambiguous as exc:
        raise JsonAmbiguous([FieldError(pointer="#", code=exc.code, detail=exc.detail)]) from None
    except (ValueError, RecursionError):  # malformed or too deep: FastAPI reports it, or nothing reads it
        return
    if b"\\u0000" in body and _has_nul(doc):
        raise NulCharacter([FieldError(pointer="#", code="NUL_CHARACTER", detail="字符串中含有空字符")])
    if _SURROGATE_ESCAPE.search(body) and _any_string(doc, has_surrogate):
        detail = "字符串或键中含有不成对的代理项"
        raise UnpairedSurrogate([FieldError(pointer="#", code="UNPAIRED_SURROGATE", detail=detail)])


async def strict_json_guard(request: Request) -> None:
    path, query = request.scope.get("path", ""), request.scope.get("query_string", b"")
    if "\x00" in path or b"%00" in query or b"\x00" in query:
        where = "#/path" if "\x00" in path else "#/query"
        raise NulCharacter([FieldError(pointer=where, code="NUL_CHARACTER", detail="含有空字符")])
    if request.method in SAFE_METHODS or not _is_json(request.headers.get("content-type", "")):
        return
    body = await request.body()
    if body:
        check_json(body)
