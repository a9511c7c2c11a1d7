"""The running rollup of the funnel (`lead_funnel_day`, and `lead_funnel_month` beside it):
per company calendar day (and month) of a lead's creation, department and rep, how many
leads there are, how many were qualified, converted into an opportunity and won, and the
opportunities' amounts. The funnel report sums these rows instead of every lead: a range's
whole months from the months, its other days from the days (a year is ~12–40 rows per rep).

What a lead counts for depends on the lead (creation day, department, rep, qualification)
and on its opportunity (amount, stage, amount won), and many commands change those: lead
create and import, qualify, assign (rep or department), convert, opportunity update,
stage moves, win, lose. Rather than each command reckoning its own difference, the rollup
follows the ORM: a flush that creates, changes or deletes a lead or an opportunity in a
field the funnel reads marks the lead, and the figures of each marked lead are read from
the database twice, before the transaction first changed it and at the commit; the
difference is written to the rollup by a `before_commit` hook, in the command's
transaction, so the rollup commits with the change or not at all. ORM bulk `UPDATE` and
`DELETE` statements on the two tables are followed too (`do_orm_execute`); plain SQL on
them is not, and must rebuild the rollup (as the migration that made it does).

Concurrency. The "before" figures are read after locking the marked leads' rows (in id
order), and those locks are held to the commit, so no other transaction changes a marked
lead's figures in between: the difference is exact. An opportunity's change locks its
lead as well: a win and a reassignment of the same lead thus queue, instead of each
moving the won amount from its own, stale, idea of the lead's key.

Lock order. A command takes its own locks (the lead or opportunity it loads for update),
then the marked leads' rows at its flushes, then the rollup rows at the commit, the days'
then the months', each in key order: those are its last locks, held only to the commit, so
a transaction holding a rollup row waits only for rollup rows further in that order: no
deadlock (the same reasoning
as app/receivables/open_balances.py). A savepoint keeps the "before" figures of the leads it
marked: they are the state before the transaction, which a savepoint's rollback restores.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, event, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from app.calendar.working_time import local_date
from app.leads.models import POOL, Lead, LeadFunnelDay, LeadFunnelMonth
from app.opportunities.models import Opportunity, OpportunityStage

ZERO = Decimal("0.00")
_BEFORE = "lead_funnel_day.before"
_LEAD: Table = Lead.__table__  # type: ignore[attr-defined]
_OPPORTUNITY: Table = Opportunity.__table__  # type: ignore[attr-defined]
FIGURES = ("leads", "qualified", "opportunities", "opportunity_amount", "won", "won_amount")
# What the funnel reads of each: a change elsewhere (a note, a contact time) moves nothing.
_LEAD_FIELDS = ("created_at", "department_id", "owner_id", "qualified_at")
_OPPORTUNITY_FIELDS = ("lead_id", "expected_amount", "stage", "won_amount")
_CHUNK = 500  # ids per IN list

Key = tuple[date, str, str]


@dataclass(frozen=True)
class Counted:
    """What one lead counts for in the rollup, and under which key."""

    key: Key
    figures: tuple[int | Decimal, ...]  # in FIGURES order


def counted(*, created_at: datetime, department_id: str, owner_id: str | None,
            qualified_at: datetime | None, opportunity_id: int | None,
            expected_amount: Decimal | None, stage: str | None,
            won_amount: Decimal | None) -> Counted:
    won = opportunity_id is not None and stage == OpportunityStage.won
    return Counted(
        key=(local_date(created_at), department_id, owner_id or POOL),
        figures=(1, int(qualified_at is not None), int(opportunity_id is not None),
                 expected_amount if opportunity_id is not None and expected_amount else ZERO,
                 int(won), (won_amount or ZERO) if won else ZERO))


def _lead_rows(session: Session, lead_ids: list[int]) -> Iterable[Any]:
    # Plain rows through Core: the ORM's objects in the session are left alone.
    for start in range(0, len(lead_ids), _CHUNK):
        chunk = lead_ids[start:start + _CHUNK]
        yield from session.execute(
            select(_LEAD.c.id, _LEAD.c.created_at, _LEAD.c.department_id, _LEAD.c.owner_id,
                   _LEAD.c.qualified_at, _OPPORTUNITY.c.id.label("opportunity_id"),
                   _OPPORTUNITY.c.expected_amount, _OPPORTUNITY.c.stage,
                   _OPPORTUNITY.c.won_amount)
            .select_from(_LEAD.outerjoin(_OPPORTUNITY, _OPPORTUNITY.c.lead_id == _LEAD.c.id))
            .where(_LEAD.c.id.in_(chunk)))


def figures_of(session: Session, lead_ids: list[int]) -> dict[int, Counted]:
    """What each of these leads counts for now (a lead that does not exist: nothing)."""
    return {row.id: counted(**{name: getattr(row, name) for name in (
        "created_at", "department_id", "owner_id", "qualified_at", "opportunity_id",
        "expected_amount", "stage", "won_amount")}) for row in _lead_rows(session, lead_ids)}


def _mark(session: Session, lead_ids: Iterable[int | None]) -> None:
    """Record, once per transaction, what these leads counted for before it changed them,
    with their rows locked to the commit."""
    before: dict[int, Counted | None] = session.info.setdefault(_BEFORE, {})
    new = sorted({lead_id for lead_id in lead_ids if lead_id is not None} - before.keys())
    if not new:
        return
    for start in range(0, len(new), _CHUNK):  # in id order: the lock order among leads
        session.execute(select(_LEAD.c.id).where(_LEAD.c.id.in_(new[start:start + _CHUNK]))
                        .order_by(_LEAD.c.id).with_for_update())
    now = figures_of(session, new)
    for lead_id in new:
        before[lead_id] = now.get(lead_id)


def _changed(instance: Any, fields: tuple[str, ...]) -> bool:
    attributes = inspect(instance).attrs
    return any(attributes[name].history.has_changes() for name in fields)


def _lead_ids_of(opportunity: Opportunity) -> list[int | None]:
    # The lead it belongs to now and, if it moved, the one it left.
    history = inspect(opportunity).attrs["lead_id"].history
    return [*history.added, *history.unchanged, *history.deleted]


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    marked: list[int | None] = []
    for instance in (*session.dirty, *session.deleted):
        deleted = instance in session.deleted
        if isinstance(instance, Lead) and (deleted or _changed(instance, _LEAD_FIELDS)):
            marked.append(instance.id)
        elif isinstance(instance, Opportunity) and (
                deleted or _changed(instance, _OPPORTUNITY_FIELDS)):
            marked.extend(_lead_ids_of(instance))
    for instance in session.new:
        if isinstance(instance, Opportunity):
            marked.append(instance.lead_id)
    _mark(session, marked)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: UOWTransaction) -> None:
    # A new lead has its id now; it counted for nothing before.
    before: dict[int, Counted | None] = session.info.setdefault(_BEFORE, {})
    for instance in session.new:
        if isinstance(instance, Lead) and instance.id is not None:
            before.setdefault(instance.id, None)


@event.listens_for(Session, "do_orm_execute")
def _follow_statement(state: ORMExecuteState) -> Any:
    """Statements that write the two tables outside a flush: the Core INSERT … SELECT
    that creates leads and opportunities in an active department only
    (app/departments/service.py), and bulk UPDATE or DELETE."""
    if state.is_select:
        return None
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in (_LEAD.name, _OPPORTUNITY.name):
        return None
    session = state.session
    if state.is_insert:
        if name == _OPPORTUNITY.name:  # the lead it converts gains an opportunity
            _mark(session, [row.get("lead_id") for row in _parameter_rows(state)])
            return None
        # A new lead counted for nothing before; its id comes back from RETURNING.
        statement: Any = state.statement
        returned = {column["name"] for column in statement.returning_column_descriptions}
        if "id" not in returned:
            raise RuntimeError("An INSERT INTO lead outside the ORM must return the new ids "
                               "(RETURNING id) for the funnel's rollup to count them.")
        result = state.invoke_statement().freeze()
        before: dict[int, Counted | None] = session.info.setdefault(_BEFORE, {})
        for row in result().mappings():
            if row.get("id") is not None:
                before.setdefault(row["id"], None)
        return result()
    if state.is_update or state.is_delete:
        key = _LEAD.c.id if name == _LEAD.name else _OPPORTUNITY.c.lead_id
        where = state.statement.whereclause  # type: ignore[attr-defined]
        statement = select(key).select_from(key.table)
        if where is not None:
            statement = statement.where(where)
        _mark(session, list(session.execute(statement, state.parameters).scalars()))
    return None


def _parameter_rows(state: ORMExecuteState) -> list[dict[str, Any]]:
    parameters: Any = state.parameters
    if isinstance(parameters, dict):
        return [parameters]
    return list(parameters or [])


@event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    # A savepoint's release: the outer transaction writes the rollup when it commits.
    if session.in_nested_transaction():
        return
    if any(isinstance(instance, (Lead, Opportunity))
           for instance in (*session.new, *session.dirty, *session.deleted)):
        # The commit's own flush comes after this hook: mark its leads now. Only then, so
        # that other commits keep the fastpath journal's order (its writes before the
        # commit's flush, app/core/fastpath).
        session.flush()
    before: dict[int, Counted | None] = session.info.pop(_BEFORE, None) or {}
    if not before:
        return
    deltas: dict[Key, list[Any]] = {}
    months: dict[Key, list[Any]] = {}
    for sign, leads in ((-1, before), (1, figures_of(session, sorted(before)))):
        for lead in leads.values():
            if lead is None:
                continue
            day, department_id, owner_id = lead.key
            for summed in (deltas.setdefault(lead.key, [0, 0, 0, ZERO, 0, ZERO]),
                           months.setdefault((day.replace(day=1), department_id, owner_id),
                                             [0, 0, 0, ZERO, 0, ZERO])):
                for index, value in enumerate(lead.figures):
                    summed[index] += sign * value
    dialect = session.get_bind().dialect.name
    # The days, then the months: each table's rows in key order (the lock order above).
    for rollup, changes in ((_DAYS, deltas), (_MONTHS, months)):
        rollup.apply(session, dialect, changes)


class _Rollup:
    """One of the two rollup tables and the statements that add a difference to it."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.key = tuple(column.name for column in table.primary_key.columns)
        matches = and_(*(table.c[name] == bindparam(f"k_{name}", type_=table.c[name].type)
                         for name in self.key))  # named apart: an UPDATE's SET keeps the names
        self.add = update(table).where(matches).values(
            {name: table.c[name] + bindparam(f"d_{name}", type_=table.c[name].type)
             for name in FIGURES})
        self.delete_empty = delete(table).where(matches, table.c.leads == 0)
        self.upserts = {name: self._upsert(dialect)
                        for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}

    def _upsert(self, dialect: Any) -> Any:
        insert = dialect.insert(self.table)
        return insert.on_conflict_do_update(
            index_elements=[self.table.c[name] for name in self.key],
            set_={name: self.table.c[name] + insert.excluded[name] for name in FIGURES})

    def apply(self, session: Session, dialect: str, deltas: dict[Key, list[Any]]) -> None:
        # One row at a time, in key order. A key that gains a lead may open its row; any
        # other change finds the key's row there (its leads are counted in it).
        for key in sorted(deltas):
            delta = dict(zip(FIGURES, deltas[key], strict=True))
            if not any(delta.values()):
                continue
            keyed = dict(zip(self.key, key, strict=True))
            if delta["leads"] > 0:
                session.execute(self.upserts[dialect], {**keyed, **delta})
                continue
            matched = {f"k_{name}": value for name, value in keyed.items()}
            session.execute(self.add, {**matched,
                                       **{f"d_{name}": delta[name] for name in FIGURES}})
            if delta["leads"] < 0:
                # The key may have no lead left: then its row goes (it is locked).
                session.execute(self.delete_empty, matched)


_DAYS = _Rollup(LeadFunnelDay.__table__)  # type: ignore[attr-defined]
_MONTHS = _Rollup(LeadFunnelMonth.__table__)  # type: ignore[attr-defined]


@event.listens_for(Session, "after_transaction_end")
def _discard(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without writing the rollup (a rollback, a close).
    if transaction.parent is None:
        session.info.pop(_BEFORE, None)
