"""Engine and the request unit of work.

One session per request, made lazily. For unsafe methods the response is held back until the
session has committed, so a client never sees 2xx for a write that did not land; a failed commit
becomes a 5xx problem. Services flush, never commit. Safe methods never commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import MetaData, event
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    EmulatedDBAPIException,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiuzhu_kit import waiting
from jiuzhu_kit.errors import Conflict, DomainError, InternalError, ServiceUnavailable
from jiuzhu_kit.settings import KitSettings, to_async_url

log = logging.getLogger("jiuzhu.db")
_errors_log = logging.getLogger("jiuzhu.errors")  # where unclassified failures are reported

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def connect_args(settings: KitSettings, application_name: str) -> dict[str, Any]:
    """asyncpg connection options every pool of a service uses (the engine's and the write pool's)."""
    return {
        "timeout": 5,
        "command_timeout": max(1, settings.db_statement_timeout_ms // 1000 + 5),
        "server_settings": {
            "application_name": application_name,
            "statement_timeout": str(settings.db_statement_timeout_ms),
            "lock_timeout": "10000",
        },
    }


def plain_dsn(url: str) -> str:
    """A DATABASE_URL as asyncpg takes it (no SQLAlchemy driver suffix)."""
    return "postgresql://" + to_async_url(url).removeprefix("postgresql+asyncpg://")


class Dedicated:
    """One asyncpg connection of its own, outside the pools, for what lives on a session: an advisory
    lock (singleton.Leader), a LISTEN (the gateway's revocations), a loop that must never wait for a
    request's pool (ratelimit.ClusterWindow). Opened on first use and again after it closed; closing
    it ends the session and whatever it held."""

    def __init__(self, dsn: str, connect_options: dict[str, Any] | None = None) -> None:
        self.dsn = dsn
        self.connect_options = connect_options or {}
        self._conn: asyncpg.Connection | None = None

    @property
    def open(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def get(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self.dsn, **self.connect_options)
        return self._conn

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=1)
            except Exception:
                conn.terminate()


async def listen(
    db: Dedicated,
    channel: str,
    notified: Callable[[asyncpg.Connection, int, str, str], Any],
    *,
    listening: Callable[[], None],
    lost: Callable[[], None] = lambda: None,
    retry_seconds: float = 1.0,
    probe_seconds: float = 10.0,
) -> None:
    """LISTEN on `channel` over `db` for as long as the task runs: `notified` at each notification,
    `listening` once listening (a caller catches up there on what it missed), `lost` when the
    connection is gone, then connected again after `retry_seconds`. A dead server is noticed by the
    driver's termination listener or, on a silent network, by a probe every `probe_seconds`."""
    while True:
        try:
            conn = await db.get()
            gone = asyncio.Event()
            conn.add_termination_listener(lambda _c, gone=gone: gone.set())
            await conn.add_listener(channel, notified)
            listening()
            while not gone.is_set():
                if not await waiting.wait(gone, probe_seconds):
                    await conn.fetchval("SELECT 1", timeout=5)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # no database now: the caller's fallback applies until it is back
            log.warning("listening on %s: %s", channel, exc)
        finally:
            lost()
            await db.close()
        await asyncio.sleep(retry_seconds)


def make_engine(settings: KitSettings, application_name: str) -> AsyncEngine:
    engine = create_async_engine(
        settings.async_database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # No ping per checkout: with asyncpg it is BEGIN; SELECT; ROLLBACK, three round trips on
        # every request. `_discard_closed` below drops what the driver already knows is dead; a
        # connection that dies unnoticed raises a disconnect error on use, which invalidates the
        # pool and answers one 503.
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args=connect_args(settings, application_name),
    )
    event.listen(engine.sync_engine.pool, "checkout", _discard_closed)
    return engine


def _discard_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """On checkout: a pooled connection the server closed while it sat idle (Postgres restarted or
    ended the backend) is one asyncpg has marked closed; DisconnectionError makes the pool replace
    it in place, so the request never sees it. A local flag check, no round trip."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise DisconnectionError("connection closed by the server while idle in the pool")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


# A hook run inside the transaction, after the endpoint produced its response and before commit.
ResponseHook = Callable[[AsyncSession, int, list[tuple[bytes, bytes]], bytes], Awaitable[None]]


@dataclass
class UnitOfWork:
    maker: async_sessionmaker[AsyncSession]
    _session: AsyncSession | None = None
    before_commit: list[ResponseHook] = field(default_factory=list)

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self.maker()
        return self._session

    @property
    def started(self) -> bool:
        return self._session is not None

    async def commit(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if self._session is None:
            return
        for hook in self.before_commit:
            await hook(self._session, status, headers, body)
        await self._session.commit()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is None or not session.in_transaction():
            # Nothing to roll back and no connection held (never used, or committed): the session
            # is dropped with the request; close() would only spend a greenlet hop detaching.
            return
        try:
            await session.close()  # rolls back anything not committed
        except Exception:  # a dead connection cannot roll back; the server already discarded it
            log.warning("session close failed; connection discarded", exc_info=True)
            try:
                await session.invalidate()
            except Exception:
                log.debug("session invalidate failed", exc_info=True)


class UnitOfWorkMiddleware:
    """Plain ASGI: holds an unsafe request's response until its transaction committed."""

    def __init__(
        self, app: ASGIApp, maker_from_scope: Callable[[Scope], async_sessionmaker[AsyncSession]]
    ) -> None:
        self.app = app
        self.maker_from_scope = maker_from_scope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.run(scope, receive, send)

    async def run(self, scope: Scope, receive: Receive, send: Send, app: ASGIApp | None = None) -> None:
        """The unit of work around one HTTP request (also used by the kit's merged middleware, which
        may pass a lean route as `app`)."""
        app = app or self.app
        uow = UnitOfWork(self.maker_from_scope(scope))
        # The app's own hooks first (generated documents kept in step: documents/generated.py).
        app_state = getattr(scope.get("app"), "state", None)
        uow.before_commit.extend(getattr(app_state, "commit_hooks", ()))
        scope.setdefault("state", {})["uow"] = uow
        if scope["method"] in SAFE_METHODS:
            try:
                await app(scope, receive, send)
            finally:
                await uow.close()
            return

        start: Message | None = None
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            else:  # pragma: no cover - trailers etc.
                await send(message)

        try:
            await app(scope, receive, hold)
            assert start is not None, "app sent no response"
            body = b"".join(chunks)
            status = int(start["status"])
            if status < 400 and uow.started:
                try:
                    await uow.commit(status, list(start.get("headers", [])), body)
                except Exception as exc:  # the write did not land: say so, never 2xx
                    log.exception("commit failed")
                    err = problem_for(exc, None)  # logged just above, classified or not
                    start, body = _problem_messages(scope, err)
        finally:
            await uow.close()
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _problem_messages(scope: Scope, err: DomainError) -> tuple[Message, bytes]:
    from starlette.requests import Request as StarletteRequest

    from jiuzhu_kit.errors import problem_response

    resp = problem_response(StarletteRequest(scope), err)
    return {"type": "http.response.start", "status": resp.status_code, "headers": resp.raw_headers}, bytes(
        resp.body
    )


_DRIVER = "jiuzhu.driver"


async def session_driver(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's transaction, begun (BEGIN sent) if need be.

    Remembered per transaction in `session.info`: each `session.connection()` and
    `get_raw_connection()` is a greenlet hop, and the write hot paths (audit append, transitions)
    ask for the connection several times per request. A new transaction (after a commit or a
    rollback) looks the connection up again, since the pool may hand out another one."""
    sync = session.sync_session
    cached = sync.info.get(_DRIVER)
    tx = sync.get_transaction()
    if cached is not None and tx is not None and cached[0] is tx and tx.is_active:
        return cached[1]
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    try:
        begun = await _begin(raw.dbapi_connection)
    except Exception as exc:
        # BEGIN sent past SQLAlchemy's Connection: its disconnect handling never sees the error, so
        # a dead connection would go back to the pool. Drop it here (the request answers 503).
        if isinstance(classify_db_error(exc), DatabaseUnavailable):
            await conn.invalidate(exc)
        raise
    if not begun:
        # The adapter's internals changed: make SQLAlchemy send BEGIN itself (one round trip more).
        await conn.exec_driver_sql("SELECT 1")
    driver = raw.driver_connection
    sync.info[_DRIVER] = (sync.get_transaction(), driver)
    return driver


async def _begin(adapted: Any) -> bool:
    """SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement it executes itself:
    statements sent straight to asyncpg before that would each commit on their own. Begin now, in
    the adapter's own transaction, so its commit and rollback cover them. False when the adapter
    does not look as expected (then the caller begins another way)."""
    if not all(hasattr(adapted, a) for a in ("_transaction", "_execute_mutex", "_start_transaction")):
        return False
    if adapted._transaction is None:
        async with adapted._execute_mutex:
            if adapted._transaction is None:
                await adapted._start_transaction()
    return True


def uow_of(scope: Scope) -> UnitOfWork:
    uow = scope.get("state", {}).get("uow")
    if not isinstance(uow, UnitOfWork):  # pragma: no cover - wiring error
        raise RuntimeError("UnitOfWorkMiddleware is not installed")
    return uow


def get_uow(request: Request) -> UnitOfWork:
    return uow_of(request.scope)


async def get_session(request: Request) -> AsyncSession:
    # Async so FastAPI does not hop to a worker thread for it on every request.
    return get_uow(request).session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


class DatabaseUnavailable(ServiceUnavailable):
    code = "DATABASE_UNAVAILABLE"
    zh = "数据库暂时不可用，请稍后重试"
    en = "The database is temporarily unavailable; retry later"


class ConcurrentUpdate(Conflict):
    code = "CONCURRENT_UPDATE"
    zh = "数据已被他人同时修改，请刷新后重试"
    en = "The data was changed concurrently; reload and retry"


class DuplicateRecord(Conflict):
    code = "DUPLICATE"
    zh = "记录已存在"
    en = "The record already exists"


_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, OSError, TimeoutError)


def _sqlstate(exc: BaseException) -> str | None:
    orig: Any = getattr(exc, "orig", None)
    for candidate in (exc, orig, getattr(orig, "__cause__", None), exc.__cause__):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if state:
            return str(state)
    return None


def _by_sqlstate(state: str | None) -> DomainError | None:
    if state in {"40001", "40P01", "55P03"}:  # serialization failure, deadlock, lock not available
        return ConcurrentUpdate()
    if state == "23505":
        return DuplicateRecord()
    if state == "57014":  # statement timeout
        return ServiceUnavailable()
    if state and state.startswith(("08", "57P", "53")):  # connection, shutdown, resources
        return DatabaseUnavailable()
    return None


def classify_db_error(exc: BaseException) -> DomainError | None:
    """Map database failures a client can act on to problems; None for real bugs (→ 500).

    Covers SQLAlchemy's wrapped errors and raw asyncpg ones (the hot paths that talk to the asyncpg
    connection directly get asyncpg's exceptions unwrapped)."""
    if isinstance(exc, DomainError):
        return exc
    mapped = _by_sqlstate(_sqlstate(exc))
    if mapped is not None:
        return mapped
    if isinstance(exc, DBAPIError):
        if isinstance(exc, (OperationalError, InterfaceError)) or exc.connection_invalidated:
            return DatabaseUnavailable()
        return None
    if isinstance(exc, EmulatedDBAPIException):
        # The asyncpg adapter's own error class, unwrapped when SQLAlchemy's Connection is bypassed
        # (session_driver's BEGIN): classified by the asyncpg error it translates.
        cause = exc.__cause__
        return classify_db_error(cause) if cause is not None and cause is not exc else None
    # asyncpg's PostgresConnectionError family always carries an 08xxx sqlstate: handled above.
    # InternalClientError: the protocol state of a connection the server is tearing down (seen when
    # Postgres stops mid-request: "cannot switch to state …; another operation is in progress").
    if isinstance(
        exc, (*_CONNECTION_ERRORS, asyncpg.exceptions.InterfaceError, asyncpg.exceptions.InternalClientError)
    ):
        return DatabaseUnavailable()
    return None


# What classify_db_error knows, for exception handlers (jiuzhu_kit.errors): handled there, not in
# Starlette's catch-all, which re-raises after answering and makes the server drop the connection.
DB_ERROR_TYPES: tuple[type[Exception], ...] = (
    DBAPIError,
    EmulatedDBAPIException,
    asyncpg.PostgresError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
)


def problem_for(exc: BaseException, log_message: str | None) -> DomainError:
    """The problem to answer for `exc`: its classification (classify_db_error), else a 500 after
    logging `exc` with `log_message` on the `jiuzhu.errors` logger (None: the caller logs)."""
    mapped = classify_db_error(exc)
    if isinstance(mapped, DatabaseUnavailable):  # the 503 says only "retry": the cause is for operators
        _errors_log.warning("database unavailable: %s: %s", type(exc).__name__, exc)
    if mapped is not None:
        return mapped
    if log_message is not None:
        _errors_log.exception(log_message, exc_info=exc)
    return InternalError()
