"""The filters a list screen needs, declared once: who owns the rows, which department,
a range of days, a range of amounts, and a text search. A list takes the ones that make
sense for it (`owner_id: OwnerQuery = None`) and applies them with `where_equal` and
`where_range`; see docs/api.md "Lists"."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import Select

from app.core.schemas import FIRST_DAY, LAST_DAY

# What NUMERIC(18, 2) holds: a larger bound could not be compared on PostgreSQL.
AMOUNT_MAX = Decimal("9999999999999999.99")

OwnerQuery = Annotated[str | None, Query(max_length=128, description="The owner's user id")]
DepartmentQuery = Annotated[str | None, Query(max_length=32, description="The department id")]
DayFromQuery = Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY,
                                            description="First day, inclusive")]
DayToQuery = Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY,
                                          description="Last day, inclusive")]
AmountFromQuery = Annotated[Decimal | None, Query(
    ge=0, le=AMOUNT_MAX, decimal_places=2, description="Smallest amount, inclusive")]
AmountToQuery = Annotated[Decimal | None, Query(
    ge=0, le=AMOUNT_MAX, decimal_places=2, description="Largest amount, inclusive")]
SearchQuery = Annotated[str | None, Query(min_length=1, max_length=100, description=(
    "Text anywhere in the fields the operation names, ignoring case"))]


def where_equal(statement: Select[Any], *pairs: tuple[Any, Any]) -> Select[Any]:
    """`column = value` for each (column, value) whose value was given."""
    for column, value in pairs:
        if value is not None:
            statement = statement.where(column == value)
    return statement


def where_range(statement: Select[Any], column: Any, first: Any, last: Any, *,
                last_excluded: bool = False) -> Select[Any]:
    """`first <= column <= last` (or `< last`), each bound only when given."""
    if first is not None:
        statement = statement.where(column >= first)
    if last is not None:
        statement = statement.where(column < last if last_excluded else column <= last)
    return statement

