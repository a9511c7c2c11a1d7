"""Keyset (cursor) pagination: the cost of a page never grows with its depth."""

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import AppError
from app.core.ids import column_max

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class InvalidCursor(AppError):
    code = "pagination.invalid_cursor"
    status = 400
    title = "The cursor is not valid for this list"


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")
]
CursorQuery = Annotated[
    str | None,
    Query(max_length=512, description="Opaque cursor from the previous page's `next_cursor`."),
]


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidCursor()
    if not all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in values):
        raise InvalidCursor()
    return values


def _comparable(key: Any, value: int | str) -> bool:
    """Whether the database can compare `key` with a cursor's value: a cursor is made by us,
    but comes back from the client, who may have changed it."""
    maximum = column_max(key)
    if maximum is None:
        return isinstance(value, str) and "\x00" not in value
    return isinstance(value, int) and -maximum - 1 <= value <= maximum


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    *,
    keys: Sequence[Any],
    limit: int,
    cursor: str | None,
    descending: bool = False,
    scalars: bool = True,
) -> tuple[list[Any], str | None]:
    """One page of `statement` ordered by `keys` (the last must be unique, e.g. id).

    Returns the rows and the cursor of the next page (None on the last page).
    """
    if cursor is not None:
        after = decode_cursor(cursor, len(keys))
        if not all(map(_comparable, keys, after)):
            raise InvalidCursor()
        left = tuple_(*keys) if len(keys) > 1 else keys[0]
        right = tuple_(*after) if len(keys) > 1 else after[0]
        statement = statement.where(left < right if descending else left > right)
    order = [k.desc() if descending else k.asc() for k in keys]
    statement = statement.order_by(*order).limit(limit + 1)
    result = await session.execute(statement)
    rows = list(result.scalars().all() if scalars else result.all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    values = [getattr(last, k.key) for k in keys]
    return rows, encode_cursor(values)
