"""The plan documents as files.

The sales plans and the reps' targets (`GET /sales-plans?format=csv|xlsx`,
`GET /sales-targets?format=…`): a yearly target split by month shows its months as twelve
columns, as the 业绩协议 does on paper.

Progress against the targets (`GET /reports/plan-progress?format=csv|xlsx`,
`GET /sales-plans/{id}/progress?format=...`): a row per target (rep) with the year's
figures, and for a yearly period each month's target, actual and rate as columns, so a
manager reads a rep across the year on one line; the total last. The months' collections
stay in the JSON (four figures a month would make 48 columns); the year's are here."""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.directory import names_of
from app.core.export import TOTAL, Column, Export, ExportFormat
from app.core.i18n import current_language
from app.core.messages import Text
from app.core.money import round_money
from app.plans.schemas import PlanProgress, SalesPlanRead, SalesTargetRead, TargetProgress

PERIOD_KINDS = {
    "year": Text("Yearly", "年度"),
    "month": Text("Monthly", "月度"),
}


def _period_kind(plan: SalesPlanRead) -> str:
    return "year" if plan.month is None else "month"


def _target_month(month: int) -> Callable[[SalesTargetRead], Decimal | None]:
    def amount(target: SalesTargetRead) -> Decimal | None:
        return next((m.amount for m in target.months if m.month == month), None)
    return amount


SALES_PLANS = Export("sales-plans", "销售计划", [
    Column("number", "Number", "计划编号"),
    Column("revision", "Revision", "版本", "integer"),
    Column("title", "Title", "计划名称"),
    Column("department_name", "Department", "部门",
           get=lambda p: p.department_name or p.department_id),
    Column("period", "Period", "期间"),
    Column("period_kind", "Kind", "计划类型", "label", labels=PERIOD_KINDS, get=_period_kind),
    Column("target_amount", "Target", "目标金额", "money"),
    Column("allocated", "Allocated to reps", "已分解金额", "money"),
    Column("status", "Status", "状态", "state"),
    Column("approved_at", "Approved", "批准时间", "datetime"),
    Column("created_by_name", "Drawn up by", "编制人",
           get=lambda p: p.created_by_name or p.created_by),
    Column("created_at", "Created", "创建时间", "datetime"),
])

SALES_TARGETS = Export("sales-targets", "业绩目标", [
    Column("plan_number", "Plan", "计划编号"),
    Column("period", "Period", "期间"),
    Column("department_name", "Department", "部门",
           get=lambda t: t.department_name or t.department_id),
    Column("owner_name", "Rep", "业务员", get=lambda t: t.owner_name or t.owner_id),
    Column("owner_id", "Rep ID", "业务员账号"),
    Column("amount", "Target", "目标金额", "money"),
    *[Column(f"month_{m}", f"Month {m}", f"{m}月", "money", get=_target_month(m))
      for m in range(1, 13)],
    Column("acknowledged_at", "Acknowledged", "确认时间", "datetime"),
    Column("plan_status", "Plan status", "计划状态", "state"),
    Column("created_at", "Created", "创建时间", "datetime"),
])


COLUMNS = [
    Column("department", "Department", "部门"),
    Column("owner", "Owner", "负责人"),
    Column("plan_number", "Plan", "计划编号"),
    Column("period", "Period", "期间"),
    Column("acknowledged", "Acknowledged", "已确认目标", "bool"),
    Column("target", "Target", "目标", "money"),
    Column("confirmed", "Actual", "实际", "money"),
    Column("confirmed_percent", "Achieved (%)", "完成率(%)", "percent"),
    Column("collected", "Collected", "回款", "money"),
    Column("collected_percent", "Collected (%)", "回款率(%)", "percent"),
]


def _month_columns(month: int) -> list[Column]:
    return [
        Column(f"m{month}_target", f"Month {month} target", f"{month}月目标", "money"),
        Column(f"m{month}_confirmed", f"Month {month} actual", f"{month}月实际", "money"),
        Column(f"m{month}_percent", f"Month {month} achieved (%)", f"{month}月完成率(%)",
               "percent"),
    ]


def _percent(actual: Decimal, target: Decimal | None) -> Decimal | None:
    # As the report rounds its own rates: half-up to 0.01, none against no target.
    return round_money(actual * 100 / target) if target else None


def _month_totals(items: list[TargetProgress], month: int) -> dict[str, Decimal | None]:
    """A month's figures over every target. Its target only when every target is split
    by month: a yearly target without a share for the month would make the sum, and the
    rate against it, look better than they are."""
    rows = [m for item in items for m in item.months if m.month == month]
    confirmed = sum((m.confirmed for m in rows), start=Decimal("0.00"))
    targets = [m.target for m in rows]
    target = sum((t for t in targets if t is not None), start=Decimal("0.00")) \
        if rows and None not in targets else None
    return {f"m{month}_target": target, f"m{month}_confirmed": confirmed,
            f"m{month}_percent": _percent(confirmed, target)}


async def progress_file(session: AsyncSession, format: ExportFormat, report: PlanProgress, *,
                        now: datetime) -> StreamingResponse:
    language = current_language()
    # A monthly period has one month: its figures are the target's own, no columns more.
    months = sorted({m.month for item in report.items for m in item.months}) \
        if len(report.period) == 4 else []
    names = await names_of(session, people=[i.owner_id for i in report.items],
                           departments=[i.department_id for i in report.items])
    rows = []
    for item in report.items:
        by_month = {m.month: m for m in item.months}
        row = SimpleNamespace(
            **item.model_dump(exclude={"months"}), owner=names.person(item.owner_id),
            department=names.department(item.department_id))
        for month in months:
            figures = by_month.get(month)
            setattr(row, f"m{month}_target", figures.target if figures else None)
            setattr(row, f"m{month}_confirmed", figures.confirmed if figures else None)
            setattr(row, f"m{month}_percent", figures.confirmed_percent if figures else None)
        rows.append(row)
    total = SimpleNamespace(department=TOTAL(language), owner=None, plan_number=None,
                            period=report.period, acknowledged=None,
                            **report.total.model_dump())
    for month in months:
        for field, value in _month_totals(report.items, month).items():
            setattr(total, field, value)
    rows.append(total)
    columns = COLUMNS + [c for month in months for c in _month_columns(month)]
    return await Export("plan-progress", "计划完成情况", columns).rows(format, rows, now=now)
