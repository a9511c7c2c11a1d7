from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from app.core.db import ExactDecimal, UTCDateTime, money_column_type, utcnow
from app.core.numbering import NUMBER_LENGTH


class GrowthTarget(SQLModel, table=True):
    """A department's planned growth rate for a year (计划增长率): the minimum control
    standard of deviation control is last year's actual grown by it. Kept here, small,
    rather than read from the sales plans, so that deviation control stands on its own."""

    __tablename__ = "growth_target"
    __table_args__ = (
        UniqueConstraint("department_id", "year", name="uq_growth_target_department_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    department_id: str = Field(foreign_key="department.id", max_length=32)
    year: int
    # 0.1000 = 10 %; from -1 (nothing) up. Four places: the SQL that grows the baseline
    # counts on that scale.
    growth_rate: Decimal = Field(sa_type=ExactDecimal(7, 4))
    set_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AnalysisStatus(StrEnum):
    draft = "draft"
    pending_approval = "pending_approval"  # the GM decides (the policy's `deviation_analysis`)
    approved = "approved"                  # its measures are being carried out
    completed = "completed"                # every measure done


class DeviationAnalysis(SQLModel, table=True):
    """Why a department fell below its minimum standard for a period, and what it will do
    about it (偏差原因分析与改进措施), with the figures as they stood when it was written."""

    __tablename__ = "deviation_analysis"
    __table_args__ = (
        CheckConstraint("month IS NULL OR month BETWEEN 1 AND 12", name="month_valid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=NUMBER_LENGTH, unique=True)  # PC-2026-000001
    department_id: str = Field(foreign_key="department.id", max_length=32)
    year: int
    month: int | None = None  # None: the whole year
    actual: Decimal = Field(sa_type=money_column_type())
    baseline: Decimal = Field(sa_type=money_column_type())
    growth_rate: Decimal = Field(sa_type=ExactDecimal(7, 4))
    standard: Decimal = Field(sa_type=money_column_type())
    deviation: Decimal = Field(sa_type=money_column_type())  # actual − standard, below 0
    causes: str = Field(sa_type=Text)
    status: AnalysisStatus = Field(default=AnalysisStatus.draft,
                                   sa_type=SAEnum(AnalysisStatus, name="analysisstatus"))
    approval_request_id: int | None = None
    rejection_reason: str | None = Field(default=None, max_length=2000)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=128)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeviationMeasure(SQLModel, table=True):
    """One improvement measure of an analysis: who does what by when, and when it was done."""

    __tablename__ = "deviation_measure"
    __table_args__ = (
        UniqueConstraint("analysis_id", "position", name="uq_deviation_measure_position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    analysis_id: int = Field(foreign_key="deviation_analysis.id")
    position: int  # from 1, as written
    description: str = Field(max_length=1000)
    owner_id: str = Field(max_length=128)
    due_date: date
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_by: str | None = Field(default=None, max_length=128)
    done_note: str | None = Field(default=None, max_length=2000)
