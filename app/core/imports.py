"""Spreadsheet imports (customers, leads): an XLSX or CSV upload, one record per row,
each row validated by the same schema and written by the same service as a single create.

All or nothing: every row is tried, each inside its own savepoint, so one bad row does not
hide the others; if any row fails nothing is kept and the answer (422
`import.rows_invalid`) lists every failure by row number, field, code and message in the
caller's language. `dry_run=true` does the same work, always rolls back, and answers the
report (200) — a client checks a file with it before importing for real. Warnings (a
customer that looks like one already registered) never stop an import.

Columns are named by their Chinese or English header (or the API field name); an unknown
header is refused rather than silently dropped. A CSV may be UTF-8 (with or without a BOM)
or GB18030, which is what Excel writes for "CSV" on a Chinese Windows.
"""

import csv
import io
import zipfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import openpyxl
from fastapi import File, Query, UploadFile
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import commit
from app.core.errors import AppError
from app.core.i18n import Language, current_language
from app.core.messages import Text, problem_text, validation_message

Input = TypeVar("Input", bound=BaseModel)

# More rows than a person checks by eye in one file; larger loads belong to the ERP link.
MAX_IMPORT_ROWS = 5000

UploadParam = Annotated[UploadFile, File(description=(
    "The spreadsheet: XLSX (first sheet) or CSV (UTF-8 or GB18030); the first row holds "
    "the headers, in Chinese or English"))]
DryRunQuery = Annotated[bool, Query(description=(
    "Check every row and report, writing nothing"))]


class ImportUnreadable(AppError):
    code = "import.unreadable"
    status = 422
    title = "The file is not a readable XLSX or CSV spreadsheet"


class ImportTooManyRows(AppError):
    code = "import.too_many_rows"
    status = 422
    title = "The file has too many rows"

    def __init__(self) -> None:
        super().__init__(f"The file has more than {MAX_IMPORT_ROWS} rows; split it.",
                         max_rows=MAX_IMPORT_ROWS)


class ImportUnknownColumns(AppError):
    code = "import.unknown_columns"
    status = 422
    title = "The file has columns this import does not know"


class ImportRowsInvalid(AppError):
    code = "import.rows_invalid"
    status = 422
    title = "Some rows cannot be imported; nothing was imported"


@dataclass(frozen=True)
class ImportColumn:
    """A column of an import: the field it fills, and the headers that name it."""

    field: str
    en: str
    zh: str

    def names(self) -> set[str]:
        return {_header_key(self.field), _header_key(self.en), _header_key(self.zh)}


class RowProblem(BaseModel):
    row: int = Field(description="The row's number in the sheet (the header is row 1)")
    field: str | None = Field(description="The column's field, when one is to blame")
    code: str = Field(description="A problem code, a validation error type, or a warning's "
                                  "code")
    message: str = Field(description="In the caller's language")


class ImportReport(BaseModel):
    dry_run: bool
    rows: int = Field(description="Rows read (blank rows are skipped)")
    created: int = Field(description="Records created (0 on a dry run)")
    ids: list[int] = Field(description="The ids of the records created, in row order")
    errors: list[RowProblem] = Field(description="Rows refused (empty when imported)")
    warnings: list[RowProblem] = Field(description="Worth a look, never refused")


def _header_key(text: str) -> str:
    return "".join(text.split()).casefold()


def _cell(value: Any) -> str | None:
    """A cell as the text a person typed: a whole number without `.0` (phone numbers that
    Excel took for numbers), a day as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _xlsx_rows(content: bytes) -> Iterable[Sequence[Any]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        # openpyxl raises many kinds of errors on a damaged file; each is bad input here.
        yield from sheet.iter_rows(values_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, OSError,
            AttributeError) as exc:
        raise ImportUnreadable("The XLSX file could not be read.") from exc


def _csv_rows(content: bytes) -> Iterable[Sequence[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportUnreadable("The CSV file is neither UTF-8 nor GB18030 text.")
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise ImportUnreadable(f"The CSV file could not be read: {exc}.") from exc


def read_sheet(content: bytes, columns: Sequence[ImportColumn]
               ) -> list[tuple[int, dict[str, str]]]:
    """The non-blank rows of an upload as (row number, field → text), at most
    MAX_IMPORT_ROWS of them."""
    if not content:
        raise ImportUnreadable("The file is empty.")
    rows = iter(_xlsx_rows(content) if content.startswith(b"PK") else _csv_rows(content))
    header = next(rows, None)
    if header is None:
        raise ImportUnreadable("The file has no header row.")
    by_name = {name: column.field for column in columns for name in column.names()}
    fields: list[str | None] = []
    unknown: dict[int, str] = {}
    for index, title in enumerate(header, start=1):
        text = _cell(title)
        field = by_name.get(_header_key(text)) if text else None
        if text and (field is None or field in fields):
            unknown[index] = text
        fields.append(field)
    if unknown:
        known = "、".join(column.zh for column in columns)
        raise ImportUnknownColumns(
            f"Unknown or repeated columns: {', '.join(map(repr, unknown.values()))}; the "
            f"columns are: {', '.join(column.en for column in columns)} ({known}).",
            errors=[{"loc": ["header", index], "type": "unknown_column",
                     "msg": f"unknown or repeated column {text!r}"}
                    for index, text in unknown.items()])
    read: list[tuple[int, dict[str, str]]] = []
    for number, row in enumerate(rows, start=2):
        values = {field: text for field, value in zip(fields, row, strict=False)
                  if field is not None and (text := _cell(value)) is not None}
        if not values:
            continue
        if len(read) == MAX_IMPORT_ROWS:
            raise ImportTooManyRows()
        read.append((number, values))
    return read


@dataclass
class Created:
    """What a row's create gave: the new id, and any warnings about it."""

    id: int
    warnings: list[tuple[str | None, str, Text]]


def _validation_problems(row: int, error: ValidationError, language: Language,
                         field_of: Callable[[tuple[Any, ...]], str | None]
                         ) -> list[RowProblem]:
    return [RowProblem(row=row, field=field_of(tuple(e["loc"])), code=e["type"],
                       message=validation_message(e["type"], e.get("ctx"), e["msg"],
                                                  language))
            for e in error.errors(include_url=False)]


def _refusal(row: int, error: AppError, language: Language,
             error_fields: dict[str, str]) -> RowProblem:
    _title, detail = problem_text(error.code, {"code": error.code, **error.extra}, language,
                                  title=error.title, detail=error.detail)
    return RowProblem(row=row, field=error_fields.get(error.code), code=error.code,
                      message=detail)


async def import_rows(
    session: AsyncSession, rows: list[tuple[int, dict[str, str]]], *, schema: type[Input],
    shape: Callable[[dict[str, str]], dict[str, Any]],
    add: Callable[[Input], Awaitable[Created]], dry_run: bool,
    field_of: Callable[[tuple[Any, ...]], str | None] = lambda loc: str(loc[0]) if loc else None,
    error_fields: dict[str, str] | None = None,
) -> ImportReport:
    """Every row through `schema` and `add` (the service's create, without its commit),
    each in a savepoint; committed only when every row passed and this is no dry run."""
    language = current_language()
    errors: list[RowProblem] = []
    warnings: list[RowProblem] = []
    ids: list[int] = []
    for number, values in rows:
        try:
            data = schema.model_validate(shape(values))
        except ValidationError as exc:
            errors.extend(_validation_problems(number, exc, language, field_of))
            continue
        try:
            async with session.begin_nested():
                created = await add(data)
        except AppError as exc:
            if not session.in_transaction():  # the service rolled back the whole unit
                raise
            errors.append(_refusal(number, exc, language, error_fields or {}))
            continue
        ids.append(created.id)
        warnings.extend(RowProblem(row=number, field=field, code=code, message=text(language))
                        for field, code, text in created.warnings)
    if errors:
        await session.rollback()
        if not dry_run:
            raise ImportRowsInvalid(
                f"{len({e.row for e in errors})} of {len(rows)} rows cannot be imported; "
                "nothing was imported.", row_errors=[e.model_dump() for e in errors])
    elif dry_run:
        await session.rollback()
    else:
        await commit(session)
    kept = [] if dry_run or errors else ids
    return ImportReport(dry_run=dry_run, rows=len(rows), created=len(kept), ids=kept,
                        errors=errors, warnings=warnings)
