"""The app's exception handlers: every error leaves as an RFC 9457 problem (errors.py renders them;
db.py classifies database errors). Apart from errors.py so that errors imports no database code."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from jiuzhu_kit.db import DB_ERROR_TYPES, problem_for
from jiuzhu_kit.errors import (
    DomainError,
    MalformedRequest,
    _http_error,
    field_errors_from_pydantic,
    problem_response,
    request_lang,
)


def install_error_handlers(app: FastAPI) -> None:
    async def on_domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return problem_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        lang = request_lang(request)
        return problem_response(request, MalformedRequest(field_errors_from_pydantic(exc.errors(), lang)))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        err = _http_error(exc.status_code)
        return problem_response(request, err, headers=exc.headers)

    async def on_db_error(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, problem_for(exc, "unclassified database error"))

    async def on_unhandled(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, problem_for(exc, "unhandled error"))

    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    # Database errors are answered here, not by the catch-all below: Starlette re-raises what its
    # `Exception` handler answered and the server then drops the client's keep-alive connection
    # (a 503 for a dead pool connection must leave the client, or the gateway's upstream pool, a
    # usable connection).
    for db_error in DB_ERROR_TYPES:
        app.add_exception_handler(db_error, on_db_error)
    app.add_exception_handler(Exception, on_unhandled)
