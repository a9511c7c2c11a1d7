from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.calendar.working_time import local_date
from app.core.clock import Now
from app.core.db import SessionDep
from app.core.errors import errors_doc
from app.core.schemas import FIRST_DAY, LAST_DAY
from app.core.security import CurrentPrincipal
from app.reports import funnel as funnel_report
from app.reports.errors import InvalidRange
from app.reports.schemas import FunnelReport

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/funnel", response_model=FunnelReport, responses=errors_doc(InvalidRange))
async def get_funnel_report(
    session: SessionDep, principal: CurrentPrincipal, now: Now,
    date_from: Annotated[date | None, Query(
        alias="from", ge=FIRST_DAY, le=LAST_DAY,
        description="First day of the cohort (company calendar); default: the first of "
                    "this month")] = None,
    date_to: Annotated[date | None, Query(
        alias="to", ge=FIRST_DAY, le=LAST_DAY,
        description="Last day, inclusive; default: today")] = None,
    department_id: Annotated[str | None, Query(max_length=32)] = None,
    owner_id: Annotated[str | None, Query(max_length=128)] = None,
) -> FunnelReport:
    """Leads → qualified → opportunities → won, with counts and amounts, by department and
    rep, for the leads created in the range; within what the caller may see."""
    return await funnel_report.funnel(session, principal, date_from=date_from, date_to=date_to,
                                      department_id=department_id, owner_id=owner_id,
                                      today=local_date(now))
