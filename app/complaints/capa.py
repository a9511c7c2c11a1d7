"""The corrective and preventive action plan (CAPA, 纠正预防措施) through the approval kernel:
the policy's `corrective_action` (by default, two of the quality experts). Submitted, the
complaint is `capa_review`; approved, `implementing`; rejected or recalled, back to
`corrective_action` (with the reason) to be revised and submitted again."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import documents
from app.approvals.documents import (
    ApprovalEvents,
    ApprovalStates,
    DocumentApprovals,
    recall_document,
    submit_document,
)
from app.approvals.policy import DocumentFacts
from app.approvals.registry import SubmittedDocument
from app.complaints import service
from app.complaints.models import Complaint, ComplaintStatus
from app.complaints.schemas import CapaBody
from app.complaints.states import ensure_transition
from app.core.security import Principal
from app.core.versioning import ensure_version

DOCUMENT_TYPE = POLICY_KEY = "corrective_action"


class CapaApprovals(DocumentApprovals[Complaint]):
    model = Complaint
    document_type = DOCUMENT_TYPE
    entity_type = service.ENTITY
    states = ApprovalStates(field="status", pending=ComplaintStatus.capa_review,
                            approved=ComplaintStatus.implementing,
                            rejected=ComplaintStatus.corrective_action,
                            recalled=ComplaintStatus.corrective_action)
    events = ApprovalEvents(submitted="complaint.capa_submitted",
                            approved="complaint.capa_approved",
                            rejected="complaint.capa_rejected",
                            recalled="complaint.capa_recalled")

    def describe(self, document: Complaint) -> SubmittedDocument:
        assert document.id is not None  # loaded from the database
        # No amount: the plan is judged on its content, not tiered.
        return SubmittedDocument(
            document_type=DOCUMENT_TYPE, document_id=document.id,
            document_version=document.version, title=f"纠正预防措施 {document.number}",
            owner_id=document.owner_id,
            facts=DocumentFacts(policy_key=POLICY_KEY, amount=Decimal("0.00"),
                                department_id=(document.responsible_department_id
                                               or document.department_id)))

    def summary(self, document: Complaint) -> dict[str, Any]:
        return {**service.summary(document),
                "corrective_actions": document.corrective_actions,
                "preventive_actions": document.preventive_actions,
                "capa_due_date": (document.capa_due_date.isoformat()
                                  if document.capa_due_date else None)}

    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> Complaint:
        return await service.get_visible(session, principal, document_id)

    def ensure_transition(self, current: Any, target: Any) -> None:
        ensure_transition(current, target)


async def submit(session: AsyncSession, principal: Principal, *, complaint_id: int,
                 data: CapaBody, expected_version: int | None, now: datetime) -> Complaint:
    """Send the plan into approval (again, after a rejection, with the revised plan)."""
    complaint = await service.get_visible(session, principal, complaint_id, for_update=True)
    if not service.may_draft_capa(principal, complaint):
        raise service.ComplaintForbidden("Your roles do not draft this complaint's CAPA.")
    ensure_version(complaint.version, expected_version)
    await submit_document(session, principal, complaint, now=now, changes={
        "corrective_actions": data.corrective_actions,
        "preventive_actions": data.preventive_actions, "capa_due_date": data.due_date,
        "updated_at": now})
    return complaint


async def recall(session: AsyncSession, principal: Principal, *, complaint_id: int,
                 expected_version: int | None, now: datetime) -> Complaint:
    """The submitter takes the plan back to revise it."""
    # Not locked here (recall_document says why).
    complaint = await service.get_visible(session, principal, complaint_id)
    ensure_version(complaint.version, expected_version)
    await recall_document(session, principal, complaint, now=now)
    return complaint


documents.register(CapaApprovals())
