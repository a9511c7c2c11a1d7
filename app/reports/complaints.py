"""The complaints report: counts and the mean time to close, by category and by
responsible department, one grouped query each.

The elapsed time is computed in SQL per dialect: PostgreSQL subtracts timestamps and takes
the epoch of the interval; SQLite keeps UTC timestamps as text and compares Julian days."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Float, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.working_time import local_day_start
from app.complaints.models import Complaint, ComplaintStatus
from app.complaints.service import visible_complaints
from app.core.security import Principal
from app.reports.errors import InvalidRange
from app.reports.schemas import (
    CategoryComplaints,
    ComplaintFigures,
    ComplaintReport,
    DepartmentComplaints,
)


def _seconds_to_close(dialect: str) -> Any:
    if dialect == "postgresql":
        return func.extract("epoch", col(Complaint.closed_at) - col(Complaint.received_at))
    return (func.julianday(col(Complaint.closed_at))
            - func.julianday(col(Complaint.received_at))) * 86400


async def complaints(session: AsyncSession, principal: Principal, *, date_from: date | None,
                     date_to: date | None, today: date) -> ComplaintReport:
    date_to = date_to or today
    date_from = date_from or date_to.replace(month=1, day=1)
    if date_from > date_to:
        raise InvalidRange(f"from {date_from} is after to {date_to}.")
    closed = col(Complaint.status) == ComplaintStatus.closed
    figures = (
        func.count().label("received"),
        func.count(case((~closed, 1))).label("open"),
        func.count(case((closed, 1))).label("closed"),
        func.avg(cast(case((closed, _seconds_to_close(session.get_bind().dialect.name))), Float))
        .label("mean_seconds"),
    )
    scope = (visible_complaints(principal),
             col(Complaint.received_at) >= local_day_start(date_from),
             col(Complaint.received_at) < local_day_start(date_to + timedelta(days=1)))

    async def grouped(*keys: Any) -> list[dict[str, Any]]:
        statement = select(*keys, *figures).where(*scope)
        if keys:
            statement = statement.group_by(*keys).order_by(*keys)
        return [dict(row) for row in (await session.execute(statement)).mappings()]

    [total] = await grouped()
    by_category = await grouped(col(Complaint.category))
    by_department = await grouped(col(Complaint.responsible_department_id))
    return ComplaintReport(
        date_from=date_from, date_to=date_to, total=ComplaintFigures(**_figures(total)),
        by_category=[CategoryComplaints(category=row["category"], **_figures(row))
                     for row in by_category],
        by_department=[DepartmentComplaints(department_id=row["responsible_department_id"],
                                            **_figures(row)) for row in by_department])


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    mean = row["mean_seconds"]
    return {"received": row["received"], "open": row["open"], "closed": row["closed"],
            "mean_hours_to_close": round(float(mean) / 3600, 2) if mean is not None else None}
