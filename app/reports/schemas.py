from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.complaints.models import ComplaintCategory
from app.core.money import Money, PercentOut
from app.receivables.models import DunningAction


class FunnelFigures(BaseModel):
    leads: int = Field(description="Leads created in the range")
    qualified: int = Field(description="Of those, how many were ever qualified")
    opportunities: int = Field(description="Of those, how many became an opportunity")
    opportunity_amount: Money = Field(description="Their expected amounts, CNY")
    won: int = Field(description="Of those opportunities, how many were won")
    won_amount: Money = Field(description="The amounts won, CNY")
    qualification_rate: PercentOut | None = Field(description="qualified / leads, percent")
    conversion_rate: PercentOut | None = Field(description="opportunities / leads, percent")
    win_rate: PercentOut | None = Field(description="won / opportunities, percent")


class RepFunnel(FunnelFigures):
    owner_id: str | None = Field(description="null: leads still in the department's pool")


class DepartmentFunnel(FunnelFigures):
    department_id: str
    reps: list[RepFunnel]


class FunnelReport(BaseModel):
    """The lead funnel of a cohort: the leads created from `date_from` to `date_to`
    (company calendar days, inclusive), followed through qualification and conversion to
    their opportunities and wins, whenever those happened."""

    date_from: date
    date_to: date
    currency: str = "CNY"
    total: FunnelFigures
    departments: list[DepartmentFunnel]


# --- receivables aging -------------------------------------------------------------------

AgingGroup = Literal["customer", "owner", "department"]


class AgingBuckets(BaseModel):
    """Open balances (open and partially paid receivables; not paid, not written off, not
    in write-off approval) in the base currency, by days overdue on `as_of`."""

    receivables: int = Field(description="How many open receivables")
    current: Money = Field(description="Not yet due: due on `as_of` or later")
    days_1_30: Money = Field(description="1 to 30 days overdue")
    days_31_60: Money = Field(description="31 to 60 days overdue")
    days_61_90: Money = Field(description="61 to 90 days overdue")
    over_90: Money = Field(description="More than 90 days overdue")
    overdue: Money = Field(description="All overdue: the four buckets after `current`")
    total: Money = Field(description="All open balances")


class AgingRow(AgingBuckets):
    key: str = Field(description="The customer's id, the rep's id or the department's id")
    customer_name: str | None = Field(default=None,
                                      description="When grouped by customer")


class AgingReport(BaseModel):
    """Receivables aging (账龄分析): the open balances within what the caller may see, one
    row per customer, rep or department, in pages; `total` covers every row of every page.
    The balances are today's, aged as of `as_of` (a later date shows what will be overdue
    by then if nothing is paid; an earlier one does not rebuild past balances)."""

    as_of: date
    group_by: AgingGroup
    currency: str = "CNY"
    total: AgingBuckets
    items: list[AgingRow]
    next_cursor: str | None = None


# --- collection schedule -----------------------------------------------------------------

class LastDunning(BaseModel):
    action: DunningAction
    at: datetime = Field(description="When it was recorded")
    days_overdue: int = Field(description="Days overdue when it was taken")
    promised_on: date | None = Field(description="The customer's promised payment date")
    recorded_by: str


class CollectionItem(BaseModel):
    receivable_id: int
    number: str
    customer_id: int
    customer_name: str
    owner_id: str = Field(description="The rep who collects it")
    department_id: str
    invoice_number: str | None
    due_date: date
    days_overdue: int = Field(description="Days past the due date on the schedule's date; "
                                          "0 when due that day")
    currency: str
    balance: Money = Field(description="Still owed, in `currency`")
    balance_base: Money = Field(description="Still owed, CNY")
    last_dunning: LastDunning | None = Field(description="The latest collection action")
    suggested_action: DunningAction | None = Field(
        description="By days overdue: 1-30 reminder_letter, 31-60 visit, over 60 legal; "
                    "none when due that day")


class CollectionSchedule(BaseModel):
    """The collection schedule (排期清欠表): for each rep, the open receivables due on or
    before `date`, the most overdue first, with the suggested dunning action."""

    date: date
    items: list[CollectionItem]
    next_cursor: str | None = None


# --- daily report ------------------------------------------------------------------------

class DailyFigures(BaseModel):
    confirmed_orders: int = Field(description="Orders confirmed that day (not since "
                                              "cancelled)")
    confirmed_amount: Money = Field(description="Their totals including tax, CNY")
    payments: int = Field(description="Payments received that day")
    collected: Money = Field(description="Their amounts, CNY")
    overdue_collected: Money = Field(
        description="Of those, what was allocated to receivables already overdue on the "
                    "payment date, CNY")
    new_customers: int = Field(description="Customers created that day")
    open_complaints: int = Field(
        description="Complaints of the department's customers received by the end of the "
                    "day and not closed by then")


class DepartmentDaily(DailyFigures):
    department_id: str


class DailyReport(BaseModel):
    """The daily report (工作日报) of a company calendar day, per department and in total,
    within what the caller may see."""

    date: date
    currency: str = "CNY"
    total: DailyFigures
    departments: list[DepartmentDaily]


# --- cash forecast -----------------------------------------------------------------------

class CashAmounts(BaseModel):
    receivables: Money = Field(description="Open receivable balances, CNY")
    milestones: Money = Field(description="Signed contracts' payment milestones not yet "
                                          "invoiced, CNY")
    total: Money


class ForecastWeek(CashAmounts):
    week: str = Field(description="ISO week, e.g. 2026-W49", examples=["2026-W49"])
    starts_on: date = Field(description="Monday, or `as_of` for the first week")
    ends_on: date = Field(description="Sunday")


class CashForecast(BaseModel):
    """Expected cash by ISO week for the 13 weeks from the week of `as_of`: open
    receivables by due date, and the payment milestones of signed contracts not yet
    invoiced, dated prepayment → signing date, on_delivery, acceptance, retention and
    other → the contract's delivery date, each plus the milestone's `due_days`. What fell
    due before `as_of` is shown apart (`overdue`: receivables past due; milestones whose
    date passed without an invoice), as is what comes after the 13 weeks (`later`) and
    milestones that cannot be dated (no delivery date yet: `undated`)."""

    as_of: date
    currency: str = "CNY"
    overdue: CashAmounts
    weeks: list[ForecastWeek]
    later: CashAmounts
    undated: CashAmounts
    total: CashAmounts


# --- complaints --------------------------------------------------------------------------

class ComplaintFigures(BaseModel):
    received: int = Field(description="Complaints received in the range")
    open: int = Field(description="Of those, not closed (now)")
    closed: int = Field(description="Of those, closed")
    mean_hours_to_close: float | None = Field(
        description="Mean elapsed hours from receipt to close of the closed ones, to 0.01; "
                    "null when none is closed")


class CategoryComplaints(ComplaintFigures):
    category: ComplaintCategory


class DepartmentComplaints(ComplaintFigures):
    department_id: str | None = Field(description="The responsible department; null: not "
                                                  "assigned yet")


class ComplaintReport(BaseModel):
    """Complaints received in [`from`, `to`] (company calendar days), by category and by
    responsible department, within what the caller may see."""

    date_from: date
    date_to: date
    total: ComplaintFigures
    by_category: list[CategoryComplaints]
    by_department: list[DepartmentComplaints]
