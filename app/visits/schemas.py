from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, StringConstraints

from app.approvals.schemas import ApprovalRead
from app.core.directory import CustomerName, PeopleNames
from app.core.ids import Id
from app.core.pagination import Page
from app.core.schemas import FIRST_DAY, LAST_DAY, ReadModel, UpdateModel, WriteModel
from app.visits.models import VisitStatus

Purpose = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Place = Annotated[str, StringConstraints(min_length=1, max_length=500)]
ContactName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
ReportText = Annotated[str, StringConstraints(min_length=1, max_length=20000)]


def _within_days(value: datetime) -> datetime:
    # Far-off years have no UTC equivalent that Python or the databases hold.
    if not FIRST_DAY.year <= value.year <= LAST_DAY.year:
        raise ValueError(f"must be between {FIRST_DAY.year} and {LAST_DAY.year}")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_within_days)]


class VisitCreate(WriteModel):
    """A visit to one of the caller's customers, at a time still to come."""

    customer_id: Id
    purpose: Purpose = Field(description="What the visit is for")
    planned_at: Instant = Field(description="When, with its UTC offset; in the future")
    place: Place
    contact_name: ContactName | None = Field(default=None,
                                             description="Whom the rep will meet")


class VisitUpdate(UpdateModel):
    """A draft's or a rejected request's changes."""

    clearable = frozenset({"contact_name"})

    purpose: Purpose | None = None
    planned_at: Instant | None = None
    place: Place | None = None
    contact_name: ContactName | None = None


class CancelBody(WriteModel):
    reason: Reason


class ReportBody(WriteModel):
    """What came of the visit, filed once its planned time has come."""

    outcome: ReportText = Field(description="What was discussed and agreed")
    next_steps: ReportText | None = Field(default=None, description="What follows, and who")


class VisitRead(ReadModel, PeopleNames, CustomerName):
    id: int
    number: str = Field(description="Business number, BF-2026-000001 (gap-free per year)")
    customer_id: int
    department_id: str
    owner_id: str
    purpose: str
    planned_at: datetime
    place: str
    contact_name: str | None
    status: VisitStatus
    key_customer: bool = Field(description="The customer was a key customer at the last "
                                           "submission: the deputy GM decides too")
    rejection_reason: str | None
    approved_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    outcome: str | None
    next_steps: str | None
    reported_at: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime
    approval: ApprovalRead | None = Field(
        default=None, description="The current (or last) request, with `waiting_on` and "
                                  "`due_at`: who must decide, by when")
    allowed_actions: list[str] = Field(
        default_factory=list,
        description="What the caller may do to it now: update, submit, recall, approve, "
                    "reject, cancel, report")


class VisitPage(Page[VisitRead]):
    pass


class VisitSummary(BaseModel):
    """The audited form of a visit (its audit rows' before and after, its events' data)."""

    id: int
    number: str
    status: VisitStatus
    customer_id: int
    department_id: str
    owner_id: str
    purpose: str
    planned_at: datetime
    place: str
    key_customer: bool
    version: int
