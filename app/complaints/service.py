"""Customer complaints (顾客抱怨处理, SPEC §3 Complaint): intake with an acknowledgement
deadline, assignment to the responsible department, its responsibility report reviewed by
quality, then either the explanation (accepted, or negotiated to a settlement) or the
company's corrective and preventive actions (approved: app/complaints/capa.py),
implemented, verified, fed back; closed with the customer's satisfaction.

Every command locks the complaint, checks the caller's role and the transition, and writes
the change with its audit row and event in one transaction."""

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.calendar.service import cached_calendar
from app.calendar.working_time import COMPANY_TZ, local_date, local_day_start
from app.complaints.errors import (
    ComplaintForbidden,
    ComplaintNotFound,
    ReviewIncomplete,
    SettlementRequired,
    UnknownCustomer,
    UnknownDepartment,
    UnknownDocument,
)
from app.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintRemedy,
    ComplaintSeverity,
    ComplaintStatus,
    ComplaintTracking,
)
from app.complaints.schemas import (
    ComplaintCreate,
    ComplaintSummary,
    DeterminationBody,
    ReviewBody,
    VerificationBody,
)
from app.complaints.states import REMEDIABLE, ensure_transition
from app.core.db import commit
from app.core.filters import where_equal, where_range
from app.core.numbering import next_number
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import Capability, Role, can, visible
from app.core.search import text_contains
from app.core.security import Principal
from app.core.versioning import apply_changes, ensure_version
from app.customers.models import Customer
from app.deliveries.models import Delivery
from app.departments.models import Department
from app.events.changes import record_change
from app.orders.models import Order

ENTITY = "complaint"
S = ComplaintStatus
# The acknowledgement deadline is counted on a calendar window this long.
CALENDAR_WINDOW = timedelta(days=60)


# ---- who sees and does what -------------------------------------------------------------


def visible_complaints(principal: Principal) -> ColumnElement[bool]:
    """A rep sees the complaints of their customers, a head their department's and those
    their department investigates; customer service, quality and the company-wide roles
    see all."""
    clause = visible(principal, owner_column=Complaint.owner_id,
                     department_column=Complaint.department_id)
    if principal.has(Role.dept_head) and principal.dept:
        clause = or_(clause, col(Complaint.responsible_department_id) == principal.dept)
    return clause


def may_investigate(principal: Principal, complaint: Complaint) -> bool:
    """The responsible department's head (its report, CAPA and tracking); admin anywhere."""
    if not can(principal, Capability.complaint_investigate):
        return False
    if principal.has(Role.admin):
        return True
    return complaint.responsible_department_id == principal.dept


def may_draft_capa(principal: Principal, complaint: Complaint) -> bool:
    return can(principal, Capability.complaint_handle) or may_investigate(principal, complaint)


def _require(allowed: bool, doing: str) -> None:
    if not allowed:
        raise ComplaintForbidden(f"Your roles do not {doing}.")


# ---- reading ----------------------------------------------------------------------------


async def get_visible(session: AsyncSession, principal: Principal, complaint_id: int, *,
                      for_update: bool = False) -> Complaint:
    statement = select(Complaint).where(col(Complaint.id) == complaint_id,
                                        visible_complaints(principal))
    if for_update:
        # Read as the lock finds it, not as the session may have held it before.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    complaint = (await session.execute(statement)).scalar_one_or_none()
    if complaint is None:
        raise ComplaintNotFound(f"No complaint {complaint_id}.")
    return complaint


def ack_overdue_clause(now: datetime) -> ColumnElement[bool]:
    return and_(col(Complaint.acknowledged_at).is_(None), col(Complaint.ack_due_at) < now)


def is_ack_overdue(complaint: Complaint, now: datetime) -> bool:
    return complaint.acknowledged_at is None and complaint.ack_due_at < now


SORTS = Sorts("Complaint", {
    "created_at": col(Complaint.created_at), "received_at": col(Complaint.received_at),
    "ack_due_at": col(Complaint.ack_due_at),
}, tiebreaker=col(Complaint.id))


async def list_complaints(
    session: AsyncSession, principal: Principal, *, status: ComplaintStatus | None,
    category: ComplaintCategory | None, severity: ComplaintSeverity | None,
    customer_id: int | None, overdue: bool | None, now: datetime,
    owner_id: str | None = None, department_id: str | None = None,
    created_from: date | None = None, created_to: date | None = None,
    received_from: date | None = None, received_to: date | None = None,
    q: str | None = None, page: ListRequest,
) -> Listed[Complaint]:
    """Newest first unless sorted otherwise; the day ranges are of company calendar days,
    both ends included. `department_id` is the customer's department (not the one
    investigating)."""
    statement = select(Complaint).where(visible_complaints(principal))
    statement = where_equal(statement, (col(Complaint.status), status),
                            (col(Complaint.category), category),
                            (col(Complaint.severity), severity),
                            (col(Complaint.customer_id), customer_id),
                            (col(Complaint.owner_id), owner_id),
                            (col(Complaint.department_id), department_id))
    for column, first, last in ((Complaint.created_at, created_from, created_to),
                                (Complaint.received_at, received_from, received_to)):
        statement = where_range(
            statement, col(column), local_day_start(first) if first else None,
            local_day_start(last + timedelta(days=1)) if last else None, last_excluded=True)
    if overdue is not None:
        clause = ack_overdue_clause(now)
        statement = statement.where(clause if overdue else ~clause)
    if q:
        statement = statement.where(
            text_contains(q, Complaint.number, Complaint.title, Complaint.description))
    return await SORTS.page(session, statement, page)


async def tracking_of(session: AsyncSession, complaint_id: int) -> list[ComplaintTracking]:
    return list((await session.execute(
        select(ComplaintTracking).where(col(ComplaintTracking.complaint_id) == complaint_id)
        .order_by(col(ComplaintTracking.id)))).scalars())


async def remedies_of(session: AsyncSession, complaint_id: int) -> list[ComplaintRemedy]:
    return list((await session.execute(
        select(ComplaintRemedy).where(col(ComplaintRemedy.complaint_id) == complaint_id)
        .order_by(col(ComplaintRemedy.id)))).scalars())


# ---- intake -----------------------------------------------------------------------------


async def create(session: AsyncSession, principal: Principal, *, data: ComplaintCreate,
                 ack_hours: int, now: datetime) -> Complaint:
    """Register a complaint of a customer the caller sees; it is to be acknowledged within
    `ack_hours` working hours."""
    _require(can(principal, Capability.complaint_intake), "take complaints in")
    customer = (await session.execute(select(Customer).where(
        col(Customer.id) == data.customer_id,
        visible(principal, owner_column=Customer.owner_id,
                department_column=Customer.department_id)))).scalar_one_or_none()
    if customer is None:
        raise UnknownCustomer(f"No customer {data.customer_id}.")
    order_id = data.order_id
    if data.delivery_id is not None:
        delivery = await session.get(Delivery, data.delivery_id)
        if delivery is None or delivery.customer_id != customer.id or (
                order_id is not None and delivery.order_id != order_id):
            raise UnknownDocument(f"Delivery {data.delivery_id} is not of customer "
                                  f"{customer.id}'s order.")
        order_id = delivery.order_id
    if order_id is not None:
        order = await session.get(Order, order_id)
        if order is None or order.customer_id != customer.id:
            raise UnknownDocument(f"Order {order_id} is not customer {customer.id}'s.")
    calendar = await cached_calendar(session, start=(now - timedelta(days=1)).date(),
                                     end=(now + CALENDAR_WINDOW).date(), tz=COMPANY_TZ)
    assert customer.id is not None  # loaded from the database
    complaint = Complaint(
        number=await next_number(session, ENTITY, on=local_date(now)),
        customer_id=customer.id, department_id=customer.department_id,
        owner_id=customer.owner_id, order_id=order_id, delivery_id=data.delivery_id,
        channel=data.channel, category=data.category, severity=data.severity,
        title=data.title, description=data.description, attachments=list(data.attachments),
        received_at=now, ack_due_at=calendar.add_working_hours(now, ack_hours),
        created_by=principal.sub, created_at=now, updated_at=now)
    session.add(complaint)
    await session.flush()
    assert complaint.id is not None  # assigned by the flush
    record_change(session, principal, event_type="complaint.received", entity_type=ENTITY,
                  entity_id=complaint.id, before=None, after=summary(complaint),
                  event_data=event_data(complaint))
    await commit(session)
    return complaint


# ---- investigation and review -----------------------------------------------------------


async def assign(session: AsyncSession, principal: Principal, *, complaint_id: int,
                 department_id: str, expected_version: int | None,
                 now: datetime) -> Complaint:
    """Give the complaint to the department responsible for investigating it; the first
    assignment acknowledges it to the customer."""
    complaint = await _locked(session, principal, complaint_id, expected_version)
    _require(can(principal, Capability.complaint_handle), "assign complaints")
    ensure_transition(complaint.status, S.investigating)
    if await session.get(Department, department_id) is None:
        raise UnknownDepartment(f"No department {department_id!r}.")
    _change(session, principal, complaint, "complaint.assigned", status=S.investigating,
            responsible_department_id=department_id, assigned_at=now,
            acknowledged_at=complaint.acknowledged_at or now, updated_at=now)
    await commit(session)
    return complaint


async def determine(session: AsyncSession, principal: Principal, *, complaint_id: int,
                    data: DeterminationBody, expected_version: int | None,
                    now: datetime) -> Complaint:
    """The responsible department's report: whether the company is at fault, and why."""
    complaint = await _locked(session, principal, complaint_id, expected_version)
    _require(may_investigate(principal, complaint),
             "report on complaints outside your department")
    ensure_transition(complaint.status, S.under_review)
    _change(session, principal, complaint, "complaint.determined", status=S.under_review,
            company_fault=data.company_fault, cause=data.cause,
            responsibility_report=data.report, determined_by=principal.sub, updated_at=now)
    await commit(session)
    return complaint


async def review(session: AsyncSession, principal: Principal, *, complaint_id: int,
                 data: ReviewBody, expected_version: int | None, now: datetime) -> Complaint:
    """Quality reviews the report: accepted, the complaint is explained (not the company's
    fault) or goes to corrective action (a nonconformity); else back to investigation."""
    complaint = await _locked(session, principal, complaint_id, expected_version)
    _require(can(principal, Capability.complaint_review), "review complaints")
    fields: dict[str, Any] = {"review_comment": data.comment, "reviewed_by": principal.sub,
                              "updated_at": now}
    if not data.accepted:
        target = S.investigating
    elif complaint.company_fault:
        target = S.corrective_action
        if data.nonconformity_report is None:
            raise ReviewIncomplete("The company is at fault: an accepted review needs the "
                                   "`nonconformity_report`.")
        fields["nonconformity_report"] = data.nonconformity_report
    else:
        target = S.explained
        if data.explanation is None:
            raise ReviewIncomplete("The company is not at fault: an accepted review needs the "
                                   "`explanation` given to the customer.")
        fields["explanation"] = data.explanation
    ensure_transition(complaint.status, target)
    _change(session, principal, complaint, "complaint.reviewed", status=target, **fields)
    await commit(session)
    return complaint


# ---- the customer's answer --------------------------------------------------------------


async def negotiate(session: AsyncSession, principal: Principal, *, complaint_id: int,
                    reason: str, expected_version: int | None, now: datetime) -> Complaint:
    """The customer does not accept the explanation: a settlement is negotiated."""
    complaint = await _locked(session, principal, complaint_id, expected_version)
    _require(can(principal, Capability.complaint_handle), "negotiate complaints")
    ensure_transition(complaint.status, S.negotiating)
    _change(session, principal, complaint, "complaint.negotiating", extra={"reason": reason},
            status=S.negotiating, updated_at=now)
    await commit(session)
    return complaint


async def track(session: AsyncSession, principal: Principal, *, complaint_id: int, note: str,
                completed: bool, expected_version: int | None, now: datetime) -> Complaint:
    """A progress record of the corrective actions; the last one (`completed`) sends the
    complaint to verification."""
    complaint = await _locked(session, principal, complaint_id, expected_version)
    _require(may_draft_capa(principal, complaint), "track this complaint's actions")
    target = S.verifying if completed else S.implementing
    ensure_transition(complaint.status, target)
    assert complaint.id is not None  # loaded from the database
    record = ComplaintTracking(complaint_id=complaint.id, note=note, completed=completed,
                               recorded_by=principal.sub, recorded_at=now)
    session.add(record)
    await session.flush()
    _change(session, principal, complaint, "complaint.tracking_recorded",
            extra={"tracking": {"id": record.id, "note": note, "completed": completed}},
            status=target, updated_at=now)
    await commit(session)
    return complaint


async def verify(session: AsyncSession, principal: Principal, *, complaint_id: int,
                 data: VerificationBody, expected_version: int | None,
                 now: datetime) -> Complaint:
    """Quality's effectiveness report: effective, feedback to the customer is due; not,
    back to implementing."""
    complaint = await _locked(session, principal, complaint_id, expected_version)
    _require(can(principal, Capability.complaint_review), "verify corrective actions")
    target = S.verified if data.effective else S.implementing
    ensure_transition(complaint.status, target)
    _change(session, principal, complaint, "complaint.verified",
            extra={"effective": data.effective}, status=target,
            verification_report=data.report, verified_by=principal.sub, updated_at=now)
    await commit(session)
    return complaint


async def give_feedback(session: AsyncSession, principal: Principal, *, complaint_id: int,
                        feedback: str, expected_version: int | None,
                        now: datetime) -> Complaint:
    complaint = await _locked(session, principal, complaint_id, expected_version)
    _require(can(principal, Capability.complaint_handle), "feed complaints back")
    ensure_transition(complaint.status, S.feedback_given)
    _change(session, principal, complaint, "complaint.feedback_given", status=S.feedback_given,
            feedback=feedback, updated_at=now)
    await commit(session)
    return complaint


async def close(session: AsyncSession, principal: Principal, *, complaint_id: int,
                satisfaction: int, settlement: str | None, expected_version: int | None,
                now: datetime) -> Complaint:
    """Close with the customer's satisfaction: once the explanation is accepted, once a
    settlement is agreed (say which), or once the corrective actions were fed back."""
    complaint = await _locked(session, principal, complaint_id, expected_version)
    _require(can(principal, Capability.complaint_handle), "close complaints")
    ensure_transition(complaint.status, S.closed)
    if complaint.status == S.negotiating and settlement is None:
        raise SettlementRequired()
    _change(session, principal, complaint, "complaint.closed", status=S.closed,
            satisfaction=satisfaction, settlement=settlement or complaint.settlement,
            closed_at=now, updated_at=now)
    await commit(session)
    return complaint


# ---- shared -----------------------------------------------------------------------------


async def _locked(session: AsyncSession, principal: Principal, complaint_id: int,
                  expected_version: int | None) -> Complaint:
    complaint = await get_visible(session, principal, complaint_id, for_update=True)
    ensure_version(complaint.version, expected_version)
    return complaint


def _change(session: AsyncSession, principal: Principal, complaint: Complaint,
            event_type: str, *, extra: dict[str, Any] | None = None, **fields: Any) -> None:
    assert complaint.id is not None  # loaded from the database
    before = summary(complaint)
    apply_changes(complaint, fields)
    record_change(session, principal, event_type=event_type, entity_type=ENTITY,
                  entity_id=complaint.id, before=before, after=summary(complaint),
                  event_data={**event_data(complaint), **(extra or {})})


def summary(complaint: Complaint) -> dict[str, Any]:
    assert complaint.id is not None  # flushed or loaded
    return ComplaintSummary.model_validate(complaint, from_attributes=True).model_dump(
        mode="json")


def event_data(complaint: Complaint) -> dict[str, Any]:
    return {**summary(complaint), "title": complaint.title,
            "received_at": complaint.received_at.isoformat(),
            "ack_due_at": complaint.ack_due_at.isoformat()}


def allowed_actions(complaint: Complaint, principal: Principal,
                    approval_actions: list[str]) -> list[str]:
    """What the caller may do now: the same rules the commands enforce."""
    status = complaint.status
    handle = can(principal, Capability.complaint_handle)
    quality = can(principal, Capability.complaint_review)
    actions: list[str] = []
    if handle and status in (S.received, S.investigating):
        actions.append("assign")
    if status == S.investigating and may_investigate(principal, complaint):
        actions.append("determination")
    if quality and status == S.under_review:
        actions.append("review")
    if handle and status == S.explained:
        actions.append("negotiation")
    if status == S.corrective_action and may_draft_capa(principal, complaint):
        actions.append("capa")
    if status == S.capa_review:
        actions += [a for a in approval_actions if a in ("approve", "reject", "recall")]
    if status == S.implementing and may_draft_capa(principal, complaint):
        actions.append("tracking")
    if quality and status == S.verifying:
        actions.append("verification")
    if handle and status == S.verified:
        actions.append("feedback")
    if handle and status in (S.explained, S.negotiating, S.feedback_given):
        actions.append("close")
    if can(principal, Capability.complaint_remedy) and status in REMEDIABLE:
        actions.append("remedies")
    return actions
