from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.approvals.schemas import ApprovalRead
from app.core.directory import CreatorName, DepartmentName, OwnerName
from app.core.money import Money, RateOut
from app.core.pagination import Page
from app.core.schemas import ReadModel, UpdateModel, UserId, WriteModel
from app.deviations.models import AnalysisStatus
from app.deviations.report import PERIOD_PATTERN

GrowthRate = Annotated[Decimal, Field(
    ge=-1, le=10, max_digits=6, decimal_places=4, allow_inf_nan=False, examples=["0.1000"],
    description="Planned growth over last year: 0.1 = 10 %, from -1 up to 10")]
PeriodText = Annotated[str, Field(pattern=PERIOD_PATTERN, examples=["2026", "2026-02"],
                                  description="A year (2026) or a month (2026-02)")]
Causes = Annotated[str, StringConstraints(min_length=1, max_length=10000)]


class GrowthTargetSet(WriteModel):
    department_id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    year: Annotated[int, Field(ge=2000, le=2100)]
    growth_rate: GrowthRate


class GrowthTargetRead(ReadModel, DepartmentName):
    id: int
    department_id: str
    year: int
    growth_rate: RateOut
    set_by: str
    set_by_name: str | None = Field(default=None, description="The name of who set it last")
    version: int
    created_at: datetime
    updated_at: datetime


class GrowthTargetPage(Page[GrowthTargetRead]):
    pass


class DeviationFigures(BaseModel):
    actual: Money = Field(description="Sales confirmed in the period, CNY")
    baseline: Money = Field(description="Sales confirmed in the same period last year")
    standard: Money = Field(description="baseline × (1 + growth_rate), half-up to the cent")
    deviation: Money = Field(description="actual − standard")
    below_standard: bool


class DepartmentDeviation(DeviationFigures):
    department_id: str
    growth_rate: RateOut = Field(description="The department's planned rate for the year")
    growth_rate_set: bool = Field(description="false: none set for the year, 0 assumed")


class DeviationReport(BaseModel):
    period: str
    period_start: date
    period_end: date = Field(description="Last day, inclusive")
    baseline_start: date
    baseline_end: date
    currency: str = "CNY"
    total: DeviationFigures = Field(description="The departments' figures added up")
    departments: list[DepartmentDeviation]


class MeasureIn(WriteModel):
    description: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    owner_id: UserId
    due_date: date


Measures = Annotated[list[MeasureIn], Field(min_length=1, max_length=50)]


class AnalysisCreate(WriteModel):
    department_id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    period: PeriodText
    causes: Causes
    measures: Measures


class AnalysisUpdate(UpdateModel):
    causes: Causes | None = None
    measures: Measures | None = Field(default=None, description="Replace the measures")


class MeasureDone(WriteModel):
    note: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None


class MeasureRead(ReadModel, OwnerName):
    id: int
    position: int
    description: str
    owner_id: str
    due_date: date
    done_at: datetime | None
    done_by: str | None
    done_note: str | None


class AnalysisRead(ReadModel, CreatorName, DepartmentName):
    id: int
    number: str = Field(description="PC-2026-000001")
    department_id: str
    year: int
    month: int | None = Field(description="null: the whole year")
    period: str = ""
    actual: Money
    baseline: Money
    growth_rate: RateOut
    standard: Money
    deviation: Money
    causes: str
    status: AnalysisStatus
    rejection_reason: str | None
    approved_at: datetime | None
    completed_at: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime
    measures: list[MeasureRead] = Field(default_factory=list)
    approval: ApprovalRead | None = None
    allowed_actions: list[str] = Field(
        default_factory=list,
        description="What the caller may do now: update, submit, recall, approve, reject, "
                    "complete_measure")


class AnalysisPage(Page[AnalysisRead]):
    pass


# ---- audit and event payloads ---------------------------------------------------------


class AnalysisSummary(BaseModel):
    id: int
    number: str
    department_id: str
    year: int
    month: int | None
    actual: str
    baseline: str
    growth_rate: str
    standard: str
    deviation: str
    status: AnalysisStatus
    version: int


class MeasureSummary(BaseModel):
    id: int
    position: int
    description: str
    owner_id: str
    due_date: date
    done_at: datetime | None
