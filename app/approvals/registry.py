"""Document types plug into the engine through adapters; the engine imports none of them.

An adapter tells the engine what the policy needs to know about a document and what
happens to the document when its request ends. Every call runs inside the deciding
command's transaction, so the document's state change commits with the decision. A
document whose approval is a state of its own (draft → pending → approved) subclasses
`app.approvals.documents.DocumentApprovals`, which writes all of that once; this Protocol
is for the rest (a contract's termination).

Lock order: the request first, then the document. The engine holds the request's lock
when it calls `on_approved`/`on_rejected`/`on_recalled`; the adapter locks the document
then, reading it afresh. A document command that recalls must therefore not lock the
document before `withdraw`, or it deadlocks with a concurrent decision.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals.policy import DocumentFacts
from app.core.security import Principal

if TYPE_CHECKING:
    from app.approvals.models import ApprovalRequest


@dataclass(frozen=True)
class SubmittedDocument:
    """A document as it enters approval."""

    document_type: str
    document_id: int
    document_version: int
    title: str
    owner_id: str
    facts: DocumentFacts


class ApprovalAdapter(Protocol):
    @property
    def document_type(self) -> str: ...

    async def find(self, session: AsyncSession, principal: Principal,
                   document_id: int) -> SubmittedDocument:
        """The document as the policy sees it; 404 if the principal may not see it."""
        ...

    async def on_approved(self, session: AsyncSession, principal: Principal,
                          request: "ApprovalRequest") -> None: ...

    async def on_rejected(self, session: AsyncSession, principal: Principal,
                          request: "ApprovalRequest", reason: str) -> None: ...

    async def on_recalled(self, session: AsyncSession, principal: Principal,
                          request: "ApprovalRequest") -> None: ...


_ADAPTERS: dict[str, ApprovalAdapter] = {}


def register(adapter: ApprovalAdapter) -> None:
    _ADAPTERS[adapter.document_type] = adapter


def adapter_for(document_type: str) -> ApprovalAdapter:
    return _ADAPTERS[document_type]
