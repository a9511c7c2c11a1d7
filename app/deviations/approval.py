"""A deviation analysis goes to the GM (the policy's `deviation_analysis`); approved, its
measures are tracked until done; rejected or recalled, it is a draft again."""

from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import documents
from app.approvals.documents import ApprovalEvents, ApprovalStates, DocumentApprovals
from app.approvals.models import ApprovalRequest
from app.approvals.policy import DocumentFacts
from app.approvals.registry import SubmittedDocument
from app.core.db import utcnow
from app.core.security import Principal
from app.deviations import service
from app.deviations.models import AnalysisStatus, DeviationAnalysis
from app.deviations.states import ensure_transition

POLICY_KEY = "deviation_analysis"


class AnalysisApprovals(DocumentApprovals[DeviationAnalysis]):
    model = DeviationAnalysis
    document_type = POLICY_KEY
    entity_type = service.ENTITY
    states = ApprovalStates(field="status", pending=AnalysisStatus.pending_approval,
                            approved=AnalysisStatus.approved, rejected=AnalysisStatus.draft,
                            recalled=AnalysisStatus.draft)
    events = ApprovalEvents(submitted="deviation_analysis.submitted",
                            approved="deviation_analysis.approved",
                            rejected="deviation_analysis.rejected",
                            recalled="deviation_analysis.recalled")

    def describe(self, document: DeviationAnalysis) -> SubmittedDocument:
        assert document.id is not None
        return SubmittedDocument(
            document_type=POLICY_KEY, document_id=document.id,
            document_version=document.version,
            title=f"销售偏差分析 {document.number} {document.department_id} "
                  f"{service.period_of(document)}",
            owner_id=document.created_by,
            # The shortfall is what the GM weighs (a policy may tier on it).
            facts=DocumentFacts(policy_key=POLICY_KEY, amount=-document.deviation,
                                department_id=document.department_id))

    def summary(self, document: DeviationAnalysis) -> dict[str, Any]:
        return service.summary(document)

    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> DeviationAnalysis:
        return await service.get_visible(session, principal, document_id)

    def ensure_transition(self, current: Any, target: Any) -> None:
        ensure_transition(current, target)

    async def ending(self, session: AsyncSession, principal: Principal,
                     request: ApprovalRequest, document: DeviationAnalysis,
                     target: StrEnum) -> dict[str, Any]:
        if target == AnalysisStatus.approved:
            return {"approved_at": request.decided_at or utcnow()}
        return {}


documents.register(AnalysisApprovals())
