"""The fast database path: how the busiest commands skip the ORM's unit of work, behind
six functions.

The busiest commands (approval decisions, and every command's audit rows and events) paid
more CPU for SQLAlchemy's unit of work (change tracking, flush, identity-map loading) than
for their SQL. This package is how they skip it, and the only way: nothing outside it
imports its private module (`_journal`), and `tests/core/test_sqlalchemy_assumptions.py`
names every SQLAlchemy behaviour it relies on, so an upgrade that breaks one fails there.
It stays on SQLAlchemy's public execution path: an earlier version ran statements on the
asyncpg connection itself, which measured within 10 % of this on `bench_approvals.py`
(session 6) and depended on compiler and adapter internals, so it was removed.

Reading
    `fetch(session, statement, params)` runs a prebuilt Core statement in the session's
    transaction and returns its rows. `loaded_entity(Model, pairs)` builds an entity from
    such a row outside the session (no ORM loading, nothing tracks it).

Writing: the journal
    `append(session, table, row)` queues a row for an append-only table (audit log, event
    outbox, approval decisions); `update(session, table, row_id, values)` queues new column
    values for one row; `write_loaded(session, rows, **values)` does that for loaded
    entities and shows the values on them at once; `sync_loaded` brings the session's own
    copy of a row up to date after a statement changed it. The journal's rules:

    - **Written at commit.** Everything queued is written by a `before_commit` hook, inside
      the commit, in the command's transaction (on PostgreSQL in one statement, whatever
      was queued; elsewhere one statement per table and set of columns). A failed write
      fails the commit, and the whole command rolls back with it.
    - **Discarded on rollback.** When the outermost transaction ends without a commit
      (rolled back, or the session closed), the queue is dropped with it. A savepoint's
      rollback keeps it: queue nothing inside a savepoint the command may roll back.
    - **Not visible inside the command.** A query run before the commit does not see the
      queued rows or values: only the loaded objects (through `write_loaded`) show them. So
      queue only what the command will not read back, and only for rows whose lock it holds
      (or rows of its own).
    - **Plain values only.** Values are stored as given, converted by each column's type:
      no SQL expressions; for one row, a later value for a column wins.
"""

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Executable, inspect
from sqlalchemy.engine import Row as _Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.core.fastpath._journal import append, update

__all__ = ["Row", "append", "fetch", "loaded_entity", "sync_loaded", "update", "write_loaded"]

_Entity = TypeVar("_Entity")
Row = _Row[Any]


async def fetch(session: AsyncSession, statement: Executable,
                params: dict[str, Any]) -> Sequence[Row]:
    """Run a prebuilt statement with `params` in the session's transaction; its rows, if
    it returns any. Build statements once (module level): the hot paths then skip
    statement construction, and SQLAlchemy finds their compiled form in its cache."""
    result = await session.execute(statement, params)
    # A DML statement without RETURNING exports no columns, and has no rows to fetch.
    return result.all() if getattr(statement, "exported_columns", None) else []


def write_loaded(session: AsyncSession, rows: Sequence[Any], **values: Any) -> None:
    """Set `values` on loaded rows of one table: on the objects now, in the database when
    the command commits (the journal's rules above). The loaded objects record the values
    as already saved (`set_committed_value`), so the unit of work never flushes them again
    and what the command returns shows the new state."""
    for row in rows:
        update(session, type(row).__table__, row.id, values)
        for key, value in values.items():
            set_committed_value(row, key, value)


def loaded_entity(model: type[_Entity], values: Iterable[tuple[str, Any]]) -> _Entity:
    """An entity holding a row that `fetch` read, built as the ORM builds what it loads (no
    __init__, no validation) but outside the session: nothing tracks or flushes it, so
    change it only with `write_loaded`."""
    mapper = inspect(model)
    if not mapper.configured:
        # Nothing else may have used the ORM yet in this process (a worker's first
        # command): an unconfigured mapper builds entities whose attributes fail to load.
        configure_mappers()
    entity = mapper.class_manager.new_instance()
    inspect(entity).dict.update(values)
    return entity


def sync_loaded(session: AsyncSession, model: type, row_id: Any, **values: Any) -> None:
    """After a statement changed a row, bring the session's copy of it (if it holds one) up
    to date, as saved."""
    loaded = session.sync_session.identity_map.get(identity_key(model, row_id))
    if loaded is not None:
        for key, value in values.items():
            set_committed_value(loaded, key, value)
