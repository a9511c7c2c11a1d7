import re
from collections import Counter
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, field_validator

from app.calendar.models import CalendarDayKind
from app.core.pagination import Page
from app.core.schemas import ReadModel, WriteModel

MAX_IMPORT_DAYS = 400
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: Any) -> Any:
    # Pydantic alone would also take "0" (1970-01-01) or a midnight datetime; a calendar
    # day is written one way only.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


CalendarDate = Annotated[date, BeforeValidator(_iso_date_only)]
CalendarDayName = Annotated[
    str, StringConstraints(min_length=1, max_length=100),
    Field(description="What the day is, as the holiday notice names it", examples=["国庆节"]),
]
CalendarDayKindField = Annotated[CalendarDayKind, Field(
    description="`holiday`: not worked (any day); `workday`: a make-up working day (调休), "
                "only on a Saturday or Sunday")]


class CalendarDaySet(WriteModel):
    kind: CalendarDayKindField
    name: CalendarDayName


class CalendarImportEntry(CalendarDaySet):
    day: CalendarDate


class CalendarImport(WriteModel):
    days: list[CalendarImportEntry] = Field(
        min_length=1, max_length=MAX_IMPORT_DAYS,
        description=f"Days to create or replace, at most {MAX_IMPORT_DAYS}, each day once")

    @field_validator("days")
    @classmethod
    def _each_day_once(cls, days: list[CalendarImportEntry]) -> list[CalendarImportEntry]:
        repeated = sorted(d for d, n in Counter(e.day for e in days).items() if n > 1)
        if repeated:
            raise ValueError(f"days listed more than once: {', '.join(map(str, repeated))}")
        return days


class CalendarImportResult(BaseModel):
    count: int = Field(description="Entries imported (created + updated + unchanged)")
    created: int
    updated: int
    unchanged: int


class CalendarDayRead(ReadModel):
    day: date
    kind: CalendarDayKind
    name: str
    version: int
    created_at: datetime
    updated_at: datetime


class CalendarDayPage(Page[CalendarDayRead]):
    pass
