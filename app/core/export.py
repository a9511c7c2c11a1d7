"""Lists and reports as files: CSV (UTF-8 with a BOM and CRLF, so Excel opens Chinese text
correctly) or XLSX, with headers in the caller's language.

A list route offers the file when asked by `?format=csv|xlsx` or by `Accept`
(`text/csv`, the XLSX media type); otherwise it answers its JSON page as before. The file
holds every row the filters match, in the requested sort: the rows are read in keyset pages
of `EXPORT_PAGE` and written to a temporary file as they come, so memory stays flat however
many rows there are (XlsxWriter's `constant_memory` mode writes each row out as it is
finished). The file is then streamed back and removed. Spooling first, rather than streaming
straight from the query, keeps the request's database session inside the endpoint, and lets
a failure half way answer a problem instead of a truncated file.

Columns are declared once per list (`Column`): the field, its header in zh-CN and en, and its
kind, which decides how a value is written: money and percentages as numbers with two
places in XLSX (decimal strings in CSV), days and times as Excel dates (in the company's
time zone), states and other codes as their labels in the caller's language.
"""

import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

import anyio
import xlsxwriter
from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from app.core.i18n import Language, current_language
from app.core.messages import STATES, Text
from app.core.pagination import Listed, ListRequest

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows read per query while exporting: large enough that the queries cost little, small
# enough that a page of read models is a few megabytes at most.
EXPORT_PAGE = 1000
# The company's calendar (Asia/Shanghai): the day in a file's name, the times in its cells.
COMPANY_TZ = ZoneInfo("Asia/Shanghai")
_CHUNK = 64 * 1024


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


MEDIA_TYPES = {ExportFormat.csv: CSV_MEDIA_TYPE, ExportFormat.xlsx: XLSX_MEDIA_TYPE}

FormatQuery = Annotated[ExportFormat | None, Query(
    alias="format", description=(
        "Download every matching row as a file instead of a JSON page: `csv` (UTF-8 with a "
        "BOM) or `xlsx`. `Accept: text/csv` or the XLSX media type asks the same; the "
        "headers follow `Accept-Language`. `limit`, `cursor` and `include_total` do not "
        "apply to a file."))]

Kind = Literal["text", "money", "number", "integer", "date", "datetime", "state", "bool",
               "label", "percent"]
# The label of a report's last row, which adds up the rows above it.
TOTAL = Text("Total", "合计")


@dataclass(frozen=True)
class Column:
    """One column of a file: the read model's attribute, its headers, and how it is
    written. `labels` names the values of a `label` column (codes other than states)."""

    field: str
    en: str
    zh: str
    kind: Kind = "text"
    labels: dict[str, Text] | None = None
    # A value not held in one attribute (the first contact's phone).
    get: Callable[[Any], Any] | None = None

    def value(self, item: Any) -> Any:
        return self.get(item) if self.get is not None else getattr(item, self.field)

    def header(self, language: Language) -> str:
        return self.zh if language == "zh-CN" else self.en


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    ranges: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media and q > 0:
            ranges.append((-q, position, media.lower()))
    return [(media, -q) for q, _position, media in sorted(ranges)]


def negotiated_format(request: Request, format: ExportFormat | None) -> ExportFormat | None:
    """The file the client asked for, or None for the JSON page: `?format=` first, then the
    best-ranked media range of `Accept` (JSON or a wildcard ranked higher keeps JSON)."""
    if format is not None:
        return format
    accept = request.headers.get("accept")
    if not accept or len(accept) > 1024:
        return None
    for media, _q in _media_ranges(accept):
        if media == CSV_MEDIA_TYPE:
            return ExportFormat.csv
        if media == XLSX_MEDIA_TYPE:
            return ExportFormat.xlsx
        if media in ("application/json", "*/*", "application/*"):
            return None
    return None


def file_responses() -> dict[int | str, dict[str, Any]]:
    """The file answers of a list route, for its OpenAPI `responses`. A file comes with
    `Content-Disposition: attachment` (its name, and `filename*` in UTF-8 for a Chinese
    one) and `X-Export-Rows` (how many rows it holds)."""
    return {200: {"content": {
        CSV_MEDIA_TYPE: {"schema": {"type": "string", "description": (
            "UTF-8 with a BOM, CRLF line ends, headers in the caller's language")}},
        XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
    }}}


# ---- values -------------------------------------------------------------------------------


def _code(value: Any) -> str:
    return value.value if isinstance(value, Enum) else str(value)


def _local(moment: datetime) -> datetime:
    """A time as the company's wall clock, without a zone (Excel has none)."""
    return moment.astimezone(COMPANY_TZ).replace(tzinfo=None)


def _text(column: Column, value: Any, language: Language) -> Any:
    """A value as CSV text (None stays empty)."""
    if value is None:
        return ""
    kind = column.kind
    if kind in ("money", "percent"):
        return f"{Decimal(value):.2f}"
    if kind == "datetime" and isinstance(value, datetime):
        return _local(value).isoformat(sep=" ", timespec="seconds")
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    if kind == "bool":
        return ("是" if value else "否") if language == "zh-CN" else ("yes" if value else "no")
    if kind in ("state", "label"):
        labels = STATES if kind == "state" else (column.labels or {})
        label = labels.get(_code(value))
        return label(language) if label is not None else _code(value)
    if isinstance(value, Enum):
        return value.value
    return str(value)


@dataclass
class _Formats:
    money: Any
    percent: Any
    date: Any
    datetime: Any
    header: Any


class _Writer:
    """Rows into a temporary file, as CSV or XLSX."""

    def __init__(self, format: ExportFormat, columns: Sequence[Column], language: Language,
                 sheet: str) -> None:
        self.format, self.columns, self.language = format, columns, language
        descriptor, self.path = tempfile.mkstemp(suffix=f".{format.value}")
        os.close(descriptor)
        self.row = 0
        headers = [c.header(language) for c in columns]
        if format is ExportFormat.csv:
            self.file: io.TextIOWrapper | None = open(  # noqa: SIM115 (closed in finish)
                self.path, "w", encoding="utf-8-sig", newline="")
            self.csv = csv.writer(self.file, lineterminator="\r\n")
            self.csv.writerow(headers)
            return
        self.file = None
        self.book = xlsxwriter.Workbook(self.path, {"constant_memory": True,
                                                    "tmpdir": tempfile.gettempdir()})
        self.sheet = self.book.add_worksheet(sheet[:31])
        self.formats = _Formats(
            money=self.book.add_format({"num_format": "#,##0.00"}),
            percent=self.book.add_format({"num_format": "0.00"}),
            date=self.book.add_format({"num_format": "yyyy-mm-dd"}),
            datetime=self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            header=self.book.add_format({"bold": True}))
        for index, column in enumerate(columns):
            self.sheet.write_string(0, index, headers[index], self.formats.header)
            width = {"money": 16, "date": 12, "datetime": 20}.get(column.kind, 18)
            self.sheet.set_column(index, index, width)
        self.sheet.freeze_panes(1, 0)

    def write_all(self, items: Iterable[Any]) -> None:
        for item in items:
            self.write(item)

    def write(self, item: Any) -> None:
        self.row += 1
        if self.format is ExportFormat.csv:
            self.csv.writerow([_text(c, c.value(item), self.language) for c in self.columns])
            return
        for index, column in enumerate(self.columns):
            self._cell(index, column, column.value(item))

    def _cell(self, index: int, column: Column, value: Any) -> None:
        if value is None:
            return
        row, sheet = self.row, self.sheet
        if column.kind == "money":
            # Excel holds numbers as binary floats: the cell shows two places, the
            # decimal string stays in CSV and JSON.
            sheet.write_number(row, index, float(value), self.formats.money)
        elif column.kind == "percent":
            # A percentage as its number (12.35 for 12.35 %), as the JSON gives it, so that
            # sums and charts work on it.
            sheet.write_number(row, index, float(value), self.formats.percent)
        elif column.kind in ("number", "integer"):
            sheet.write_number(row, index, float(value))
        elif column.kind == "datetime" and isinstance(value, datetime):
            sheet.write_datetime(row, index, _local(value), self.formats.datetime)
        elif column.kind == "date" and isinstance(value, date):
            sheet.write_datetime(row, index, value, self.formats.date)
        else:
            sheet.write_string(row, index, _text(column, value, self.language))

    def finish(self) -> None:
        if self.file is not None:
            self.file.close()
        else:
            self.book.close()

    def discard(self) -> None:
        try:
            self.finish()
        finally:
            os.unlink(self.path)


def _filename(stem: str, day: date, format: ExportFormat) -> str:
    return f"{stem}-{day.isoformat()}.{format.value}"


def content_disposition(name: str, zh_name: str, day: date, format: ExportFormat,
                        language: Language) -> str:
    """`attachment` with an ASCII `filename` and, for Chinese, `filename*` (RFC 5987)."""
    ascii_name = _filename(name, day, format)
    if language != "zh-CN":
        return f'attachment; filename="{ascii_name}"'
    utf8 = quote(_filename(zh_name, day, format), safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{utf8}"


async def _stream(path: str) -> AsyncIterator[bytes]:
    try:
        async with await anyio.open_file(path, "rb") as file:
            while chunk := await file.read(_CHUNK):
                yield chunk
    finally:
        os.unlink(path)


@dataclass(frozen=True)
class Export:
    """A list's file: its name (`contracts`, `合同`) and columns."""

    name: str
    zh_name: str
    columns: Sequence[Column]

    async def response(
        self, format: ExportFormat, *, now: datetime,
        pages: Callable[[str | None], Awaitable[tuple[Iterable[Any], str | None]]],
    ) -> StreamingResponse:
        """Every row `pages` yields, cursor after cursor (None first), as a file answer."""
        language = current_language()
        writer = _Writer(format, self.columns, language,
                         self.zh_name if language == "zh-CN" else self.name)
        try:
            cursor: str | None = None
            while True:
                items, cursor = await pages(cursor)
                # Formatting rows (and zipping the XLSX) is CPU work of seconds for a large
                # list: in a worker thread, so the event loop keeps serving other requests.
                await run_in_threadpool(writer.write_all, items)
                if cursor is None:
                    break
            await run_in_threadpool(writer.finish)
        except BaseException:
            writer.discard()
            raise
        day = now.astimezone(COMPANY_TZ).date()
        headers = {
            "content-disposition": content_disposition(self.name, self.zh_name, day, format,
                                                       language),
            "content-length": str(os.path.getsize(writer.path)),
            "x-export-rows": str(writer.row),
            "vary": "Accept, Accept-Language",
        }
        return StreamingResponse(_stream(writer.path), media_type=MEDIA_TYPES[format],
                                 headers=headers)

    async def rows(self, format: ExportFormat, rows: Iterable[Any], *,
                   now: datetime) -> StreamingResponse:
        """A report already read whole (its groups and total row) as a file answer."""
        async def pages(_cursor: str | None) -> tuple[Iterable[Any], str | None]:
            return rows, None
        return await self.response(format, now=now, pages=pages)

    async def file(self, request: Request, format: ExportFormat | None, *,
                   page: ListRequest, now: datetime,
                   page_of: Callable[[ListRequest], Awaitable[Listed[Any]]]
                   ) -> StreamingResponse | None:
        """The file a list route was asked for (None: answer the JSON page): every row
        `page_of` lists under the client's sort, read in export pages."""
        wanted = negotiated_format(request, format)
        if wanted is None:
            return None

        async def pages(cursor: str | None) -> tuple[list[Any], str | None]:
            listed = await page_of(export_page(page, cursor))
            return listed.items, listed.next_cursor
        return await self.response(wanted, now=now, pages=pages)


def export_page(request: ListRequest, cursor: str | None) -> ListRequest:
    """The list request of one export page: the client's sort, our page size and cursor."""
    return ListRequest(limit=EXPORT_PAGE, cursor=cursor, sort=request.sort)
