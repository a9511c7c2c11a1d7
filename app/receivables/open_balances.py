"""The running rollup of what is still owed (`receivable_open_balance`), per department,
rep and due date: what the aging report by rep or department sums instead of reading every
open receivable. A department has a row per rep and due date, a few thousand however many
receivables it is owed on.

Aging buckets depend only on a receivable's due date against the as-of date, and the report
weighs today's balances, so one row per due date answers it for any as-of date. A
receivable counts in its key's row while it owes money (open or partially paid, as the
report's own filter): issued, it enters; paid, credited or written off, its balance moves;
sent to write-off approval it leaves, and a rejected or recalled write-off brings it back.

Every command that changes a receivable's status or balance calls `track` with what the
receivable was before (nothing, for a new one): the difference is queued on the session and
written by a `before_commit` hook, in the command's transaction, so the rollup commits with
the change or not at all.

Lock order. The rows are written at the commit so that they are the last locks a command
takes: after the approval request, the order, the receivables, the contract and the
customer's credit row (service.py), and one command takes its rows in key order. A
transaction holding a rollup row thus waits only for rollup rows further in that order,
never for a lock that a transaction waiting for its row holds: no deadlock. A rep's row is
shared by their customers' receivables due on one day; it is held only from the update to
the commit, so payments of two customers queue on it for that moment only. A savepoint's
commit writes nothing (the queue waits for the outermost commit), and a rollback drops it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, event, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction

from app.receivables.models import Receivable, ReceivableOpenBalance, ReceivableStatus
from app.receivables.states import PAYABLE

ZERO = Decimal("0.00")
_QUEUED = "receivable_open_balance.deltas"
_TABLE: Table = ReceivableOpenBalance.__table__  # type: ignore[attr-defined]
_KEY = ("department_id", "owner_id", "due_date")

Key = tuple[str, str, date]


@dataclass(frozen=True)
class Before:
    """What a receivable was before a command changed it: its state and balance."""

    status: ReceivableStatus
    balance_base: Decimal


def before(receivable: Receivable) -> Before:
    return Before(receivable.status, receivable.balance_base)


def _owed(status: ReceivableStatus, balance_base: Decimal) -> tuple[int, Decimal]:
    return (1, balance_base) if status in PAYABLE else (0, ZERO)


def track(session: Any, receivable: Receivable, was: Before | None, *,
          status: ReceivableStatus | None = None) -> None:
    """Queue the change of `receivable` since `was` (None: it is new) for the commit. Call
    it after the change, with the receivable's new status and balance set (or the new
    status given as `status`, when it is written some other way)."""
    now_count, now_amount = _owed(status or receivable.status, receivable.balance_base)
    then_count, then_amount = _owed(was.status, was.balance_base) if was else (0, ZERO)
    count, amount = now_count - then_count, now_amount - then_amount
    if count == 0 and amount == ZERO:
        return
    key: Key = (receivable.department_id, receivable.owner_id, receivable.due_date)
    queued: dict[Key, list[Any]] = session.info.setdefault(_QUEUED, {})
    delta = queued.setdefault(key, [0, ZERO])
    delta[0] += count
    delta[1] += amount


@event.listens_for(Session, "before_commit")
def _write_queued(session: Session) -> None:
    # A savepoint's release: the outer transaction writes the queue when it commits.
    if session.in_nested_transaction():
        return
    queued: dict[Key, list[Any]] = session.info.pop(_QUEUED, None) or {}
    deltas = [dict(zip(_KEY, key, strict=True), receivables=count, balance_base=amount)
              for key, (count, amount) in sorted(queued.items()) if count or amount]
    if not deltas:
        return
    # One row at a time, in key order (the lock order above). A receivable that starts owing may open its key's row; one that pays, or leaves,
    # finds its key's row there (it was counted in it).
    for delta in deltas:
        if delta["receivables"] > 0:
            session.execute(_upsert(session.get_bind().dialect.name), delta)
            continue
        matched = {f"k_{name}": delta[name] for name in _KEY}
        session.execute(_SUBTRACT, {**matched, "d_receivables": delta["receivables"],
                                    "d_balance_base": delta["balance_base"]})
        if delta["receivables"] < 0:
            # Nothing may be owed on the key any more: then it goes (the row is locked).
            session.execute(_DELETE_EMPTY, matched)


def _matches_key() -> Any:
    # Named apart from the columns: an UPDATE keeps the columns' names for its SET.
    return and_(*(_TABLE.c[name] == bindparam(f"k_{name}", type_=_TABLE.c[name].type)
                  for name in _KEY))


_SUBTRACT = update(_TABLE).where(_matches_key()).values(
    receivables=_TABLE.c.receivables + bindparam("d_receivables"),
    balance_base=_TABLE.c.balance_base + bindparam("d_balance_base",
                                                   type_=_TABLE.c.balance_base.type))
_DELETE_EMPTY = delete(_TABLE).where(_matches_key(), _TABLE.c.receivables == 0)


@cache
def _upsert(dialect_name: str) -> Any:
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(_TABLE)
    return insert.on_conflict_do_update(
        index_elements=[_TABLE.c[name] for name in _KEY],
        set_={"receivables": _TABLE.c.receivables + insert.excluded.receivables,
              "balance_base": _TABLE.c.balance_base + insert.excluded.balance_base})


@event.listens_for(Session, "after_transaction_end")
def _discard_queued(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without writing the queue (a rollback, a close).
    if transaction.parent is None:
        session.info.pop(_QUEUED, None)
