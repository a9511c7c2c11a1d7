"""Rows a command appends to the append-only tables (the audit log and the event outbox).

They are kept on the session and written when it commits, in one INSERT per table and
without ORM objects: nothing reads them back inside the command, and every state change
writes two, so the unit of work's bookkeeping would be pure cost on the hot paths. They
are part of the command's transaction all the same: a rollback discards them, and a
failed INSERT fails the commit.
"""

from functools import cache
from typing import Any

from sqlalchemy import Insert, Table, event, insert
from sqlalchemy.orm import Session, SessionTransaction

_PENDING = "journal.pending"


def append(session: Any, table: Table, row: dict[str, Any]) -> None:
    """Queue `row` for `table` in the session's current transaction (an AsyncSession or
    its sync Session). Rows of one table are inserted in the order they were appended,
    so their ids follow it."""
    pending: dict[Table, list[dict[str, Any]]] = session.info.setdefault(_PENDING, {})
    pending.setdefault(table, []).append(row)


@cache
def _insert(table: Table) -> Insert:
    return insert(table)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    # Runs inside the commit, in SQLAlchemy's greenlet for async sessions, so a blocking
    # execute here is the awaited one underneath.
    pending = session.info.pop(_PENDING, None)
    for table, rows in (pending or {}).items():
        session.execute(_insert(table), rows)


@event.listens_for(Session, "after_soft_rollback")
def _discard_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
