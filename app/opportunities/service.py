from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals.documents import recall_document, submit_document
from app.calendar.working_time import local_day_start
from app.core.db import commit
from app.core.errors import InvalidTransition
from app.core.filters import where_equal, where_range
from app.core.money import round_money
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import SALES_WORKING_ROLES, visible
from app.core.schemas import snapshot
from app.core.search import text_contains
from app.core.security import Principal
from app.core.versioning import apply_changes, ensure_version
from app.customers import service as customers
from app.customers.errors import CustomerNotFound
from app.customers.models import Customer
from app.events.changes import record_change
from app.opportunities.errors import (
    OpportunityClosed,
    OpportunityForbidden,
    OpportunityNotFound,
    ProposalApproved,
    ProposalNotApproved,
    ProposalOutOfStage,
    ProposalPending,
    UnknownCustomer,
)
from app.opportunities.models import Opportunity, OpportunityGrade, OpportunityStage, ProposalStatus
from app.opportunities.schemas import (
    OpportunityCreate,
    OpportunityFields,
    OpportunitySnapshot,
    OpportunityUpdate,
)
from app.opportunities.states import OPEN, ORDER, PROBABILITY, TRANSITIONS, ensure_transition

ENTITY = "opportunity"
PROPOSAL = "opportunity_proposal"
# Grades whose proposal the department head reviews before negotiation (SPEC §3).
REVIEWED_GRADES = frozenset({OpportunityGrade.high, OpportunityGrade.medium})
# An approved proposal is not submitted again: it holds until the opportunity goes back
# before the proposal stage (the customer reopened its needs), which sets it aside, so the
# new proposal is reviewed before negotiation. Edits of amount or grade keep it, as
# negotiation moves them and the head reviewed the approach, not a figure.
BEFORE_PROPOSAL = frozenset(ORDER[:ORDER.index(OpportunityStage.proposal)])


def _visible(principal: Principal) -> ColumnElement[bool]:
    return visible(principal, owner_column=Opportunity.owner_id,
                   department_column=Opportunity.department_id)


def may_work(principal: Principal) -> bool:
    return principal.has(*SALES_WORKING_ROLES)


def summary(opportunity: Opportunity) -> dict:
    return snapshot(OpportunitySnapshot, opportunity)


def weighted_amount(opportunity: Opportunity) -> Decimal:
    return round_money(opportunity.expected_amount * opportunity.probability / 100)


async def get_visible(session: AsyncSession, principal: Principal, opportunity_id: int, *,
                      for_update: bool = False) -> Opportunity:
    statement = select(Opportunity).where(col(Opportunity.id) == opportunity_id,
                                          _visible(principal))
    if for_update:
        statement = statement.with_for_update()
    opportunity = (await session.execute(statement)).scalar_one_or_none()
    if opportunity is None:
        raise OpportunityNotFound(f"No opportunity {opportunity_id}.")
    return opportunity


SORTS = Sorts("Opportunity", {
    "created_at": col(Opportunity.created_at), "updated_at": col(Opportunity.updated_at),
    "expected_close_date": col(Opportunity.expected_close_date),
    "expected_amount": col(Opportunity.expected_amount),
    "probability": col(Opportunity.probability), "title": col(Opportunity.title),
}, tiebreaker=col(Opportunity.id))


async def list_opportunities(
    session: AsyncSession, principal: Principal, *, stage: OpportunityStage | None,
    grade: OpportunityGrade | None, owner_id: str | None, customer_id: int | None,
    department_id: str | None = None, created_from: date | None = None,
    created_to: date | None = None, close_from: date | None = None,
    close_to: date | None = None, amount_from: Decimal | None = None,
    amount_to: Decimal | None = None, q: str | None = None, page: ListRequest,
) -> Listed[Opportunity]:
    """Visible opportunities; created days are the company's calendar days, `q` searches the
    title and the customer's name."""
    statement: Select[Any] = select(Opportunity).where(_visible(principal))
    statement = where_equal(statement, (col(Opportunity.stage), stage),
                            (col(Opportunity.grade), grade),
                            (col(Opportunity.owner_id), owner_id),
                            (col(Opportunity.customer_id), customer_id),
                            (col(Opportunity.department_id), department_id))
    statement = where_range(
        statement, col(Opportunity.created_at),
        local_day_start(created_from) if created_from else None,
        local_day_start(created_to + timedelta(days=1)) if created_to else None,
        last_excluded=True)
    statement = where_range(statement, col(Opportunity.expected_close_date), close_from, close_to)
    statement = where_range(statement, col(Opportunity.expected_amount), amount_from, amount_to)
    if q:
        statement = statement.where(
            text_contains(q, Opportunity.title, Opportunity.customer_name))
    return await SORTS.page(session, statement, page)


async def create(session: AsyncSession, principal: Principal, *, data: OpportunityCreate
                 ) -> Opportunity:
    """Open an opportunity with an existing customer of the caller."""
    if not may_work(principal):
        raise OpportunityForbidden("Your roles do not open opportunities.")
    try:
        customer = await customers.get_visible(session, principal, data.customer_id,
                                               lock="share")
    except CustomerNotFound as exc:
        raise UnknownCustomer(f"No customer {data.customer_id} of yours.") from exc
    opportunity = await add(session, principal, customer=customer, data=data,
                            probability=data.probability)
    await commit(session)
    return opportunity


async def add(session: AsyncSession, principal: Principal, *, customer: Customer,
              data: OpportunityFields, probability: int | None = None,
              lead_id: int | None = None) -> Opportunity:
    """An opportunity in the caller's unit of work (lead conversion uses it too). It belongs
    to the customer's owner, in the customer's department, like every document of it. It
    stores the customer's name: the caller holds the customer's "share" lock
    (customers.CustomerLock), or has just created it."""
    assert customer.id is not None  # loaded from the database
    opportunity = Opportunity(
        customer_id=customer.id, customer_name=customer.name, lead_id=lead_id,
        department_id=customer.department_id, owner_id=customer.owner_id, title=data.title,
        grade=data.grade,
        expected_amount=data.expected_amount, expected_close_date=data.expected_close_date,
        probability=(PROBABILITY[OpportunityStage.qualification] if probability is None
                     else probability),
        created_by=principal.sub)
    session.add(opportunity)
    await session.flush()
    assert opportunity.id is not None  # assigned by the flush
    record_change(session, principal, event_type="opportunity.created", entity_type=ENTITY,
                  entity_id=opportunity.id, before=None, after=summary(opportunity))
    return opportunity


async def update(session: AsyncSession, principal: Principal, *, opportunity_id: int,
                 data: OpportunityUpdate, expected_version: int | None) -> Opportunity:
    opportunity = await _workable(session, principal, opportunity_id, expected_version)
    _ensure_open(opportunity)
    _ensure_no_pending_proposal(opportunity)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items()
               if getattr(opportunity, k) != v}
    if not changes:
        return opportunity
    before = summary(opportunity)
    apply_changes(opportunity, changes)
    assert opportunity.id is not None  # loaded from the database
    record_change(session, principal, event_type="opportunity.updated", entity_type=ENTITY,
                  entity_id=opportunity.id, before=before, after=summary(opportunity))
    await commit(session)
    return opportunity


async def move_stage(session: AsyncSession, principal: Principal, *, opportunity_id: int,
                     stage: OpportunityStage, expected_version: int | None,
                     now: datetime) -> Opportunity:
    """Move to the next stage, or back to an earlier one. High and medium grade
    opportunities enter negotiation only with an approved proposal."""
    opportunity = await _workable(session, principal, opportunity_id, expected_version)
    moves = TRANSITIONS[opportunity.stage] & OPEN
    if stage not in moves:
        raise InvalidTransition(
            f"An opportunity in {opportunity.stage.value} cannot move to {stage.value}"
            + (" here; won and lost have their own actions, /win and /lose."
               if stage in (OpportunityStage.won, OpportunityStage.lost) else "."),
            current_stage=opportunity.stage.value, allowed_next=sorted(s.value for s in moves))
    _ensure_no_pending_proposal(opportunity)
    if (stage == OpportunityStage.negotiation and opportunity.grade in REVIEWED_GRADES
            and opportunity.proposal_status != ProposalStatus.approved):
        raise ProposalNotApproved(
            f"This {opportunity.grade.value} grade opportunity's proposal is "
            f"{(opportunity.proposal_status or 'not submitted').replace('_', ' ')}.",
            proposal_status=opportunity.proposal_status)
    reopened = _reopened_proposal(opportunity) if stage in BEFORE_PROPOSAL else {}
    _change(session, principal, opportunity, "opportunity.stage_changed", stage=stage,
            probability=PROBABILITY[stage], stage_changed_at=now, **reopened)
    await commit(session)
    return opportunity


async def win(session: AsyncSession, principal: Principal, *, opportunity_id: int,
              amount: Decimal | None, expected_version: int | None,
              now: datetime) -> Opportunity:
    opportunity = await _workable(session, principal, opportunity_id, expected_version)
    ensure_transition(opportunity.stage, OpportunityStage.won)
    _change(session, principal, opportunity, "opportunity.won", stage=OpportunityStage.won,
            probability=PROBABILITY[OpportunityStage.won], stage_changed_at=now, closed_at=now,
            won_amount=opportunity.expected_amount if amount is None else amount)
    await commit(session)
    return opportunity


async def lose(session: AsyncSession, principal: Principal, *, opportunity_id: int, reason: str,
               expected_version: int | None, now: datetime) -> Opportunity:
    opportunity = await _workable(session, principal, opportunity_id, expected_version)
    ensure_transition(opportunity.stage, OpportunityStage.lost)
    _ensure_no_pending_proposal(opportunity)
    _change(session, principal, opportunity, "opportunity.lost", stage=OpportunityStage.lost,
            probability=PROBABILITY[OpportunityStage.lost], stage_changed_at=now, closed_at=now,
            lost_reason=reason)
    await commit(session)
    return opportunity


async def submit_proposal(session: AsyncSession, principal: Principal, *, opportunity_id: int,
                          summary_text: str, expected_version: int | None,
                          now: datetime) -> Opportunity:
    """Send the proposal (销售方案) to the department head; the chain comes from the
    policy entry `opportunity_proposal`."""
    opportunity = await _workable(session, principal, opportunity_id, expected_version)
    if opportunity.stage != OpportunityStage.proposal:
        raise ProposalOutOfStage(f"The opportunity is at {opportunity.stage.value}.",
                                 current_stage=opportunity.stage.value)
    _ensure_no_pending_proposal(opportunity)
    if opportunity.proposal_status == ProposalStatus.approved:
        raise ProposalApproved()
    await submit_document(session, principal, opportunity, now=now,
                          changes={"proposal_summary": summary_text})
    return opportunity


async def recall_proposal(session: AsyncSession, principal: Principal, *, opportunity_id: int,
                          now: datetime, expected_version: int | None = None) -> Opportunity:
    # Not locked here (recall_document says why).
    opportunity = await get_visible(session, principal, opportunity_id)
    ensure_version(opportunity.version, expected_version)
    await recall_document(session, principal, opportunity, now=now)
    return opportunity


def allowed_actions(opportunity: Opportunity, principal: Principal,
                    approval_actions: list[str]) -> list[str]:
    """What the caller may do now: the same rules the commands enforce."""
    if opportunity.stage not in OPEN:
        return []
    pending = opportunity.proposal_status == ProposalStatus.pending_approval
    actions = [a for a in approval_actions if a in ("approve", "reject")] if pending else []
    if not may_work(principal):
        return actions
    if pending:
        return actions + (["recall_proposal"] if "recall" in approval_actions else [])
    actions += ["update", "move_stage"]
    if (opportunity.stage == OpportunityStage.proposal
            and opportunity.proposal_status != ProposalStatus.approved):
        actions.append("submit_proposal")
    if opportunity.stage == OpportunityStage.negotiation:
        actions.append("win")
    actions.append("lose")
    return actions


async def _workable(session: AsyncSession, principal: Principal, opportunity_id: int,
                    expected_version: int | None) -> Opportunity:
    opportunity = await get_visible(session, principal, opportunity_id, for_update=True)
    if not may_work(principal):
        raise OpportunityForbidden()
    ensure_version(opportunity.version, expected_version)
    return opportunity


def _change(session: AsyncSession, principal: Principal, opportunity: Opportunity,
            event_type: str, **fields: object) -> None:
    before = summary(opportunity)
    apply_changes(opportunity, fields)
    assert opportunity.id is not None  # loaded from the database
    record_change(session, principal, event_type=event_type, entity_type=ENTITY,
                  entity_id=opportunity.id, before=before, after=summary(opportunity))


def _reopened_proposal(opportunity: Opportunity) -> dict[str, object]:
    """The change that sets an approved proposal aside (none when it is not approved)."""
    if opportunity.proposal_status != ProposalStatus.approved:
        return {}
    return {"proposal_status": None}


def _ensure_open(opportunity: Opportunity) -> None:
    if opportunity.stage not in OPEN:
        raise OpportunityClosed(f"The opportunity is {opportunity.stage.value}.")


def _ensure_no_pending_proposal(opportunity: Opportunity) -> None:
    if opportunity.proposal_status == ProposalStatus.pending_approval:
        raise ProposalPending()
