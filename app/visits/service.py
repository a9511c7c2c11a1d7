"""Customer visits (客户拜访, 004 "客户拜访审批"): the rep requests a visit (customer, purpose,
time, place), the department head decides within 24 hours (with the deputy GM for a key
customer, as the policy's `customer_visit` says), and after the visit the rep files its
report (outcome, next steps).

Lock order, as for every document: an approval request, then the visit. A recall therefore
reads the visit unlocked and lets the engine lock the request first."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals import requests as approvals
from app.approvals import store as approval_store
from app.approvals.documents import recall_document, submit_document
from app.approvals.models import ApprovalStep, RequestStatus, StepStatus
from app.approvals.policy import DocumentFacts
from app.approvals.registry import SubmittedDocument
from app.calendar.working_time import local_date, local_day_start
from app.core.db import commit
from app.core.errors import Conflict
from app.core.filters import where_equal, where_range
from app.core.numbering import next_number, number_is
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import SALES_WORKING_ROLES, visible
from app.core.schemas import FIRST_DAY, LAST_DAY
from app.core.search import text_contains
from app.core.security import Principal
from app.core.versioning import apply_changes, ensure_version
from app.customers import service as customers
from app.customers.errors import CustomerNotFound
from app.customers.models import Customer
from app.events.changes import record_change
from app.visits.errors import (
    UnknownCustomer,
    VisitForbidden,
    VisitLocked,
    VisitNotFound,
    VisitNotYetHeld,
    VisitTimeInPast,
)
from app.visits.models import CustomerVisit, VisitStatus
from app.visits.schemas import ReportBody, VisitCreate, VisitSummary, VisitUpdate
from app.visits.states import CANCELLABLE, EDITABLE, ensure_transition

ENTITY = "visit"
NUMBER_KIND = "visit"
DOCUMENT_TYPE = POLICY_KEY = "customer_visit"
KEY_CUSTOMER_FLAG = "key_customer"
# session.info key: visits whose pending request is being withdrawn to cancel them, with the
# reason (the approval adapter ends such a request in `cancelled`, not in draft).
CANCELLING = "visits.cancelling"
ZERO = Decimal("0.00")  # a visit has no amount: the policy does not tier it


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """A rep sees their own visits, a head the department's, a deputy GM the departments
    they oversee, the company-wide roles all (as every sales document)."""
    return visible(principal, owner_column=CustomerVisit.owner_id,
                   department_column=CustomerVisit.department_id)


def may_edit(principal: Principal) -> bool:
    return principal.has(*SALES_WORKING_ROLES)


# ---- reading ----------------------------------------------------------------------------


async def get_visible(session: AsyncSession, principal: Principal, visit_id: int, *,
                      for_update: bool = False) -> CustomerVisit:
    statement = select(CustomerVisit).where(col(CustomerVisit.id) == visit_id,
                                            visible_clause(principal))
    if for_update:
        # Read as the lock finds it, not as the session may have held it before.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    visit = (await session.execute(statement)).scalar_one_or_none()
    if visit is None:
        raise VisitNotFound(f"No visit {visit_id}.")
    return visit


def decision_overdue(now: datetime) -> ColumnElement[bool]:
    """The visit's request has a step still to decide past its deadline (marked overdue by
    the sweep or not yet)."""
    return exists().where(
        col(ApprovalStep.request_id) == CustomerVisit.approval_request_id,
        col(ApprovalStep.status) == StepStatus.active,
        col(ApprovalStep.due_at) < now,
    ) & (col(CustomerVisit.status) == VisitStatus.in_review)


SORTS = Sorts("Visit", {
    "created_at": col(CustomerVisit.created_at), "planned_at": col(CustomerVisit.planned_at),
}, tiebreaker=col(CustomerVisit.id))


def _day_start(day: date, *, days_after: int = 0) -> datetime:
    # Clamped to the days a UTC instant can hold in both databases.
    return local_day_start(min(max(day, FIRST_DAY), LAST_DAY) + timedelta(days=days_after))


async def list_visits(
    session: AsyncSession, principal: Principal, *, now: datetime,
    status: VisitStatus | None = None, customer_id: int | None = None,
    owner_id: str | None = None, department_id: str | None = None,
    planned_from: date | None = None, planned_to: date | None = None,
    created_from: date | None = None, created_to: date | None = None,
    overdue: bool | None = None, number: str | None = None, q: str | None = None,
    page: ListRequest,
) -> Listed[CustomerVisit]:
    """Newest first unless sorted otherwise. The day ranges are of company calendar days,
    both ends included."""
    statement: Select[Any] = select(CustomerVisit).where(visible_clause(principal))
    if number is not None:
        statement = statement.where(number_is(col(CustomerVisit.number), number))
    statement = where_equal(statement, (col(CustomerVisit.status), status),
                            (col(CustomerVisit.customer_id), customer_id),
                            (col(CustomerVisit.owner_id), owner_id),
                            (col(CustomerVisit.department_id), department_id))
    for column, first, last in ((CustomerVisit.planned_at, planned_from, planned_to),
                                (CustomerVisit.created_at, created_from, created_to)):
        statement = where_range(
            statement, col(column), _day_start(first) if first else None,
            _day_start(last, days_after=1) if last else None, last_excluded=True)
    if overdue is not None:
        clause = decision_overdue(now)
        statement = statement.where(clause if overdue else ~clause)
    if q:
        statement = statement.where(
            text_contains(q, CustomerVisit.number, CustomerVisit.purpose, CustomerVisit.place))
    return await SORTS.page(session, statement, page)


# ---- writing ----------------------------------------------------------------------------


async def create(session: AsyncSession, principal: Principal, *, data: VisitCreate,
                 now: datetime) -> CustomerVisit:
    """Draft a visit to one of the caller's customers; it belongs to the customer's rep and
    department, and gets the year's next visit number (BF-2026-000001)."""
    if not may_edit(principal):
        raise VisitForbidden("Your roles do not request visits.")
    try:
        customer = await customers.get_visible(session, principal, data.customer_id)
    except CustomerNotFound as exc:
        raise UnknownCustomer(f"No customer {data.customer_id} of yours.") from exc
    assert customer.id is not None  # loaded from the database
    _ensure_to_come(data.planned_at, now)
    visit = CustomerVisit(  # type: ignore[call-arg]
        customer_id=customer.id, department_id=customer.department_id,
        owner_id=customer.owner_id, purpose=data.purpose, planned_at=data.planned_at,
        place=data.place, contact_name=data.contact_name, created_by=principal.sub)
    visit.number = await next_number(session, NUMBER_KIND, on=local_date(now))
    session.add(visit)
    await session.flush()
    assert visit.id is not None  # assigned by the flush
    record_change(session, principal, event_type="visit.created", entity_type=ENTITY,
                  entity_id=visit.id, before=None, after=summary(visit))
    await commit(session)
    return visit


async def update(session: AsyncSession, principal: Principal, *, visit_id: int,
                 data: VisitUpdate, expected_version: int | None,
                 now: datetime) -> CustomerVisit:
    """Edit a draft, or a rejected request before submitting it again."""
    visit = await _editable(session, principal, visit_id, expected_version)
    assert visit.id is not None  # loaded from the database
    if visit.status not in EDITABLE:
        raise VisitLocked(f"The visit is {visit.status.value}.", status_now=visit.status.value)
    changes = {field: value for field, value in data.model_dump(exclude_unset=True).items()
               if getattr(visit, field) != value}
    if not changes:
        return visit  # nothing to change: no new version, no event
    if "planned_at" in changes:
        _ensure_to_come(changes["planned_at"], now)
    before = summary(visit)
    apply_changes(visit, changes)
    record_change(session, principal, event_type="visit.updated", entity_type=ENTITY,
                  entity_id=visit.id, before=before, after=summary(visit))
    await commit(session)
    return visit


async def submit(session: AsyncSession, principal: Principal, *, visit_id: int,
                 expected_version: int | None, now: datetime) -> CustomerVisit:
    """Send a draft (or a rejected request, edited or not) to the department head; a key
    customer's visit is decided by the deputy GM too. The visit must still be to come."""
    visit = await _editable(session, principal, visit_id, expected_version)
    ensure_transition(visit.status, VisitStatus.in_review)
    _ensure_to_come(visit.planned_at, now)
    customer = await session.get(Customer, visit.customer_id)
    assert customer is not None  # a foreign key
    await submit_document(session, principal, visit, now=now,
                          changes={"key_customer": customer.is_key_customer})
    return visit


async def recall(session: AsyncSession, principal: Principal, *, visit_id: int,
                 expected_version: int | None, now: datetime) -> CustomerVisit:
    """The submitter takes the request back to draft."""
    # Not locked here (recall_document says why).
    visit = await get_visible(session, principal, visit_id)
    ensure_version(visit.version, expected_version)
    await recall_document(session, principal, visit, now=now)
    return visit


async def cancel(session: AsyncSession, principal: Principal, *, visit_id: int, reason: str,
                 expected_version: int | None, now: datetime) -> CustomerVisit:
    """Call a visit off: a draft, a rejected request, one in review (its request is
    withdrawn) or an approved visit not yet reported."""
    visit = await get_visible(session, principal, visit_id)
    if not may_edit(principal):
        raise VisitForbidden()
    ensure_version(visit.version, expected_version)
    if visit.status == VisitStatus.in_review and await _withdraw_to_cancel(
            session, principal, visit, reason, now):
        return visit
    # Not in review, or its request ended meanwhile (approved: it is cancelled as such).
    visit = await _editable(session, principal, visit_id, expected_version)
    ensure_transition(visit.status, VisitStatus.cancelled)
    if visit.status == VisitStatus.in_review:
        raise Conflict("The visit was submitted meanwhile; cancel it again.",
                       status_now=visit.status.value)
    _move(session, principal, visit, VisitStatus.cancelled, "visit.cancelled",
          extra={"reason": reason, "approval_request_id": None},
          cancelled_at=now, cancel_reason=reason)
    await commit(session)
    return visit


async def _withdraw_to_cancel(session: AsyncSession, principal: Principal,
                              visit: CustomerVisit, reason: str, now: datetime) -> bool:
    """As a recall, by anyone who may cancel the visit: the request is locked first, and
    the approval adapter locks the visit and cancels it (CANCELLING tells it so). False
    when the request was decided meanwhile: nothing is withdrawn."""
    assert visit.id is not None and visit.approval_request_id is not None
    loaded = await approval_store.load(session, visit.approval_request_id, lock=True)
    if loaded.request.status != RequestStatus.pending:
        return False
    session.info.setdefault(CANCELLING, {})[visit.id] = reason
    try:
        await approvals.finish(session, principal, loaded, RequestStatus.recalled, now,
                               reason=reason)
    finally:
        session.info[CANCELLING].pop(visit.id, None)
    await commit(session)
    return True


async def report(session: AsyncSession, principal: Principal, *, visit_id: int,
                 data: ReportBody, expected_version: int | None,
                 now: datetime) -> CustomerVisit:
    """File the report of an approved visit whose planned time has come."""
    visit = await _editable(session, principal, visit_id, expected_version)
    ensure_transition(visit.status, VisitStatus.reported)
    if now < visit.planned_at:
        raise VisitNotYetHeld(f"The visit is planned for {visit.planned_at.isoformat()}.",
                              planned_at=visit.planned_at.isoformat())
    _move(session, principal, visit, VisitStatus.reported, "visit.reported",
          outcome=data.outcome, next_steps=data.next_steps, reported_at=now)
    await commit(session)
    return visit


def _move(session: AsyncSession, principal: Principal, visit: CustomerVisit,
          target: VisitStatus, event_type: str, *, extra: dict[str, Any] | None = None,
          **fields: Any) -> None:
    assert visit.id is not None  # loaded from the database
    before = summary(visit)
    apply_changes(visit, {"status": target, **fields})
    after = summary(visit)
    record_change(session, principal, event_type=event_type, entity_type=ENTITY,
                  entity_id=visit.id, before=before, after=after,
                  event_data={**after, **to_jsonable_python(extra or fields)})


# ---- shared with the approval adapter and the router ------------------------------------


def describe(visit: CustomerVisit) -> SubmittedDocument:
    """The visit as the policy sees it: no amount, its department, and the flag that adds
    the deputy GM for a key customer."""
    assert visit.id is not None  # loaded from the database
    return SubmittedDocument(
        document_type=DOCUMENT_TYPE, document_id=visit.id, document_version=visit.version,
        title=f"客户拜访 {visit.number}"[:200], owner_id=visit.owner_id,
        facts=DocumentFacts(policy_key=POLICY_KEY, amount=ZERO,
                            department_id=visit.department_id,
                            flags=frozenset({KEY_CUSTOMER_FLAG}) if visit.key_customer
                            else frozenset()))


def summary(visit: CustomerVisit) -> dict[str, Any]:
    assert visit.id is not None  # flushed or loaded
    return VisitSummary(
        id=visit.id, number=visit.number, status=visit.status, customer_id=visit.customer_id,
        department_id=visit.department_id, owner_id=visit.owner_id, purpose=visit.purpose,
        planned_at=visit.planned_at, place=visit.place, key_customer=visit.key_customer,
        version=visit.version).model_dump(mode="json")


def allowed_actions(visit: CustomerVisit, principal: Principal, approval_actions: list[str],
                    now: datetime) -> list[str]:
    """What the caller may do now: the same rules the commands enforce."""
    actions: list[str] = []
    status, editor = visit.status, may_edit(principal)
    if status == VisitStatus.in_review:
        actions += [a for a in approval_actions if a in ("approve", "reject", "recall")]
    if editor and status in EDITABLE:
        actions += ["update", "submit"]
    if editor and status in CANCELLABLE:
        actions.append("cancel")
    if editor and status == VisitStatus.approved and now >= visit.planned_at:
        actions.append("report")
    return actions


async def _editable(session: AsyncSession, principal: Principal, visit_id: int,
                    expected_version: int | None) -> CustomerVisit:
    visit = await get_visible(session, principal, visit_id, for_update=True)
    if not may_edit(principal):
        raise VisitForbidden()
    ensure_version(visit.version, expected_version)
    return visit


def _ensure_to_come(planned_at: datetime, now: datetime) -> None:
    if planned_at <= now:
        raise VisitTimeInPast(f"{planned_at.isoformat()} is not after now ({now.isoformat()}).",
                              planned_at=planned_at.isoformat())

