"""The sales plans and the reps' targets as files (`GET /sales-plans?format=csv|xlsx`,
`GET /sales-targets?format=…`). A yearly target split by month shows its months as twelve
columns, as the 业绩协议 does on paper."""

from collections.abc import Callable
from decimal import Decimal

from app.core.export import Column, Export
from app.core.messages import Text
from app.plans.schemas import SalesPlanRead, SalesTargetRead

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
