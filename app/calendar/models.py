from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, String
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class CalendarDayKind(StrEnum):
    holiday = "holiday"
    # A weekend day that is worked to make up for a holiday (调休).
    workday = "workday"


class CalendarDay(SQLModel, table=True):
    """A day that departs from the Monday–Friday week (工作日历). Days without a row
    follow the week; approval deadlines count working time on this calendar."""

    __tablename__ = "calendar_day"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)

    day: date = Field(primary_key=True)
    kind: CalendarDayKind = Field(sa_type=String(8))
    name: str = Field(max_length=100)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
