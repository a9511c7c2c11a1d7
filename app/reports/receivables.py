"""Receivables aging (账龄分析) and the collection schedule (排期清欠表), in SQL over the open
receivables (open and partially paid). Aging by rep or department sums the running rollup
of their balances per department, rep and due date (app/receivables/open_balances.py),
which answers for any as-of date as the receivables would: the buckets depend only on the
due date, and both weigh today's balances. Aging by customer and the schedule read the
receivables.

Days overdue are `as_of − due_date`. Both reports compare `due_date` with dates computed
here (as_of − 30, − 60, − 90) rather than subtract dates in SQL: the same CASE runs on
SQLite and PostgreSQL, and the comparisons can use the due-date indexes."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    case,
    func,
    literal,
    null,
    select,
    text,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import money_column_type
from app.core.money import round_money
from app.core.pagination import InvalidCursor, decode_cursor, encode_cursor
from app.core.permissions import visible
from app.core.security import Principal
from app.customers.models import Customer
from app.receivables.models import (
    DunningAction,
    DunningEntry,
    Receivable,
    ReceivableOpenBalance,
)
from app.reports.indexes import OPEN_RECEIVABLE
from app.reports.schemas import (
    AgingBuckets,
    AgingGroup,
    AgingReport,
    AgingRow,
    CollectionItem,
    CollectionSchedule,
    LastDunning,
)

# What still owes money (open, partially_paid): paid and written-off receivables do not,
# and one in write-off approval is on its way out of collection. Written into the SQL as
# the partial indexes' own predicate: PostgreSQL uses a partial index only when it can
# prove the query implies the predicate, which bound parameters (under a generic plan of
# a prepared statement) would hide.
BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")


def open_receivables(principal: Principal) -> Any:
    """The open receivables the principal may see (a rep their own, a head their
    department, a deputy GM the departments overseen, company-wide roles all)."""
    return (text(f"receivable.{OPEN_RECEIVABLE}"),
            visible(principal, owner_column=Receivable.owner_id,
                    department_column=Receivable.department_id))


def suggested_action(days_overdue: int) -> DunningAction | None:
    """The dunning ladder (001 §4(2)5): a letter for the first month, a visit for the
    second, legal steps after that."""
    if days_overdue <= 0:
        return None
    if days_overdue <= 30:
        return DunningAction.reminder_letter
    if days_overdue <= 60:
        return DunningAction.visit
    return DunningAction.legal


def _day(value: date) -> Any:
    return literal(value, type_=Date())


def _bucket_sums(as_of: date, *, due: Any, amount: Any) -> list[Any]:
    """The five buckets of `amount` by days overdue on `as_of`: due on or after it is
    current; 1–30 days is a due date from as_of − 30 to as_of − 1, and so on."""
    d30, d60, d90 = (as_of - timedelta(days=n) for n in (30, 60, 90))
    bucket = case((due >= _day(as_of), literal("current")),
                  (due >= _day(d30), literal("days_1_30")),
                  (due >= _day(d60), literal("days_31_60")),
                  (due >= _day(d90), literal("days_61_90")),
                  else_=literal("over_90"))
    money = money_column_type()
    return [type_coerce(func.coalesce(func.sum(case((bucket == name, amount))), 0),
                        money).label(name)
            for name in BUCKETS]


def _buckets(model: type, row: Any, **extra: Any) -> Any:
    amounts = {name: round_money(row[name] or 0) for name in BUCKETS}
    overdue = sum((amounts[name] for name in BUCKETS[1:]), start=round_money(0))
    return model(receivables=int(row["receivables"] or 0), **amounts, overdue=overdue,
                 total=amounts["current"] + overdue, **extra)


async def aging(session: AsyncSession, principal: Principal, *, as_of: date,
                group_by: AgingGroup, department_id: str | None, limit: int,
                cursor: str | None) -> AgingReport:
    """One page of groups (ordered by their key) and the total over all of them."""
    # One pass over what is owed: every group, then the page of them and their total,
    # summed per group and due date first, then bucketed: the CASE runs once per due date
    # of a group, not once per receivable.
    by_due = (_owed_by_rep(principal, group_by, department_id) if group_by != "customer"
              else _owed_by_customer(principal, department_id)).subquery("by_due")
    groups = (select(by_due.c.key,
                     *_bucket_sums(as_of, due=by_due.c.due_date, amount=by_due.c.amount),
                     func.sum(by_due.c.receivables).label("receivables"))
              .group_by(by_due.c.key).cte("aging_groups"))
    figures = (*BUCKETS, "receivables")
    page_query = select(groups, func.row_number().over(order_by=groups.c.key).label("place"))
    if cursor is not None:
        page_query = page_query.where(groups.c.key > _cursor_key(cursor, group_by))
    page = page_query.order_by(groups.c.key).limit(limit + 1).subquery("page")
    money = money_column_type()
    statement = union_all(
        select(literal("total").label("level"), type_coerce(null(), by_due.c.key.type).label("key"),
               *(type_coerce(func.coalesce(func.sum(groups.c[name]), 0),
                             money if name in BUCKETS else Integer()).label(name)
                 for name in figures),
               literal(0).label("place")),
        select(literal("group"), page.c.key, *(page.c[name] for name in figures),
               page.c.place))
    found = (await session.execute(statement)).mappings().all()
    total_row = next(row for row in found if row["level"] == "total")
    rows = sorted((row for row in found if row["level"] == "group"),
                  key=lambda row: row["place"])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor([group_by, rows[-1]["key"]])
    names: dict[int | None, str] = {}
    if group_by == "customer" and rows:
        names = dict((await session.execute(
            select(col(Customer.id), col(Customer.name))
            .where(col(Customer.id).in_([row["key"] for row in rows])))).all())
    items = [_buckets(AgingRow, row, key=str(row["key"]), customer_name=names.get(row["key"]))
             for row in rows]
    return AgingReport(as_of=as_of, group_by=group_by, total=_buckets(AgingBuckets, total_row),
                       items=items, next_cursor=next_cursor)


def _owed_by_rep(principal: Principal, group_by: AgingGroup,
                 department_id: str | None) -> Any:
    """Per rep or department and due date, from the rollup of open balances
    (open_balances.py): a few thousand rows for a department, however many it owes on."""
    rollup = ReceivableOpenBalance
    key = col(rollup.owner_id) if group_by == "owner" else col(rollup.department_id)
    statement: Any = (
        select(key.label("key"), col(rollup.due_date).label("due_date"),
               func.sum(rollup.balance_base).label("amount"),
               func.sum(rollup.receivables).label("receivables"))
        .where(visible(principal, owner_column=rollup.owner_id,
                       department_column=rollup.department_id)))
    if department_id is not None:
        statement = statement.where(col(rollup.department_id) == department_id)
    return statement.group_by(key, col(rollup.due_date))


def _owed_by_customer(principal: Principal, department_id: str | None) -> Any:
    """Per customer and due date, from the open receivables themselves (through the
    covering index of a department's open items): the rollup does not key customers, whose
    invoices may each have a due date of their own."""
    key = col(Receivable.customer_id)
    statement: Any = (
        select(key.label("key"), col(Receivable.due_date).label("due_date"),
               func.sum(Receivable.balance_base).label("amount"),
               func.count().label("receivables"))
        .where(*open_receivables(principal)))
    if department_id is not None:
        statement = statement.where(col(Receivable.department_id) == department_id)
    return statement.group_by(key, col(Receivable.due_date))


def _cursor_key(cursor: str, group_by: AgingGroup) -> int | str:
    """The last key of the previous page, from a cursor of the same grouping."""
    grouping, key = decode_cursor(cursor, 2)
    valid = isinstance(key, int) and 0 < key < 2**31 if group_by == "customer" \
        else isinstance(key, str) and "\x00" not in key
    if grouping != group_by or not valid:
        raise InvalidCursor()
    return key


async def collection_schedule(session: AsyncSession, principal: Principal, *, on: date,
                              owner_id: str | None, department_id: str | None, limit: int,
                              cursor: str | None) -> CollectionSchedule:
    """The open receivables due on or before `on`, per rep, the most overdue first (the
    earliest due date), then by id; pages follow the index on (owner, due date, id)."""
    order = (col(Receivable.owner_id), col(Receivable.due_date), col(Receivable.id))
    statement = (
        select(Receivable, col(Customer.name))
        .join(Customer, col(Customer.id) == Receivable.customer_id)
        .where(*open_receivables(principal), col(Receivable.due_date) <= _day(on)))
    if owner_id is not None:
        statement = statement.where(col(Receivable.owner_id) == owner_id)
    if department_id is not None:
        statement = statement.where(col(Receivable.department_id) == department_id)
    if cursor is not None:
        after_owner, after_due, after_id = _schedule_cursor(cursor)
        statement = statement.where(tuple_(*order) > tuple_(
            literal(after_owner, type_=String()), _day(after_due), literal(after_id)))
    statement = statement.order_by(*order).limit(limit + 1)
    rows = list((await session.execute(statement)).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = encode_cursor([last.owner_id, last.due_date.isoformat(), last.id])
    latest = await _last_dunning(session, [receivable.id for receivable, _ in rows])
    items = []
    for receivable, customer_name in rows:
        days = (on - receivable.due_date).days
        items.append(CollectionItem(
            receivable_id=receivable.id, number=receivable.number,
            customer_id=receivable.customer_id, customer_name=customer_name,
            owner_id=receivable.owner_id, department_id=receivable.department_id,
            invoice_number=receivable.invoice_number, due_date=receivable.due_date,
            days_overdue=days, currency=receivable.currency, balance=receivable.balance,
            balance_base=receivable.balance_base, last_dunning=latest.get(receivable.id),
            suggested_action=suggested_action(days)))
    return CollectionSchedule(date=on, items=items, next_cursor=next_cursor)


def _schedule_cursor(cursor: str) -> tuple[str, date, int]:
    owner, due, receivable_id = decode_cursor(cursor, 3)
    try:
        due_date = date.fromisoformat(due) if isinstance(due, str) else None
    except ValueError:
        due_date = None
    if not isinstance(owner, str) or "\x00" in owner or due_date is None \
            or not isinstance(receivable_id, int) or not 0 < receivable_id < 2**31:
        raise InvalidCursor()
    return owner, due_date, receivable_id


async def _last_dunning(session: AsyncSession,
                        receivable_ids: list[int | None]) -> dict[int | None, LastDunning]:
    """The latest dunning entry of each receivable of the page (one query for the page)."""
    if not receivable_ids:
        return {}
    latest_ids = (select(func.max(DunningEntry.id))
                  .where(col(DunningEntry.receivable_id).in_(receivable_ids))
                  .group_by(col(DunningEntry.receivable_id)))
    entries = (await session.execute(
        select(DunningEntry).where(col(DunningEntry.id).in_(latest_ids)))).scalars().all()
    return {entry.receivable_id: LastDunning(
        action=entry.action, at=entry.created_at, days_overdue=entry.days_overdue,
        promised_on=entry.promised_on, recorded_by=entry.recorded_by) for entry in entries}
