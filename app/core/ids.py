"""Integer ids as requests give them, bounded to the range of the columns they are compared
with: PostgreSQL refuses to bind a number beyond an INTEGER column's range (the query fails
instead of finding nothing), and SQLite any number beyond 64 bits.

In a path the id names the resource, and one beyond the range cannot exist: the answer is
the resource's own 404, the same as for any id that has no row. In a query or a body it is
a value the client chose badly: 422 like any other invalid value."""

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from sqlalchemy import BigInteger, Integer, SmallInteger

from app.core.errors import AppError

INT_MAX = 2**31 - 1  # INTEGER: the ids of the documents and reference tables
BIGINT_MAX = 2**63 - 1  # BIGINT: events, audit entries, webhook deliveries

Id = Annotated[int, Field(ge=1, le=INT_MAX)]
"""An id in a body or a query filter (422 beyond the range)."""


def path_id(not_found: Callable[[int], AppError], *, maximum: int = INT_MAX) -> AfterValidator:
    """Metadata for a path id (`Annotated[int, Path(ge=1), path_id(...)]`): a number beyond
    `maximum` raises `not_found(number)`, which should be the error (and detail) the service
    raises for a missing row, so the client cannot tell the two apart."""

    def exists_or_not_found(value: int) -> int:
        if value > maximum:
            # Not a ValueError: pydantic lets it through, and the AppError handler renders
            # it as the 404 it is rather than as a validation error.
            raise not_found(value)
        return value

    return AfterValidator(exists_or_not_found)


def column_max(column: Any) -> int | None:
    """The largest integer a column compares with on every database we run on, or None
    when it is not an integer column."""
    column_type = getattr(column, "type", None)
    if isinstance(column_type, BigInteger):
        return BIGINT_MAX
    if isinstance(column_type, SmallInteger):
        return 2**15 - 1
    if isinstance(column_type, Integer):
        return INT_MAX
    return None
