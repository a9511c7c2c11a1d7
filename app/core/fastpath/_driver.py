"""`app.core.fastpath.fetch`: prebuilt statements run on the PostgreSQL driver itself, inside
the session's transaction.

On the busiest command (an approval decision) SQLAlchemy's execution machinery around a
statement (the session, the compiled cache, the execution context, the DBAPI adapter and
its greenlet) costs about twice the driver's own work: measured on this project, 340 us
of CPU per Core statement against 150 us for the same statement on asyncpg. For the few
statements such a command runs every time, `fetch` skips that layer: the statement is
compiled once per dialect and set of parameter names, its values go through each column
type's bind processor and its rows through each column's result processor, as SQLAlchemy
would do it, and the SQL runs on the session's own connection.

It takes that path only when the connection is already inside a transaction at the
driver: SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement that
goes through it, and commits only a transaction it began. So a command's first statement
goes through the session (as a locking read does), and before that, or on SQLite, `fetch`
runs the statement through the session as usual. Driver errors are raised as SQLAlchemy's
(`IntegrityError` for a violated constraint), so callers handle both paths alike; a
connection found dead is dropped as SQLAlchemy drops one (the connection invalidated, and
the pool's older connections replaced at their next checkout) and reported as its
`DBAPIError` with `connection_invalidated` set.
"""

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import Dialect, event
from sqlalchemy.engine import AdaptedConnection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

Row = tuple[Any, ...]


@dataclass(slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]                           # parameters in positional order
    fixed: dict[str, Any]                            # values the statement binds itself
    binds: tuple[Callable[[Any], Any] | None, ...]   # one per positional parameter
    columns: tuple[Any, ...]                         # the result columns
    row: type | None                                 # a named tuple of the result columns
    # One per result column; known once the driver has described the statement, since a
    # type's result processor may depend on the type the database sends.
    results: tuple[Callable[[Any], Any] | None, ...] | None = None


_compiled: dict[tuple[Executable, str, tuple[str, ...]], _Compiled] = {}


def _compile(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    cache_key = (statement, dialect.name, keys)
    found = _compiled.get(cache_key)
    if found is not None:
        return found
    # column_keys: for an INSERT or UPDATE, the parameters given become its columns, as
    # when SQLAlchemy executes it; a SELECT or text ignores them.
    # Every statement is a ClauseElement too, compiled by a SQLCompiler: what follows reads
    # that compiler's internals.
    assert isinstance(statement, ClauseElement)
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    assert isinstance(compiled, SQLCompiler)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("statements with expanding (IN) parameters are not supported")
    # SQLAlchemy's execution context fills these in (Python-side column defaults, an
    # INSERT's implicit RETURNING of its key); here they would be NULL or a column short.
    prefetch = [column.key for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
    if prefetch:
        raise ValueError(f"give every column that has a Python-side default: {prefetch}")
    if compiled.implicit_returning:
        raise ValueError("an INSERT run here must say what it returns (.returning(...))")
    names = tuple(compiled.positiontup or ())
    binds = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
                  for name in names)
    # The collection's keys follow the statement's label style (`approval_step_id`), the
    # columns' own keys do not.
    exported = getattr(statement, "exported_columns", None)
    columns = tuple(exported) if exported is not None else ()
    row = namedtuple("Row", exported.keys()) if exported is not None and columns else None
    # Values the statement carries (the 1 of `version + 1`), for parameters not given.
    fixed = {name: compiled.binds[name].effective_value for name in names if name not in keys}
    found = _Compiled(compiled.string, names, fixed, binds, columns, row)
    _compiled[cache_key] = found
    return found


def _arguments(compiled: _Compiled, params: dict[str, Any]) -> list[Any]:
    values = {**compiled.fixed, **params} if compiled.fixed else params
    return [values[name] if convert is None else convert(values[name])
            for name, convert in zip(compiled.names, compiled.binds, strict=True)]


async def _describe(compiled: _Compiled, driver: Any, dialect: Dialect) -> None:
    """The result processors, from the types the database reports (once per statement)."""
    described = await driver.prepare(compiled.sql)
    compiled.results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, attribute.type.oid)
        for column, attribute in zip(compiled.columns, described.get_attributes(),
                                     strict=True))


def _rows(compiled: _Compiled, records: Sequence[Any]) -> list[Row]:
    if compiled.row is None:
        return []
    results = compiled.results
    assert results is not None
    return [compiled.row(*(value if convert is None else convert(value)
                           for value, convert in zip(record, results, strict=True)))
            for record in records]


def _translated(error: asyncpg.PostgresError, compiled: _Compiled,
                params: dict[str, Any]) -> DBAPIError:
    kind = IntegrityError if isinstance(
        error, asyncpg.IntegrityConstraintViolationError) else DBAPIError
    return kind(compiled.sql, params, error)


def _closed(raw: PoolProxiedConnection) -> bool:
    # SQLAlchemy's asyncpg dialect decides a disconnect the same way (`is_disconnect`): by
    # the connection being closed after the error, whatever the error's class. A server
    # that ends the connection under a statement shows as its 57P01 message,
    # ConnectionDoesNotExistError, InterfaceError "connection is closed", a socket's
    # OSError, or even InternalClientError "another operation is in progress".
    driver = raw.driver_connection
    return driver is None or bool(driver.is_closed())


def _drop_connection(session: Session, raw: PoolProxiedConnection, error: Exception) -> None:
    """What SQLAlchemy does when its own statement finds the connection gone
    (`Connection._handle_dbapi_exception`): the pool replaces every connection opened
    before this one at its next checkout (what killed this one, a server restart, likely
    killed them too), and this one is invalidated, so the session's rollback skips it and
    the pool never hands it out again."""
    connection = session.connection()
    connection.engine.pool._invalidate(raw, error, _checkin=False)
    connection.invalidate(error)


_DRIVER = "prepared.driver"


@event.listens_for(Session, "after_transaction_end")
def _forget_driver(session: Session, transaction: SessionTransaction) -> None:
    # Dropped with the transaction: kept, it would tie the ended transaction (and through
    # it the session) into a reference cycle that only the cyclic collector frees.
    if transaction.parent is None:
        session.info.pop(_DRIVER, None)


def _cached(session: Session) -> tuple[Dialect, PoolProxiedConnection] | None:
    cached = session.info.get(_DRIVER)
    if cached is not None and cached[0] is session.get_transaction():
        return cached[1], cached[2]
    return None


def _remember(session: Session, dialect: Dialect, raw: PoolProxiedConnection
              ) -> tuple[Dialect, PoolProxiedConnection] | None:
    if raw.driver_connection is None or not raw.driver_connection.is_in_transaction():
        return None
    session.info[_DRIVER] = (session.get_transaction(), dialect, raw)
    return dialect, raw


async def _driver(session: AsyncSession) -> tuple[Dialect, PoolProxiedConnection] | None:
    """The session's connection, if it is a PostgreSQL one inside a transaction at the
    driver. Kept on the session for the rest of its transaction: asking the session for it
    costs two greenlet switches (30 us), more than a statement's own bookkeeping here."""
    sync = session.sync_session
    found = _cached(sync)
    if found is not None or sync.get_bind().dialect.name != "postgresql":
        return found
    connection = await session.connection()
    return _remember(sync, connection.dialect, await connection.get_raw_connection())


def _driver_sync(session: Session) -> tuple[Dialect, PoolProxiedConnection] | None:
    found = _cached(session)
    if found is not None or session.get_bind().dialect.name != "postgresql":
        return found
    connection = session.connection()
    return _remember(session, connection.dialect, connection.connection)


async def fetch(session: AsyncSession, statement: Executable,
                params: dict[str, Any]) -> list[Row]:
    """Run `statement` with `params` in the session's transaction; its rows, if it returns
    any, as named tuples of its result columns (already converted)."""
    found = await _driver(session)
    if found is not None:
        dialect, raw = found
        driver = raw.driver_connection
        assert driver is not None  # _remember keeps only a connection that has one
        compiled = _compile(statement, dialect, tuple(params))
        try:
            if compiled.results is None:
                await _describe(compiled, driver, dialect)
            records = await driver.fetch(compiled.sql, *_arguments(compiled, params))
        except Exception as error:
            if _closed(raw):
                await session.run_sync(_drop_connection, raw, error)
                raise DBAPIError(compiled.sql, params, error,
                                 connection_invalidated=True) from error
            if isinstance(error, asyncpg.PostgresError):
                raise _translated(error, compiled, params) from error
            raise
        return _rows(compiled, records)
    result = await session.execute(statement, params)
    return list(result) if getattr(statement, "exported_columns", None) else []


def execute_sync(session: Session, statement: Executable, params: dict[str, Any]) -> None:
    """`fetch`'s counterpart for a session's synchronous events (which SQLAlchemy runs in
    its greenlet), for a statement whose rows are not needed."""
    found = _driver_sync(session)
    if found is None:
        session.execute(statement, params)
        return
    dialect, raw = found
    compiled = _compile(statement, dialect, tuple(params))
    arguments = _arguments(compiled, params)
    adapted = raw.dbapi_connection
    assert isinstance(adapted, AdaptedConnection)  # asyncpg's, adapted by SQLAlchemy
    try:
        adapted.run_async(
            lambda driver: driver.execute(compiled.sql, *arguments))
    except Exception as error:
        if _closed(raw):
            _drop_connection(session, raw, error)
            raise DBAPIError(compiled.sql, params, error, connection_invalidated=True) from error
        if isinstance(error, asyncpg.PostgresError):
            raise _translated(error, compiled, params) from error
        raise
