from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

from app.approvals.schemas import ApprovalRead
from app.core.directory import CreatorName, DepartmentName, OwnerName
from app.core.money import Money, MoneyIn, PercentOut
from app.core.pagination import Page
from app.core.schemas import ReadModel, Title, UpdateModel, UserId, WriteModel
from app.plans.models import SalesPlanStatus

# A year ("2026") or a month of it ("2026-03").
PERIOD_PATTERN = r"^(19|2\d)\d{2}(-(0[1-9]|1[0-2]))?$"
Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN),
                   Field(examples=["2026", "2026-03"],
                         description="A year (`2026`) or a month (`2026-03`)")]
Notes = Annotated[str, Field(max_length=20000)]
ProductLine = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Month = Annotated[int, Field(ge=1, le=12)]


def _each_once(values: list[str] | list[int], what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"each {what} may appear once")


class PlanLineIn(WriteModel):
    product_line: ProductLine
    amount: MoneyIn


class PlanLineRead(ReadModel):
    product_line: str
    amount: Money


def _lines_once(lines: list[PlanLineIn] | None) -> list[PlanLineIn] | None:
    if lines is not None:
        _each_once([line.product_line for line in lines], "product line")
    return lines


class SalesPlanCreate(WriteModel):
    """A draft plan for a department and a year or month. `lines`, when given, split the
    target by product line and must add up to it."""

    department_id: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    period: Period
    title: Title | None = Field(default=None, description="Defaults to the department and "
                                                          "period")
    target_amount: MoneyIn = Field(description="CNY, including tax")
    lines: list[PlanLineIn] = Field(default_factory=list, max_length=50)
    notes: Notes | None = None

    @field_validator("lines")
    @classmethod
    def _lines_once(cls, lines: list[PlanLineIn] | None) -> list[PlanLineIn] | None:
        return _lines_once(lines)


class SalesPlanUpdate(UpdateModel):
    """A draft's changes; `lines` replaces them all ([] removes them)."""

    clearable = frozenset({"notes"})

    title: Title | None = None
    target_amount: MoneyIn | None = None
    lines: list[PlanLineIn] | None = Field(default=None, max_length=50)
    notes: Notes | None = None

    @field_validator("lines")
    @classmethod
    def _lines_once(cls, lines: list[PlanLineIn] | None) -> list[PlanLineIn] | None:
        return _lines_once(lines)


class TargetMonthIn(WriteModel):
    month: Month
    amount: MoneyIn


class TargetIn(WriteModel):
    owner_id: UserId = Field(description="The rep (the `sub` of their token)")
    amount: MoneyIn
    months: list[TargetMonthIn] = Field(
        default_factory=list, max_length=12,
        description="A yearly plan's target split by month (months left out have none); "
                    "they add up to `amount`")

    @field_validator("months")
    @classmethod
    def _months_once(cls, months: list[TargetMonthIn]) -> list[TargetMonthIn]:
        _each_once([m.month for m in months], "month")
        return months


class AllocationBody(WriteModel):
    """Every rep's target; replaces the plan's targets. They add up to the plan's target to
    the cent. A rep whose target (and months) did not change keeps their acknowledgement."""

    targets: list[TargetIn] = Field(min_length=1, max_length=500)

    @field_validator("targets")
    @classmethod
    def _owners_once(cls, targets: list[TargetIn]) -> list[TargetIn]:
        _each_once([t.owner_id for t in targets], "owner_id")
        return targets


class TargetMonthRead(ReadModel):
    month: int
    amount: Money


class SalesTargetRead(ReadModel, OwnerName, DepartmentName):
    id: int
    plan_id: int
    plan_number: str = ""
    plan_status: SalesPlanStatus | None = None
    period: str = ""
    department_id: str
    owner_id: str
    amount: Money
    months: list[TargetMonthRead] = Field(default_factory=list)
    acknowledged_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    allowed_actions: list[str] = Field(default_factory=list,
                                       description="acknowledge, for its rep")


class SalesTargetPage(Page[SalesTargetRead]):
    pass


class SalesPlanRead(ReadModel, CreatorName, DepartmentName):
    id: int
    number: str = Field(description="JH-2026-000001, the same for every revision")
    revision: int
    previous_id: int | None = Field(description="The revision this one changes")
    superseded_by_id: int | None
    department_id: str
    period: str
    year: int
    month: int | None = Field(description="null: a yearly plan")
    title: str
    target_amount: Money
    lines: list[PlanLineRead] = Field(default_factory=list)
    notes: str | None
    status: SalesPlanStatus
    rejection_reason: str | None
    approved_at: datetime | None
    superseded_at: datetime | None
    allocated: Money = Field(default=Decimal(0),
                             description="What the targets add up to")
    targets: list[SalesTargetRead] = Field(default_factory=list)
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime
    approval: ApprovalRead | None = None
    allowed_actions: list[str] = Field(
        default_factory=list,
        description="What the caller may do to it now: update, submit, recall, approve, "
                    "reject, cancel, allocate, revise")


class SalesPlanPage(Page[SalesPlanRead]):
    pass


class SalesPlanSummary(BaseModel):
    """The audited form of a plan (its audit rows' before and after, its events' data)."""

    id: int
    number: str
    revision: int
    previous_id: int | None
    department_id: str
    period: str
    title: str
    target_amount: str
    status: SalesPlanStatus
    version: int


class TargetMonthSummary(BaseModel):
    month: int
    amount: str


class SalesTargetSummary(BaseModel):
    id: int
    plan_id: int
    department_id: str
    owner_id: str
    amount: str
    months: list[TargetMonthSummary]
    acknowledged_at: datetime | None
    version: int


# ---- progress ---------------------------------------------------------------------------


class ProgressFigures(BaseModel):
    target: Money | None = Field(description="null: no target for this month (a yearly "
                                             "target not split by month)")
    confirmed: Money = Field(description="Orders confirmed (and not cancelled), CNY")
    collected: Money = Field(description="Payments received, CNY")
    confirmed_percent: PercentOut | None = Field(description="confirmed / target, percent")
    collected_percent: PercentOut | None = Field(description="collected / target, percent")


class MonthProgress(ProgressFigures):
    month: int


class TargetProgress(ProgressFigures):
    target_id: int
    plan_id: int
    plan_number: str
    department_id: str
    period: str
    owner_id: str
    acknowledged: bool
    months: list[MonthProgress]


class PlanProgress(BaseModel):
    """Each target's confirmed orders and collected payments against it, per month of the
    period (company calendar), in CNY; `total` adds up every target listed."""

    period: str
    currency: str = "CNY"
    total: ProgressFigures
    items: list[TargetProgress]
