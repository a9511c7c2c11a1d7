"""SLA enforcement: a step past its deadline is marked overdue, announced, and escalated one
level up (dept_head → deputy_gm → gm); the original deciders keep their right to act."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals.models import ApprovalRequest, ApprovalStep, StepStatus
from app.approvals.policy import escalation_for
from app.core.db import commit
from app.core.permissions import Role
from app.core.security import Principal
from app.events.changes import record_change

SWEEPER = Principal(sub="system:sla-sweeper", roles=frozenset(), name="SLA sweeper")
BATCH = 200


async def sweep_overdue(session: AsyncSession, *, now: datetime, batch: int = BATCH) -> int:
    """Escalate up to `batch` overdue steps; returns how many. Several workers may sweep at
    once: each takes the rows no other holds (SKIP LOCKED), so a step escalates once."""
    rows = (await session.execute(
        select(ApprovalStep, ApprovalRequest)
        .join(ApprovalRequest, col(ApprovalRequest.id) == ApprovalStep.request_id)
        .where(col(ApprovalStep.status) == StepStatus.active, col(ApprovalStep.due_at) < now,
               col(ApprovalStep.overdue_at).is_(None))
        .order_by(col(ApprovalStep.due_at)).limit(batch)
        # The request is locked too, as decisions lock it: a step is never marked overdue
        # while its request is being decided, and the request's events keep their order.
        # SKIP LOCKED means the sweeper never waits, so it cannot deadlock with a decision.
        .with_for_update(skip_locked=True, of=(ApprovalStep, ApprovalRequest))
    )).all()
    for step, request in rows:
        assert request.id is not None  # loaded from the database
        step.overdue_at = now
        step.escalated_role = (escalation_for(Role(step.role)) or Role.gm).value
        if step.escalated_role == step.role:
            step.escalated_role = None  # the GM has no one above; the event still goes out
        data = {"step_id": step.id, "request_id": request.id, "stage": step.stage_name,
                "role": step.role, "department_id": step.department_id,
                "due_at": step.due_at.isoformat() if step.due_at else None,
                "escalated_to": step.escalated_role, "document_type": request.document_type,
                "document_id": request.document_id, "title": request.title}
        record_change(session, SWEEPER, event_type="approval.step_overdue",
                      entity_type="approval_request", entity_id=request.id, before=None,
                      after=data)
    if rows:
        await commit(session)
    else:
        await session.rollback()
    return len(rows)
