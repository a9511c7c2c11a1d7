"""The running monthly totals of sales and collections (`sales_month_total`), per department,
rep and company calendar month: what plan progress and the deviation report sum instead of
reading every order and payment of their period. A rep has a row per month, however many
orders they confirm in it.

What counts is what those reports counted on the raw rows. An order counts, with its total
in CNY, in the month (Asia/Shanghai) of its `confirmed_at` for the rep who owns it and the
department it was sold in, from its confirmation until it is cancelled; delivered,
returned or closed it still counts (returns credit the receivable, not the sale). A
confirmed order's amount, rep and department do not change (a customer given to another
rep leaves its orders and payments with the rep who made them). A payment counts, with its
amount in CNY, in the month of its `received_on` for its rep and department; payments are
never changed or removed. Payments live in receivables, which builds on orders: the
rollup is kept here so that both can reach it without a loop between the folders.

Every command that makes an order count or stop counting calls `track_order` with what
the order counted before (`counted(order)` before the change), every payment recorded
calls `track_payment`; the difference is queued on the session and written by a
`before_commit` hook, in the command's transaction, so the rollup commits with the change
or not at all.

Lock order, as the open-balance rollup (app/receivables/open_balances.py): the rows are
written at the commit, the last locks a command takes, and one command takes its rows in
key order. A transaction holding a row thus waits only for rows further in that order,
never for a lock that a transaction waiting for its row holds: no deadlock. A rep's row of
the month is held only from the upsert to the commit, so two of their orders confirmed at
once queue on it for that moment only, and the upsert adds to what the other committed
(no lost update). A savepoint's commit writes nothing (the queue waits for the outermost
commit), and a rollback of the outermost transaction drops it.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, event, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction

from app.calendar.working_time import local_date
from app.orders.models import Order, OrderStatus, SalesMonthTotal

ZERO = Decimal("0.00")
_QUEUED = "sales_month_total.deltas"
_TABLE: Table = SalesMonthTotal.__table__  # type: ignore[attr-defined]
_KEY = ("department_id", "owner_id", "month")
_FIGURES = ("orders", "confirmed_base", "payments", "collected_base")

Key = tuple[str, str, date]  # department, rep, the month's first day


@dataclass(frozen=True)
class Counted:
    """Where an order counts, and for how much."""

    key: Key
    amount: Decimal


def month_of(day: date) -> date:
    return day.replace(day=1)


def counted(order: Order, *, status: OrderStatus | None = None,
            confirmed_at: datetime | None = None) -> Counted | None:
    """Where `order` counts (None: nowhere), with the new status and confirmation instant
    given when they are not yet written on it."""
    status = status or order.status
    confirmed_at = confirmed_at or order.confirmed_at
    if confirmed_at is None or status == OrderStatus.cancelled:
        return None
    return Counted((order.department_id, order.owner_id, month_of(local_date(confirmed_at))),
                   order.total_base)


def track_order(session: Any, order: Order, was: Counted | None, *,
                status: OrderStatus | None = None, confirmed_at: datetime | None = None) -> None:
    """Queue the change of where `order` counts since `was` (what `counted` gave before the
    change) for the commit."""
    now = counted(order, status=status, confirmed_at=confirmed_at)
    if now == was:
        return
    if was is not None:
        _queue(session, was.key, (-1, -was.amount, 0, ZERO))
    if now is not None:
        _queue(session, now.key, (1, now.amount, 0, ZERO))


def track_payment(session: Any, *, department_id: str, owner_id: str, received_on: date,
                  amount_base: Decimal) -> None:
    """Queue a payment just recorded for the commit."""
    _queue(session, (department_id, owner_id, month_of(received_on)), (0, ZERO, 1, amount_base))


def _queue(session: Any, key: Key, delta: tuple[int, Decimal, int, Decimal]) -> None:
    queued: dict[Key, list[Any]] = session.info.setdefault(_QUEUED, {})
    figures = queued.setdefault(key, [0, ZERO, 0, ZERO])
    for index, value in enumerate(delta):
        figures[index] += value


@event.listens_for(Session, "before_commit")
def _write_queued(session: Session) -> None:
    # A savepoint's release: the outer transaction writes the queue when it commits.
    if session.in_nested_transaction():
        return
    queued: dict[Key, list[Any]] = session.info.pop(_QUEUED, None) or {}
    # One row at a time, in key order (the lock order above). What only adds may open its
    # key's row; what takes away finds its key's row there (it was counted in it).
    for key, figures in sorted(queued.items()):
        if not any(figures):
            continue
        row = dict(zip(_KEY, key, strict=True))
        if figures[0] >= 0 and figures[2] >= 0:
            session.execute(_upsert(session.get_bind().dialect.name),
                            {**row, **dict(zip(_FIGURES, figures, strict=True))})
            continue
        matched = {f"k_{name}": value for name, value in row.items()}
        updated = session.execute(_ADD, {**matched, **{f"d_{name}": value for name, value
                                                       in zip(_FIGURES, figures, strict=True)}})
        if updated.rowcount != 1:  # type: ignore[attr-defined]
            raise LookupError(f"sales_month_total has no row {key} to take {figures} from")
        # The last order of the key may have gone: then the row goes (it is locked).
        session.execute(_DELETE_EMPTY, matched)


def _matches_key() -> Any:
    # Named apart from the columns: an UPDATE keeps the columns' names for its SET.
    return and_(*(_TABLE.c[name] == bindparam(f"k_{name}", type_=_TABLE.c[name].type)
                  for name in _KEY))


_ADD = update(_TABLE).where(_matches_key()).values(
    {name: _TABLE.c[name] + bindparam(f"d_{name}", type_=_TABLE.c[name].type)
     for name in _FIGURES})
_DELETE_EMPTY = delete(_TABLE).where(_matches_key(), _TABLE.c.orders == 0,
                                     _TABLE.c.payments == 0)


@cache
def _upsert(dialect_name: str) -> Any:
    # Adds to the row, or opens it. Only for deltas that take nothing away: the databases
    # check the CHECK constraints on the row proposed for insertion before the conflict.
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert(_TABLE)
    return insert.on_conflict_do_update(
        index_elements=[_TABLE.c[name] for name in _KEY],
        set_={name: _TABLE.c[name] + insert.excluded[name] for name in _FIGURES})


@event.listens_for(Session, "after_transaction_end")
def _discard_queued(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without writing the queue (a rollback, a close).
    if transaction.parent is None:
        session.info.pop(_QUEUED, None)


# ---- filling it from the raw rows ----------------------------------------------------------

def _month_sql(dialect_name: str, column: str, *, instant: bool) -> str:
    if dialect_name == "postgresql":
        local = f"({column} AT TIME ZONE 'Asia/Shanghai')" if instant else column
        return f"CAST(date_trunc('month', {local}) AS date)"
    # SQLite holds instants as naive UTC text; Asia/Shanghai has kept UTC+8 since 1991.
    # Cut to the second first: SQLite rounds microseconds to milliseconds, which would
    # carry 23:59:59.9995 and later of a last day over into the next month.
    if instant:
        return f"date(substr({column}, 1, 19), '+8 hours', 'start of month')"
    return f"date({column}, 'start of month')"


def backfill_sql(dialect_name: str) -> str:
    """The rollup computed afresh from every order and payment (the migration that created
    the table ran this; bench loaders that insert rows in bulk run it after)."""
    confirmed = _month_sql(dialect_name, "confirmed_at", instant=True)
    received = _month_sql(dialect_name, "received_on", instant=False)
    return (
        "INSERT INTO sales_month_total (department_id, owner_id, month, orders, "
        "confirmed_base, payments, collected_base) "
        "SELECT department_id, owner_id, month, sum(orders), sum(confirmed_base), "
        "sum(payments), sum(collected_base) FROM ("
        f"SELECT department_id, owner_id, {confirmed} AS month, count(*) AS orders, "
        "sum(total_base) AS confirmed_base, 0 AS payments, 0 AS collected_base "
        "FROM sales_order WHERE confirmed_at IS NOT NULL AND status <> 'cancelled' "
        "GROUP BY department_id, owner_id, month "
        f"UNION ALL SELECT department_id, owner_id, {received} AS month, 0, 0, count(*), "
        "sum(amount_base) FROM payment GROUP BY department_id, owner_id, month"
        ") AS raw GROUP BY department_id, owner_id, month")


async def rebuild(session: Any) -> None:
    """Replace the rollup by one computed from the raw rows, in the caller's transaction."""
    dialect_name = session.get_bind().dialect.name
    await session.execute(delete(_TABLE))
    await session.execute(text(backfill_sql(dialect_name)))
