"""Keyset (cursor) pagination: the cost of a page never grows with its depth."""

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import (
    ColumnElement,
    Select,
    TypeDecorator,
    and_,
    func,
    literal,
    or_,
    select,
    tuple_,
)
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
    total: int | None = Field(default=None, description=(
        "Every row the filters match, when asked with `include_total=true`; otherwise null"))


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


# ---- sorted lists -------------------------------------------------------------------------
#
# Every list a screen shows is sorted by the fields the client picks, most significant
# first (`sort=-created_at`, `sort=-total,created_at`), with the row id as the final
# tiebreaker in the last field's direction, so the keys plus id are unique and an index on
# (scope..., key, id) serves a one-field sort both ways. The cursor carries the sort it was
# made for and the last row's key values; NULLs sort as larger than every value
# (PostgreSQL's default, so a plain index serves a nullable key too).


class CursorSortMismatch(AppError):
    code = "pagination.cursor_sort_mismatch"
    status = 400
    title = "The cursor was made for another sort"


@dataclass(frozen=True, slots=True)
class ListRequest:
    """What a client asked of a list: a page size, where to resume, the sort, and whether
    to count every matching row."""

    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    sort: str = "-created_at"
    include_total: bool = False


@dataclass(slots=True)
class Listed(Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int | None = None


IncludeTotalQuery = Annotated[bool, Query(description=(
    "Also count every row the filters match (`total`). The count reads every matching row, "
    "so it costs more the larger the list: ask for it on the first page only."))]


def _json_value(value: Any) -> Any:
    """A sort key's value as the cursor holds it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_sorted_cursor(sort: str, values: Sequence[Any]) -> str:
    """The cursor after a row whose sort key (and id) are `values`, under `sort`."""
    raw = json.dumps({"sort": sort, "after": [_json_value(v) for v in values]},
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def _python_type(column: Any) -> type | None:
    column_type = column.type
    while isinstance(column_type, TypeDecorator):  # what it stores (UTCDateTime: a datetime)
        column_type = column_type.impl_instance
    try:
        python_type: type = column_type.python_type
    except NotImplementedError:
        return None
    return python_type


def _column_value(column: Any, value: Any) -> Any:
    """A cursor's value back as the column compares it; InvalidCursor for anything we would
    not have written (the client holds the cursor and may have changed it)."""
    if value is None:
        return None
    python_type = _python_type(column)
    try:
        if python_type is datetime and isinstance(value, str):
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError(value)
            return moment
        if python_type is date and isinstance(value, str):
            return date.fromisoformat(value)
        if python_type is Decimal and isinstance(value, str):
            number = Decimal(value)
            scale = getattr(column.type, "scale", None) or 0
            precision = getattr(column.type, "precision", None) or 18
            if not number.is_finite() or abs(number) >= Decimal(10) ** (precision - scale):
                raise ValueError(value)
            return number
        if python_type is not None and issubclass(python_type, Enum) and isinstance(value, str):
            return python_type(value)
        if python_type is int and _comparable(column, value):
            return value
        if python_type is str and _comparable(column, value):
            return value
    except (ValueError, ArithmeticError) as exc:
        raise InvalidCursor() from exc
    raise InvalidCursor()


def _nullable(column: Any) -> bool:
    return bool(getattr(getattr(column, "expression", column), "nullable", False))


def _after(key: Any, tiebreaker: Any, value: Any, last_id: Any,
           descending: bool) -> ColumnElement[bool]:
    """Rows after (value, last_id) in the order (key, tiebreaker), NULL keys last ascending
    and first descending. The non-NULL case is one row comparison, which an index on
    (..., key, id) answers with a range scan."""
    bound_id = literal(last_id, tiebreaker.type)
    if value is None:
        if descending:
            return or_(and_(key.is_(None), tiebreaker < bound_id), key.is_not(None))
        return and_(key.is_(None), tiebreaker > bound_id)
    pair = tuple_(key, tiebreaker)
    bound = tuple_(literal(value, key.type), bound_id)
    if descending:
        return pair < bound  # a NULL key compares as unknown: never after a value
    after = pair > bound
    return or_(after, key.is_(None)) if _nullable(key) else after


@dataclass(frozen=True, slots=True)
class SortKey:
    column: Any
    descending: bool


def _beyond(key: SortKey, value: Any) -> ColumnElement[bool] | None:
    """Rows whose key comes strictly after `value` in the key's direction; None when none
    can (a NULL is the last value ascending)."""
    column = key.column
    if value is None:
        return column.is_not(None) if key.descending else None
    bound = literal(value, column.type)
    if key.descending:
        return column < bound  # NULLs came first, before any value
    return or_(column > bound, column.is_(None)) if _nullable(column) else column > bound


def _after_keys(keys: list[SortKey], values: list[Any]) -> ColumnElement[bool]:
    """Rows after `values` in the order of `keys` (any mix of directions and NULLable
    columns): ahead on the first key, or level on it and ahead on the next, and so on."""
    if len({k.descending for k in keys}) == 1 and not any(
            _nullable(k.column) or v is None for k, v in zip(keys, values, strict=True)):
        # One direction, no NULLs: one row comparison, which an index can range-scan.
        row = tuple_(*(k.column for k in keys))
        bound = tuple_(*(literal(v, k.column.type) for k, v in zip(keys, values, strict=True)))
        return row < bound if keys[0].descending else row > bound
    alternatives = []
    level: list[ColumnElement[bool]] = []
    for key, value in zip(keys, values, strict=True):
        beyond = _beyond(key, value)
        if beyond is not None:
            alternatives.append(and_(*level, beyond))
        level.append(key.column.is_(None) if value is None
                     else key.column == literal(value, key.column.type))
    return or_(*alternatives)


class InvalidSort(ValueError):
    """A `sort` naming a field the list does not offer, or one field twice."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class Sorts:
    """The sorts one list offers: field name → column, and the tiebreaker (the unique id).

    `Sorts("Contract", {"created_at": Contract.created_at, ...}, tiebreaker=Contract.id)`
    declares the list's `sort` parameter (a comma-separated list of its fields, each with
    `-` first for descending: a string with a `pattern` in OpenAPI, the fields named in its
    description) and `await sorts.page(session, statement, request)` runs one page."""

    def __init__(self, name: str, columns: dict[str, Any], *, tiebreaker: Any,
                 default: str = "-created_at", description: str | None = None) -> None:
        self.name = name
        self.columns = columns
        self.tiebreaker = tiebreaker
        self.keys(default)  # refuses a default the list does not offer
        self.default = default
        choice = "|".join(columns)
        self.pattern = f"^-?({choice})(,-?({choice}))*$"
        self.request = self._dependency(description or (
            f"Sort by one or more of {', '.join(f'`{f}`' for f in columns)}, comma-separated, "
            f"the most significant first, each at most once, `-` before a field for "
            f"descending (`-{next(iter(columns))}`); ties in id order. Default `{default}`."))

    def _dependency(self, description: str) -> Callable[..., Awaitable[ListRequest]]:
        longest = sum(len(field) + 2 for field in self.columns)

        async def list_request(
            limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None,
            sort: Annotated[str, Query(description=description, max_length=longest,
                                       json_schema_extra={"pattern": self.pattern})
                            ] = self.default,
            include_total: IncludeTotalQuery = False,
        ) -> ListRequest:
            try:
                self.keys(sort)
            except InvalidSort as exc:
                raise RequestValidationError([{
                    "type": "sort_invalid", "loc": ("query", "sort"), "msg": str(exc),
                    "input": sort, "ctx": {"field": exc.field, "allowed": list(self.columns)},
                }]) from exc
            return ListRequest(limit=limit, cursor=cursor, sort=sort,
                               include_total=include_total)

        return list_request

    def keys(self, sort: str) -> list[SortKey]:
        """The keys `sort` orders by, then the tiebreaker in the last one's direction
        (unless a field is the tiebreaker itself: it is unique, nothing after it counts)."""
        keys: list[SortKey] = []
        seen: set[str] = set()
        tiebreaker = getattr(self.tiebreaker, "key", None)
        for part in sort.split(","):
            field = part.removeprefix("-")
            if field not in self.columns or field in seen:
                wrong = "is named twice" if field in seen else "is not a sort of this list"
                raise InvalidSort(
                    f"`{field}` {wrong}: sort by {', '.join(self.columns)}, comma-separated, "
                    f"each at most once, `-` first for descending", field)
            seen.add(field)
            keys.append(SortKey(self.columns[field], part.startswith("-")))
        for index, key in enumerate(keys):
            if getattr(key.column, "key", None) == tiebreaker:
                return keys[:index + 1]
        return [*keys, SortKey(self.tiebreaker, keys[-1].descending)]

    def _resume(self, cursor: str, sort: str, keys: list[SortKey]) -> list[Any]:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            made = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
            raise InvalidCursor() from exc
        if not isinstance(made, dict) or not isinstance(made.get("after"), list):
            raise InvalidCursor()
        if made.get("sort") != sort:  # before its length: another sort may have more keys
            raise CursorSortMismatch(
                f"This cursor continues the list sorted by `{made.get('sort')}`, not by "
                f"`{sort}`: start again without a cursor after changing the sort.")
        if len(made["after"]) != len(keys):
            raise InvalidCursor()
        if made["after"][-1] is None:  # the tiebreaker is never NULL
            raise InvalidCursor()
        return [_column_value(k.column, v) for k, v in zip(keys, made["after"], strict=True)]

    async def page(self, session: AsyncSession, statement: Select[Any], request: ListRequest,
                   *, scalars: bool = True) -> Listed[Any]:
        """One page of `statement` in the requested order, and the count when asked."""
        # A service called with a sort of another list: a bug, not the client's mistake.
        keys = self.keys(request.sort)
        total = None
        if request.include_total:
            counted = select(func.count()).select_from(statement.order_by(None).subquery())
            total = (await session.execute(counted)).scalar_one()
        if request.cursor is not None:
            after = self._resume(request.cursor, request.sort, keys)
            statement = statement.where(self._after(keys, after))
        order = []
        for key in keys:
            clause = key.column.desc() if key.descending else key.column.asc()
            if _nullable(key.column):
                clause = clause.nulls_first() if key.descending else clause.nulls_last()
            order.append(clause)
        statement = statement.order_by(*order).limit(request.limit + 1)
        result = await session.execute(statement)
        rows = list(result.scalars().all() if scalars else result.all())
        if len(rows) <= request.limit:
            return Listed(rows, None, total)
        rows = rows[:request.limit]
        values = [getattr(rows[-1], k.column.key) for k in keys]
        return Listed(rows, encode_sorted_cursor(request.sort, values), total)

    @staticmethod
    def _after(keys: list[SortKey], after: list[Any]) -> ColumnElement[bool]:
        if len(keys) == 1:  # sorted by the id alone
            key, bound = keys[0], literal(after[0], keys[0].column.type)
            return key.column < bound if key.descending else key.column > bound
        if len(keys) == 2 and keys[0].descending == keys[1].descending:
            # One field and the id: the row comparison its (..., key, id) index serves.
            return _after(keys[0].column, keys[1].column, after[0], after[1],
                          keys[0].descending)
        return _after_keys(keys, after)
