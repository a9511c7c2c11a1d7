"""Reports as files (`?format=csv|xlsx`): each report flattened into the table a sales
manager keeps in Excel, one row per group with its figures as columns and the total as the
last row, built from the report's JSON answer so both always agree.

Where a report nests (the funnel's reps within their departments) the rows are the finest
groups, each department followed by its subtotal; where it has two independent breakdowns
(complaints by category and by department) both are listed, one after the other, under a
first column naming the breakdown. Names stand beside ids: a rep's and a department's name
(their id when unknown), codes as labels."""

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel

from app.core.directory import Names
from app.core.export import TOTAL, Column, Export
from app.core.i18n import Language
from app.core.messages import Text
from app.receivables.exports import SUGGESTED_ACTIONS
from app.reports.schemas import (
    CashAmounts,
    CashForecast,
    CollectionItem,
    ComplaintFigures,
    ComplaintReport,
    DailyFigures,
    DailyReport,
    FunnelFigures,
    FunnelReport,
)

SUBTOTAL = Text("Subtotal", "小计")


def _figures(model: type[BaseModel], block: BaseModel) -> dict[str, Any]:
    """The figures `model` declares, of a block that may carry more (its group's id)."""
    return block.model_dump(include=set(model.model_fields))

AGING = Export("receivables-aging", "应收账龄", [
    Column("key", "Group", "分组"),
    Column("customer_name", "Customer", "客户"),
    Column("receivables", "Receivables", "笔数", "integer"),
    Column("current", "Current", "未到期", "money"),
    Column("days_1_30", "1-30 days", "逾期1-30天", "money"),
    Column("days_31_60", "31-60 days", "逾期31-60天", "money"),
    Column("days_61_90", "61-90 days", "逾期61-90天", "money"),
    Column("over_90", "Over 90 days", "逾期90天以上", "money"),
    Column("overdue", "Overdue", "逾期合计", "money"),
    Column("total", "Total", "余额合计", "money"),
])


# ---- funnel ------------------------------------------------------------------------------

POOL = Text("Department pool", "部门线索池")

FUNNEL = Export("sales-funnel", "销售漏斗", [
    Column("department", "Department", "部门"),
    Column("owner", "Owner", "负责人"),
    Column("leads", "Leads", "线索数", "integer"),
    Column("qualified", "Qualified", "有效线索", "integer"),
    Column("opportunities", "Opportunities", "商机数", "integer"),
    Column("opportunity_amount", "Opportunity amount", "商机金额", "money"),
    Column("won", "Won", "赢单数", "integer"),
    Column("won_amount", "Won amount", "赢单金额", "money"),
    Column("qualification_rate", "Qualification rate (%)", "有效率(%)", "percent"),
    Column("conversion_rate", "Conversion rate (%)", "转化率(%)", "percent"),
    Column("win_rate", "Win rate (%)", "赢单率(%)", "percent"),
])


def _funnel_row(department: str | None, owner: str | None,
                figures: FunnelFigures) -> SimpleNamespace:
    return SimpleNamespace(department=department, owner=owner,
                           **_figures(FunnelFigures, figures))


def funnel_rows(report: FunnelReport, names: Names, language: Language
                ) -> list[SimpleNamespace]:
    """A row per rep (the department's pool as its own row), each department closed by its
    subtotal, then the total."""
    rows = []
    for department in report.departments:
        name = names.department(department.department_id)
        rows += [_funnel_row(name, names.person(rep.owner_id) if rep.owner_id is not None
                             else POOL(language), rep) for rep in department.reps]
        rows.append(_funnel_row(name, SUBTOTAL(language), department))
    rows.append(_funnel_row(TOTAL(language), None, report.total))
    return rows


# ---- collection schedule -----------------------------------------------------------------

COLLECTION_SCHEDULE = Export("collection-schedule", "回款计划", [
    Column("owner", "Owner", "负责人"),
    Column("department", "Department", "部门"),
    Column("customer_name", "Customer", "客户"),
    Column("number", "Receivable", "应收编号"),
    Column("invoice_number", "Invoice", "发票号"),
    Column("due_date", "Due date", "到期日", "date"),
    Column("days_overdue", "Days overdue", "逾期天数", "integer"),
    Column("currency", "Currency", "币种"),
    Column("balance", "Balance", "未收余额", "money"),
    Column("balance_base", "Balance (CNY)", "未收余额（人民币）", "money"),
    Column("last_action", "Last action", "最近催收方式", "label", labels=SUGGESTED_ACTIONS),
    Column("last_action_at", "Last action at", "最近催收时间", "datetime"),
    Column("promised_on", "Promised payment date", "承诺付款日", "date"),
    Column("suggested_action", "Suggested action", "建议催收方式", "label",
           labels=SUGGESTED_ACTIONS),
])


def collection_rows(items: Sequence[CollectionItem], names: Names) -> list[SimpleNamespace]:
    rows = []
    for item in items:
        last = item.last_dunning
        rows.append(SimpleNamespace(
            **item.model_dump(exclude={"last_dunning"}), owner=names.person(item.owner_id),
            department=names.department(item.department_id),
            last_action=last.action if last else None, last_action_at=last.at if last else None,
            promised_on=last.promised_on if last else None))
    return rows


def collection_total(balance_base: Decimal, language: Language) -> SimpleNamespace:
    """The last row: what the schedule holds in CNY (balances in other currencies do not
    add up, so `balance` stays empty)."""
    return SimpleNamespace(
        owner=TOTAL(language), department=None, customer_name=None, number=None,
        invoice_number=None, due_date=None, days_overdue=None, currency="CNY", balance=None,
        balance_base=balance_base, last_action=None, last_action_at=None, promised_on=None,
        suggested_action=None)


# ---- daily -------------------------------------------------------------------------------

DAILY = Export("daily-report", "销售日报", [
    Column("department", "Department", "部门"),
    Column("date", "Date", "日期", "date"),
    Column("confirmed_orders", "Orders confirmed", "确认订单数", "integer"),
    Column("confirmed_amount", "Amount confirmed", "确认订单金额", "money"),
    Column("payments", "Payments", "回款笔数", "integer"),
    Column("collected", "Collected", "回款金额", "money"),
    Column("overdue_collected", "Of which overdue", "其中逾期回款", "money"),
    Column("new_customers", "New customers", "新增客户", "integer"),
    Column("open_complaints", "Open complaints", "未结投诉", "integer"),
])


def _daily_row(department: str | None, report: DailyReport, figures: DailyFigures
               ) -> SimpleNamespace:
    return SimpleNamespace(department=department, date=report.date,
                           **_figures(DailyFigures, figures))


def daily_rows(report: DailyReport, names: Names, language: Language) -> list[SimpleNamespace]:
    return [*(_daily_row(names.department(d.department_id), report, d)
              for d in report.departments), _daily_row(TOTAL(language), report, report.total)]


# ---- cash forecast -----------------------------------------------------------------------

OVERDUE = Text("Overdue", "已逾期")
LATER = Text("After the 13 weeks", "13周以后")
UNDATED = Text("Not yet dated", "无法确定日期")

CASH_FORECAST = Export("cash-forecast", "现金预测", [
    Column("period", "Period", "期间"),
    Column("starts_on", "From", "起始日", "date"),
    Column("ends_on", "To", "截止日", "date"),
    Column("receivables", "Receivables", "应收账款", "money"),
    Column("milestones", "Contract milestones", "合同回款节点（未开票）", "money"),
    Column("total", "Total", "合计", "money"),
])


def _cash_row(period: str, amounts: CashAmounts, starts_on: object = None,
              ends_on: object = None) -> SimpleNamespace:
    return SimpleNamespace(period=period, starts_on=starts_on, ends_on=ends_on,
                           **_figures(CashAmounts, amounts))


def cash_forecast_rows(report: CashForecast, language: Language) -> list[SimpleNamespace]:
    """The overdue first, then the weeks in order, what comes after them, the undated and
    the total: the rows' order is the money's order in time."""
    last = report.weeks[-1].ends_on if report.weeks else report.as_of
    return [
        _cash_row(OVERDUE(language), report.overdue,
                  ends_on=report.as_of - timedelta(days=1)),
        *(_cash_row(week.week, week, week.starts_on, week.ends_on) for week in report.weeks),
        _cash_row(LATER(language), report.later, starts_on=last + timedelta(days=1)),
        _cash_row(UNDATED(language), report.undated),
        _cash_row(TOTAL(language), report.total),
    ]


# ---- complaints --------------------------------------------------------------------------

BY_CATEGORY = Text("By category", "按类别")
BY_DEPARTMENT = Text("By department", "按责任部门")
UNASSIGNED = Text("Not assigned yet", "未分派")
CATEGORIES = {
    "quality": Text("Quality", "质量"),
    "delivery": Text("Delivery", "交付"),
    "service": Text("Service", "服务"),
    "billing": Text("Billing", "开票结算"),
    "other": Text("Other", "其他"),
}

COMPLAINTS = Export("complaints-report", "投诉统计", [
    Column("breakdown", "Breakdown", "统计维度"),
    Column("group", "Group", "分组"),
    Column("received", "Received", "收到", "integer"),
    Column("open", "Open", "未结", "integer"),
    Column("closed", "Closed", "已结", "integer"),
    Column("mean_hours_to_close", "Mean hours to close", "平均结案时长（小时）", "number"),
])


def _complaint_row(breakdown: str, group: str | None,
                   figures: ComplaintFigures) -> SimpleNamespace:
    return SimpleNamespace(breakdown=breakdown, group=group,
                           **_figures(ComplaintFigures, figures))


def complaint_rows(report: ComplaintReport, names: Names, language: Language
                   ) -> list[SimpleNamespace]:
    """The categories, then the responsible departments (two breakdowns of the same
    complaints, so each adds up to the total on its own), then the total."""
    rows = [_complaint_row(BY_CATEGORY(language), CATEGORIES[row.category.value](language),
                           row) for row in report.by_category]
    rows += [_complaint_row(BY_DEPARTMENT(language), names.department(row.department_id)
                            if row.department_id is not None else UNASSIGNED(language), row)
             for row in report.by_department]
    rows.append(_complaint_row(TOTAL(language), None, report.total))
    return rows
