"""The expense budgets, a budget's expenses and its overrides as files.

A budget's file has a row per item (category), not per budget: the year's amount, the
twelve months it is spread over by the seasonal ratios, what was spent and what remains,
beside the budget's number, department, year and status — the 费用预算表 finance keeps in
Excel. The rows follow the budgets in the list's sort, a budget's items in their order."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from app.budgets.schemas import BudgetRead, ItemRead
from app.core.export import Column, Export
from app.core.messages import EXPENSE_CATEGORIES


@dataclass(frozen=True)
class BudgetItemRow:
    """One line of a budget's file: an item with its budget."""

    budget: BudgetRead
    item: ItemRead


def item_rows(budgets: list[BudgetRead]) -> list[BudgetItemRow]:
    return [BudgetItemRow(budget, item) for budget in budgets for item in budget.items]


def _planned(month: int) -> Callable[[BudgetItemRow], Decimal | None]:
    def planned(row: BudgetItemRow) -> Decimal | None:
        return next((m.planned for m in row.item.months if m.month == month), None)
    return planned


EXPENSE_BUDGETS = Export("expense-budgets", "费用预算", [
    Column("number", "Number", "预算编号", get=lambda r: r.budget.number),
    Column("title", "Title", "预算名称", get=lambda r: r.budget.title),
    Column("department_name", "Department", "部门",
           get=lambda r: r.budget.department_name or r.budget.department_id),
    Column("year", "Year", "年度", "integer", get=lambda r: r.budget.year),
    Column("status", "Status", "状态", "state", get=lambda r: r.budget.status),
    Column("category", "Category", "费用类别", "label", labels=EXPENSE_CATEGORIES,
           get=lambda r: r.item.category),
    Column("description", "Description", "说明", get=lambda r: r.item.description),
    Column("amount", "Year's amount", "全年预算", "money", get=lambda r: r.item.amount),
    *[Column(f"month_{m}", f"Month {m}", f"{m}月", "money", get=_planned(m))
      for m in range(1, 13)],
    Column("spent", "Spent", "已发生", "money", get=lambda r: r.item.spent),
    Column("remainder", "Remainder", "预算余额", "money", get=lambda r: r.item.remainder),
    Column("created_by_name", "Drawn up by", "编制人",
           get=lambda r: r.budget.created_by_name or r.budget.created_by),
    Column("approved_at", "Approved", "批准时间", "datetime",
           get=lambda r: r.budget.approved_at),
])

EXPENSES = Export("expenses", "费用", [
    Column("spent_on", "Spent on", "发生日期", "date"),
    Column("category", "Category", "费用类别", "label", labels=EXPENSE_CATEGORIES),
    Column("amount", "Amount", "金额", "money"),
    Column("description", "Description", "说明"),
    Column("spent_by_name", "Spent by", "经办人", get=lambda e: e.spent_by_name or e.spent_by),
    Column("recorded_by_name", "Recorded by", "登记人",
           get=lambda e: e.recorded_by_name or e.recorded_by),
    Column("override_id", "Override ID", "超预算审批ID", "integer"),
    Column("created_at", "Recorded", "登记时间", "datetime"),
])

EXPENSE_OVERRIDES = Export("expense-overrides", "超预算审批", [
    Column("created_at", "Requested", "申请时间", "datetime"),
    Column("department_name", "Department", "部门",
           get=lambda o: o.department_name or o.department_id),
    Column("category", "Category", "费用类别", "label", labels=EXPENSE_CATEGORIES),
    Column("spent_on", "Spent on", "发生日期", "date"),
    Column("amount", "Amount", "金额", "money"),
    Column("remainder_at_request", "Remainder when asked", "申请时预算余额", "money"),
    Column("amount_over", "Beyond the remainder", "超出金额", "money",
           get=lambda o: max(o.amount - o.remainder_at_request, Decimal(0))),
    Column("description", "Description", "说明"),
    Column("justification", "Justification", "申请理由"),
    Column("spent_by_name", "Spent by", "经办人", get=lambda o: o.spent_by_name or o.spent_by),
    Column("requested_by_name", "Requested by", "申请人",
           get=lambda o: o.requested_by_name or o.requested_by),
    Column("status", "Status", "状态", "state"),
    Column("rejection_reason", "Rejection reason", "驳回原因"),
    Column("expense_id", "Expense ID", "费用ID", "integer"),
])
