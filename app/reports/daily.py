"""The daily report (工作日报, SPEC §4): one company calendar day's confirmed sales,
collections, new customers and overdue money collected, per department, each figure one
grouped query over that day's slice of its table; and the complaints open at the day's end."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, literal, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_day_start
from app.complaints.models import Complaint
from app.core.db import money_column_type
from app.core.money import round_money
from app.core.permissions import visible
from app.core.security import Principal
from app.customers.models import Customer
from app.orders.models import Order, OrderStatus
from app.receivables.models import Payment, PaymentAllocation, Receivable
from app.reports.schemas import DailyFigures, DailyReport, DepartmentDaily

COUNTS = ("confirmed_orders", "payments", "new_customers", "open_complaints")
AMOUNTS = ("confirmed_amount", "collected", "overdue_collected")


def _sum(column: Any) -> Any:
    return type_coerce(func.coalesce(func.sum(column), 0), money_column_type())


async def daily(session: AsyncSession, principal: Principal, *, on: date,
                department_id: str | None) -> DailyReport:
    start, end = local_day_start(on), local_day_start(on + timedelta(days=1))

    def scoped(statement: Any, model: Any) -> Any:
        statement = statement.where(visible(principal, owner_column=model.owner_id,
                                            department_column=model.department_id))
        if department_id is not None:
            statement = statement.where(col(model.department_id) == department_id)
        return statement.group_by(col(model.department_id))

    # Orders confirmed that day, unless cancelled since: the sales that stand.
    sales = scoped(select(col(Order.department_id), func.count().label("confirmed_orders"),
                          _sum(Order.total_base).label("confirmed_amount"))
                   .where(col(Order.confirmed_at) >= start, col(Order.confirmed_at) < end,
                          col(Order.status) != OrderStatus.cancelled), Order)
    collections = scoped(select(col(Payment.department_id), func.count().label("payments"),
                                _sum(Payment.amount_base).label("collected"))
                         .where(col(Payment.received_on) == literal(on)), Payment)
    # Overdue on the payment date: due before the day the money came in.
    overdue = scoped(select(col(Payment.department_id),
                            _sum(PaymentAllocation.amount_base).label("overdue_collected"))
                     .join(PaymentAllocation, col(PaymentAllocation.payment_id) == Payment.id)
                     .join(Receivable, col(Receivable.id) == PaymentAllocation.receivable_id)
                     .where(col(Payment.received_on) == literal(on),
                            col(Receivable.due_date) < col(Payment.received_on)), Payment)
    customers = scoped(select(col(Customer.department_id), func.count().label("new_customers"))
                       .where(col(Customer.created_at) >= start,
                              col(Customer.created_at) < end), Customer)
    # Open at the day's end: received by then, not closed by then.
    complaints = scoped(select(col(Complaint.department_id),
                               func.count().label("open_complaints"))
                        .where(col(Complaint.received_at) < end,
                               or_(col(Complaint.closed_at).is_(None),
                                   col(Complaint.closed_at) >= end)), Complaint)

    by_department: dict[str, dict[str, Any]] = {}
    for statement in (sales, collections, overdue, customers, complaints):
        for row in (await session.execute(statement)).mappings():
            figures = by_department.setdefault(row["department_id"], {})
            figures.update({k: v for k, v in row.items() if k != "department_id"})
    departments = [_figures(DepartmentDaily, figures, department_id=key)
                   for key, figures in sorted(by_department.items())]
    return DailyReport(date=on, total=_total(departments), departments=departments)


def _figures(model: type, figures: dict[str, Any], **extra: Any) -> Any:
    return model(**{name: int(figures.get(name) or 0) for name in COUNTS},
                 **{name: round_money(figures.get(name) or 0) for name in AMOUNTS},
                 **extra)


def _total(departments: Iterable[DepartmentDaily]) -> DailyFigures:
    total: dict[str, Any] = {}
    for department in departments:
        for name in (*COUNTS, *AMOUNTS):
            total[name] = total.get(name, 0) + getattr(department, name)
    return _figures(DailyFigures, total)
