"""RFC 9457 problem details with stable machine codes; Chinese by default, English on request.

Every refusal a client can see is a `DomainError` subclass (or one made with `DomainError.make`),
rendered by one handler. No stack trace ever reaches a client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

PROBLEM_JSON = "application/problem+json"
_PLACEHOLDER = re.compile(r"\s*[（(]?\{[a-z_]+\}[）)]?")


class FieldError(BaseModel):
    """字段错误 One field's problem: where (JSON pointer), a stable code and a message."""

    pointer: str
    code: str
    detail: str


class Problem(BaseModel):
    """The problem+json body (RFC 9457) as served; `code` is the stable machine code."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class DomainError(Exception):
    """A refusal with a stable code. Subclasses set code/status and zh/en templates."""

    code: ClassVar[str] = "ERROR"
    status: ClassVar[int] = 400
    zh: ClassVar[str] = "请求无法处理"
    en: ClassVar[str] = "The request cannot be processed"

    def __init__(self, zh: str | None = None, en: str | None = None, /, **params: Any) -> None:
        self.params = params
        self._zh = zh
        self._en = en
        super().__init__(self.detail("en"))

    def detail(self, lang: str) -> str:
        template = (self._en or self.en) if lang == "en" else (self._zh or self.zh)
        try:
            return template.format(**self.params)
        except (KeyError, IndexError):
            return template

    def title(self, lang: str) -> str:
        """The class's summary (RFC 9457 `title`): the same for every occurrence, so no parameters."""
        template = self.en if lang == "en" else self.zh
        if "{" not in template:
            return template
        return _PLACEHOLDER.sub("…", template).rstrip("…").rstrip()

    def extra(self) -> dict[str, Any]:
        """Machine-readable context added to the problem body (never personal data)."""
        return {}

    def headers(self) -> dict[str, str]:
        """Response headers the refusal needs (e.g. `Retry-After` on 429)."""
        return {}

    @classmethod
    def schema(cls) -> dict[int | str, Any]:
        """For an endpoint's OpenAPI `responses`: `responses={**NotFound.schema()}`."""
        return {
            cls.status: {
                "model": Problem,
                "content": {PROBLEM_JSON: {}},
                "description": f"`{cls.code}`: {cls.en}",
            }
        }


def responses(*errors: type[DomainError]) -> dict[int | str, dict[str, Any]]:
    """Merge several errors' OpenAPI entries (same status → descriptions joined)."""
    out: dict[int | str, dict[str, Any]] = {}
    for err in errors:
        for status, spec in err.schema().items():
            if status in out:
                out[status] = {
                    **out[status],
                    "description": out[status]["description"] + "; " + spec["description"],
                }
            else:
                out[status] = spec
    return out


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404
    zh = "未找到{what}"
    en = "{what} not found"


class Forbidden(DomainError):
    code = "FORBIDDEN"
    status = 403
    zh = "无权执行此操作"
    en = "You are not allowed to do this"


class Unauthorized(DomainError):
    code = "UNAUTHENTICATED"
    status = 401
    zh = "需要有效的身份凭证"
    en = "A valid credential is required"


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409
    zh = "与当前状态冲突，请刷新后重试"
    en = "Conflicts with the current state; reload and retry"


class Exists(Conflict):
    """A 409 saying a record already exists, naming it: `existing` ({id, href}) in the problem body
    and a `Location` header (the gateway maps it to its own path). The raise site names the record
    only to a caller its read policy lets read it (`existing=None` otherwise), so the refusal never
    reveals a record the caller could not read."""

    def __init__(
        self,
        zh: str | None = None,
        en: str | None = None,
        /,
        *,
        existing: tuple[object, str] | None = None,
        **params: Any,
    ) -> None:
        self.existing = existing  # (id, the service's path of the record)
        super().__init__(zh, en, **params)

    def extra(self) -> dict[str, Any]:
        if self.existing is None:
            return {}
        return {"existing": {"id": str(self.existing[0]), "href": self.existing[1]}}

    def headers(self) -> dict[str, str]:
        return {} if self.existing is None else {"Location": self.existing[1]}


class BadRequest(DomainError):
    code = "BAD_REQUEST"
    status = 400


class ValidationFailed(DomainError):
    """Business validation on a well-formed payload, with field errors (still 422 per RFC usage)."""

    code = "VALIDATION_FAILED"
    status = 422
    zh = "请求内容有误"
    en = "The request has invalid fields"

    def __init__(self, errors: Sequence[FieldError], zh: str | None = None, en: str | None = None) -> None:
        self.errors = list(errors)
        super().__init__(zh, en)


class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
    status = 503
    zh = "服务暂时不可用，请稍后重试"
    en = "The service is temporarily unavailable; retry later"


class InternalError(DomainError):
    code = "INTERNAL_ERROR"
    status = 500
    zh = "服务器内部错误"
    en = "Internal server error"


def request_lang(request: Request) -> str:
    """`en` when the client prefers English, otherwise `zh` (the default for this product)."""
    header = request.headers.get("accept-language", "")
    best, best_q = "zh", 0.0
    for part in header.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        lang = "en" if tag.startswith("en") else "zh" if tag.startswith("zh") else None
        if lang and q > best_q:
            best, best_q = lang, q
    return best


def problem_body(err: DomainError, lang: str, instance: str, request_id: str | None) -> dict[str, Any]:
    """The problem+json document (RFC 9457) for `err`; every Jiuzhu process renders it this way."""
    body: dict[str, Any] = {
        "type": f"https://jiuzhu.example/problems/{err.code.lower().replace('_', '-')}",
        "title": err.title(lang),
        "status": err.status,
        "code": err.code,
        "detail": err.detail(lang),
        "instance": instance,
        "request_id": request_id,
    }
    if isinstance(err, ValidationFailed):
        body["errors"] = [e.model_dump() for e in err.errors]
    body.update(err.extra())
    return body


_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub(value: Any) -> Any:
    """`value` with every lone surrogate replaced by U+FFFD: a refusal may quote what the client
    sent (a key, a path, a value in a message), and "\\ud800" from JSON cannot be encoded as UTF-8."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


class ProblemResponse(JSONResponse):
    """problem+json that always renders, whatever the client's input put into it."""

    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return super().render(scrub(content))


def problem_response(
    request: Request, err: DomainError, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    lang = request_lang(request)
    body = problem_body(err, lang, request.url.path, request.scope.get("state", {}).get("request_id"))
    existing = body.get("existing")
    prefix = request.headers.get("x-forwarded-prefix", "")
    if isinstance(existing, dict) and prefix.startswith("/api/"):  # the client's path through the gateway
        body["existing"] = {**existing, "href": prefix + existing["href"]}
    return ProblemResponse(
        body, status_code=err.status, media_type=PROBLEM_JSON, headers={**err.headers(), **(headers or {})}
    )


class RateLimited(DomainError):
    """429 with `Retry-After` (RFC 9110 10.2.3), seconds."""

    code = "RATE_LIMITED"
    status = 429
    zh = "请求过于频繁，请 {retry_after} 秒后再试"
    en = "Too many requests; retry in {retry_after} s"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(retry_after=self.retry_after)

    def extra(self) -> dict[str, Any]:
        return {"retry_after": self.retry_after}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


# Chinese readings of pydantic's error types; anything else falls back to pydantic's English text.
_ZH_FIELD_MESSAGES = {
    "missing": "必填字段缺失",
    "extra_forbidden": "不允许的字段",
    "string_too_short": "长度不足",
    "string_too_long": "长度超限",
    "string_pattern_mismatch": "格式不正确",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "less_than": "数值过大",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_places": "小数位数过多",
    "finite_number": "应为有限数值",
    "date_from_datetime_parsing": "日期格式不正确",
    "date_parsing": "日期格式不正确",
    "date_type": "应为日期",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "bool_parsing": "应为布尔值",
    "json_invalid": "JSON 格式不正确",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "list_type": "应为数组",
    "too_short": "元素过少",
    "too_long": "元素过多",
    "value_error": "取值无效",
    "string_type": "应为字符串",
    "uuid_parsing": "应为 UUID",
}


def _pointer(loc: Sequence[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
        prefix = "#"
    else:
        prefix = "#/" + str(parts.pop(0)) if parts else "#"
    return prefix + "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def field_errors_from_pydantic(errs: Sequence[Any], lang: str) -> list[FieldError]:
    out = []
    for e in errs:
        etype = str(e.get("type", "value_error"))
        msg = str(e.get("msg", ""))
        if lang != "en":
            base = _ZH_FIELD_MESSAGES.get(etype)
            if etype == "value_error" and msg.startswith("Value error, "):
                base = msg.removeprefix("Value error, ")
            msg = base or msg
        out.append(FieldError(pointer=_pointer(e.get("loc", ())), code=etype.upper(), detail=msg))
    return out


class MalformedRequest(ValidationFailed):
    code = "REQUEST_INVALID"
    zh = "请求格式或字段有误"
    en = "The request is malformed or has invalid fields"


_STATUS_CODES = {
    400: ("BAD_REQUEST", "请求有误", "Bad request"),
    401: ("UNAUTHENTICATED", "需要有效的身份凭证", "A valid credential is required"),
    403: ("FORBIDDEN", "无权执行此操作", "Forbidden"),
    404: ("NOT_FOUND", "未找到资源", "Not found"),
    405: ("METHOD_NOT_ALLOWED", "不支持该请求方法", "Method not allowed"),
    406: ("NOT_ACCEPTABLE", "无法提供所需格式", "Not acceptable"),
    409: ("CONFLICT", "与当前状态冲突", "Conflict"),
    413: ("PAYLOAD_TOO_LARGE", "请求体过大", "Payload too large"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "不支持的内容类型", "Unsupported media type"),
    429: ("RATE_LIMITED", "请求过于频繁", "Too many requests"),
}


def _http_error(status: int) -> DomainError:
    code, zh, en = _STATUS_CODES.get(
        status, ("HTTP_ERROR", "请求无法处理", "The request cannot be processed")
    )
    err_cls: type[DomainError] = type(
        f"Http{status}", (DomainError,), {"code": code, "status": status, "zh": zh, "en": en}
    )
    return err_cls()
