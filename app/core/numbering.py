"""Business document numbers (单据编号): `HT-2026-000123` for contracts, `BJ-2026-000001` for
quotes, and the same for orders (DD), deliveries (FH), receivables (YS), payments (HK),
complaints (TS) and customer visits (BF).

A number is `{prefix}-{year}-{sequence}`: the kind's prefix (SALESFLOW_NUMBER_PREFIXES), the
year of the creation date, and the next value of that kind's counter for that year,
zero-padded to six digits (a seventh appears after 999,999, and the number stays unique).

Gap-free. The counter is a row of `document_counter`, keyed by (kind, year), which
`next_number` increments in the creating command's own transaction with one statement
(INSERT ... ON CONFLICT DO UPDATE ... RETURNING, on both databases). The number is therefore
part of the command's unit of work: if the command fails and rolls back, the increment rolls
back with it and the next creation gets the same number. A database sequence would not do:
sequences are never rolled back, so every failed or refused creation would leave a hole
in the series, which auditors and tax officers read as a document destroyed.

No global lock. The row lock the increment takes is held until the command commits, so
creations of the same kind in the same year queue on it, one after another: that queue is
what makes the numbers consecutive in commit order. Nothing else waits on it: a contract
and a quote, or a contract of 2026 and one of 2027, lock different rows and run in
parallel, and no other write touches the counter table. Commands should call
`next_number` as late as they can, right before inserting the document (after their
checks and other reads), so the lock is held only for the insert and the commit.
(On SQLite every write transaction takes the database's single write lock at BEGIN
IMMEDIATE, so there all writers queue anyway; the counter adds nothing to that.)

The year is the year of `on`, the creation date, which the caller gives in the company's
time zone (`app.calendar.working_time.local_date(now)`, Asia/Shanghai by default): a
contract drafted at 00:30 on 1 January Beijing time is numbered in the new year although
it is still 31 December in UTC. The kernel knows no time zone of its own, so one setting
(the calendar's) decides it for deadlines, quote validity and numbers alike.

A prefix changed in the settings applies to numbers taken from then on; the counter is per
kind and year, not per prefix, so the sequence carries on (HT-2026-000123, then
XSHT-2026-000124) and no number can repeat. Numbers already given are never rewritten.

Revisions (a contract's amendments, a quote's revisions) keep the number of the first
version: a company keeps a contract's number for its whole life. Those tables are unique
on (number, revision), and reads show both.

Adopting it in a new document (orders, deliveries, receivables, complaints):

1. The column, in the model:
   `number: str = Field(max_length=NUMBER_LENGTH, unique=True)` (or a
   `UniqueConstraint("number", "revision")` when the document has revisions). The unique
   constraint is also the index `?number=` searches use.
2. In the creating command, right before the document is added and flushed:
   `order.number = await next_number(session, "order", on=local_date(now))`.
3. Show `number` on the read schema, in the audit snapshot / summary and in the event
   payload (and in its schema in app/webhooks/catalog.py).
4. The list filter: a `number: NumberQuery = None` parameter on the route, passed to the
   service, which adds `.where(number_is(Order.number, number))` (exact match, normalised).
5. A migration adding the column; when the table already has rows, number them the way
   migrations/versions/*_document_numbers.py does, then make it NOT NULL.

The kinds and their default prefixes are `DEFAULT_NUMBER_PREFIXES` in app/core/config.py.
"""

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import CheckConstraint, ColumnElement, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlalchemy.sql.dml import ReturningInsert
from sqlmodel import Field, SQLModel

from app.core.config import get_settings

# Prefix (10) + year (4) + the sequence (6, up to 10 for an INTEGER) + two hyphens, rounded up.
NUMBER_LENGTH = 32
SEQUENCE_DIGITS = 6
_NUMBER = re.compile(r"([A-Z][A-Z0-9]*)-(\d{4})-(\d+)")


class DocumentCounter(SQLModel, table=True):
    """The last number given for one document kind in one year (locked while a creation
    that took the next one is still open)."""

    __tablename__ = "document_counter"
    __table_args__ = (CheckConstraint("last_value > 0", name="last_value_positive"),)

    kind: str = Field(primary_key=True, max_length=32)
    year: int = Field(primary_key=True)
    last_value: int


async def next_number(session: AsyncSession, kind: str, *, on: date) -> str:
    """Take the next number of `kind` for the year of `on` (the creation date in the
    company's time zone), in the session's transaction: it is the caller's if and only if
    the caller commits. Holds the (kind, year) counter's lock until then."""
    prefixes = get_settings().number_prefixes
    if kind not in prefixes:
        raise ValueError(f"no number prefix for document kind {kind!r}: add it to "
                         "DEFAULT_NUMBER_PREFIXES in app/core/config.py")
    value = (await session.execute(_increment(session, kind, on.year))).scalar_one()
    return format_number(prefixes[kind], on.year, value)


def _increment(session: AsyncSession, kind: str, year: int) -> ReturningInsert[Any]:
    counter: Table = DocumentCounter.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return (insert(counter).values(kind=kind, year=year, last_value=1)
            .on_conflict_do_update(index_elements=[counter.c.kind, counter.c.year],
                                   set_={"last_value": counter.c.last_value + 1})
            .returning(counter.c.last_value))


def format_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year:04d}-{value:0{SEQUENCE_DIGITS}d}"


def normalise_number(text: str) -> str:
    """A number as someone may type it, in the form it is stored: trimmed, upper-case, the
    sequence zero-padded (`ht-2026-123` -> `HT-2026-000123`)."""
    typed = text.strip().upper()
    parts = _NUMBER.fullmatch(typed)
    if parts is None:
        return typed
    prefix, year, sequence = parts.groups()
    return format_number(prefix, int(year), int(sequence))


def number_is(column: Mapped[str] | ColumnElement[str], text: str) -> ColumnElement[bool]:
    """The list filter `?number=`: exact match on the normalised number (served by the
    column's unique index). No prefix or partial match: `HT-2026-` would ask for a year's
    documents, which a date filter answers better, and a pattern match could not use the
    index on PostgreSQL without an operator class of its own."""
    return column == normalise_number(text)


# Every character a number can hold, lowered: a prefix (NUMBER_PREFIX), the year, the
# sequence and the hyphens.
_NUMBER_TEXT = re.compile(r"[a-z0-9-]+")


def number_searched(term: str, column: Any) -> tuple[Any, ...]:
    """The number `column` among the columns a `?q=` of `term` searches, unless `term` has a
    character no number has (Chinese, a space): it would match no number, and on
    PostgreSQL the number's grams, the same few letters and digits in every row, make the
    planner guess that a gram missing from them is in 1 row of 200 (its default for an
    element it has not seen): a rare Chinese term then read every contract newest first
    (400 ms over 200,000) instead of the other columns' indexes (1 ms)."""
    return (column,) if _NUMBER_TEXT.fullmatch(term.lower()) else ()


NumberQuery = Annotated[str | None, Query(
    max_length=64, examples=["HT-2026-000123"],
    description="The business number, exactly (case and the sequence's leading zeros do "
                "not matter)")]
