"""Database plumbing: naming convention, column types, engine and session factories."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request
from sqlalchemy import DateTime, Dialect, MetaData, Numeric, event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import SQLModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.errors import ServiceUnavailable, send_problem
from app.core.money import to_places

log = structlog.get_logger("salesflow.db")

# Named constraints: SQLite batch migrations can only drop constraints that have names,
# and predictable names keep autogenerate diffs empty on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both databases (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class _ScaledInteger(Numeric[Decimal]):
    """SQLite's side of ExactDecimal: declared NUMERIC(p, s) as before, holding the value
    times 10^s as an INTEGER. Values pass to and from the driver untouched; Numeric's
    own processors would send them through a float."""

    def bind_processor(self, dialect: Dialect) -> None:
        return None

    def result_processor(self, dialect: Dialect, coltype: object) -> None:
        return None


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC(precision, scale) stored exactly on both databases, read back as a Decimal
    with exactly `scale` places (and no negative zero).

    PostgreSQL's NUMERIC is exact. SQLite has no decimal type: a NUMERIC column holds a
    REAL, about 15 significant digits, so 9999999999999999.99 came back as 1e16. There
    the column holds integer minor units (fen for money, 10^-6 for an exchange rate),
    which SQLite's 64-bit integers keep exactly up to 18 digits. Integers rather than
    decimal strings because SQL must still compare, sort and sum them: `'9.00' < '10.00'`
    is false, and a NUMERIC column turns numeric text back into a REAL anyway.

    What that asks of SQL on SQLite: comparisons and ORDER BY with a column or with a
    Python value (it is bound through this type), SUM and MIN/MAX, and + and - between
    columns of one scale are right; multiplying, dividing, AVG, or mixing columns of
    different scales is not (do that arithmetic in Python, on Decimals).
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        # In __dict__ (not proxied to impl) so that they are part of the cache key.
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return _ScaledInteger(self.precision, self.scale)
        return self.impl_instance

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
            raise TypeError(f"{value!r} given to a decimal column (Decimal or int only)")
        exact = to_places(Decimal(value), self.scale)
        if exact.adjusted() >= self.precision - self.scale:
            # PostgreSQL refuses it too ("numeric field overflow"); SQLite would not.
            raise ValueError(f"{exact} does not fit NUMERIC({self.precision}, {self.scale})")
        return int(exact.scaleb(self.scale)) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            if not isinstance(value, int):
                # A REAL left by a database not migrated to integer minor units.
                raise TypeError(f"{value!r} in a scaled-integer column: run the migrations")
            return to_places(Decimal(value).scaleb(-self.scale), self.scale)
        return to_places(value, self.scale)


def money_column_type() -> ExactDecimal:
    return ExactDecimal(18, 2)


def create_engine(settings: Settings) -> AsyncEngine:
    # hide_parameters: bound values (names, phone numbers) stay out of error messages and
    # echoed SQL, which end up in logs.
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            echo=settings.db_echo,
            hide_parameters=True,
            connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
        )
        configure_sqlite(engine, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        return engine
    return create_async_engine(
        settings.database_url,
        echo=settings.db_echo,
        hide_parameters=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        # No pre-ping: it costs three round trips per checkout (measured here: +0.2-0.3 ms
        # of CPU and about +1 ms of wall time on a checkout that runs one SELECT, and a
        # POST with an Idempotency-Key checks out three times). A connection found dead
        # instead fails its statement, SQLAlchemy (or the fast path, app.core.fastpath)
        # invalidates it and every connection opened before it, and
        # LostConnectionMiddleware retries a read or answers 503.
        pool_recycle=1800,
    )


def configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    """WAL, busy timeout, foreign keys, and BEGIN IMMEDIATE for every transaction.

    The driver's own transaction handling is turned off so that SAVEPOINT works (the
    recipe in SQLAlchemy's SQLite dialect docs) and so we can start each transaction
    with BEGIN IMMEDIATE: SQLite has one writer, and taking the write lock at BEGIN
    means two commands can never both read and then try to write (no lock upgrade
    deadlocks, no lost updates).
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    # One session per request; services commit it, anything left open rolls back here.
    async with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def lost_connection(error: BaseException) -> bool:
    """Whether `error` is, or was raised because of, a database connection that died under
    the request (the server restarted, or terminated the backend). SQLAlchemy marks those
    DBAPIErrors `connection_invalidated`, and has dropped the connection by then."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if _no_connection(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# The server is down, restarting or full (asyncpg raises these at connect, outside its
# DBAPI error classes, by name so that no module but the fast path imports the driver).
_CANNOT_CONNECT = frozenset({"CannotConnectNowError", "TooManyConnectionsError",
                             "ConnectionDoesNotExistError"})


def _no_connection(error: BaseException) -> bool:
    """No connection could be had at all: refused, the server not accepting connections
    yet, or the pool's wait for a free one timed out. Nothing ran on the database."""
    return (isinstance(error, (ConnectionRefusedError, PoolTimeout))
            or type(error).__name__ in _CANNOT_CONNECT)


_RETRY_AFTER = [(b"retry-after", b"1")]


class LostConnectionMiddleware:
    """A request whose database connection died, or that could get none (the server down
    or restarting, the pool exhausted), answers 503 with Retry-After, not 500.

    A GET or HEAD is run once more first: it changed nothing, and its second run gets a
    fresh connection, since the pool replaced every connection older than the failure. A
    write is never run again here: its transaction may have committed before the
    connection went, so only the client can retry it, with its Idempotency-Key.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        reads = scope["method"] in ("GET", "HEAD")
        received: list[Message] = []

        async def recorded() -> Message:
            message = await receive()
            received.append(message)
            return message

        runs = 2 if reads else 1
        for run in range(1, runs + 1):
            channel = _replayed(received, recorded) if reads else receive
            try:
                return await self.app(scope, channel, tracked)
            except Exception as error:
                if started or not lost_connection(error):
                    raise
                log.warning("database_connection_lost", method=scope["method"],
                            path=scope["path"], run=run, retried=run < runs,
                            error=type(error).__name__)
        await send_problem(send, ServiceUnavailable(
            "The database connection was lost while reading; retry shortly." if reads else
            "The database connection was lost while this request ran; it may or may not have "
            "taken effect. Retry it with the same Idempotency-Key."), _RETRY_AFTER)


def _replayed(messages: list[Message], receive: Receive) -> Receive:
    """The request messages an earlier run read, then the live channel."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def commit(session: AsyncSession) -> None:
    """End the command's unit of work.

    A loader may already have run a SELECT, so a transaction is usually open
    (autobegin); committing the session commits whichever transaction that is.
    """
    await session.commit()


async def flush_or_raise(session: AsyncSession, error: Exception) -> None:
    """Flush, turning a constraint violation (e.g. a unique key taken by a concurrent
    request after our pre-check) into the domain's error instead of a 500."""
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise error from exc


async def execute_or_raise(session: AsyncSession, statement: Any, error: Exception,
                           params: dict[str, Any] | None = None) -> Any:
    try:
        return await session.execute(statement, params)
    except IntegrityError as exc:
        await session.rollback()
        raise error from exc


async def commit_or_raise(session: AsyncSession, error: Exception) -> None:
    try:
        await commit(session)
    except IntegrityError as exc:
        await session.rollback()
        raise error from exc


