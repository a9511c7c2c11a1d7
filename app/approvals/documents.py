"""One shape for every document whose approval is a state of its own.

A contract, a quote, an opportunity's proposal, and every document still to come (orders,
write-offs, plans, budgets, visits ...) go through approval the same way: a draft is
submitted (its status becomes pending, the request opens), the submitter may recall it,
and the request's end moves the document to approved, or back with the reason. That is
written once here. A document supplies an adapter, a subclass of `DocumentApprovals`
naming its states, its events and how the policy sees it (`describe`), and its service
calls `submit_document` and `recall_document` from its own commands:

    class ContractApprovals(DocumentApprovals[Contract]):
        model = Contract
        document_type = "contract"
        states = ApprovalStates(field="status", pending=S.pending_approval, ...)
        events = ApprovalEvents(submitted="contract.submitted", ...)
        ...

    registry.register(ContractApprovals())

Lock order, as everywhere in the engine: the request first, then the document. A recall
therefore does not lock the document itself; the adapter locks it when the request ends.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import registry
from app.approvals.models import ApprovalRequest
from app.approvals.registry import SubmittedDocument
from app.approvals.requests import open_request, withdraw
from app.approvals.store import LoadedRequest
from app.core import fastpath
from app.core.db import commit, utcnow
from app.core.errors import InvalidTransition
from app.core.security import Principal
from app.core.versioning import apply_changes
from app.events.changes import record_change


class Versioned(Protocol):
    """What the shape needs of a document row: its id and its version (the ETag)."""

    id: int | None
    version: int


Document = TypeVar("Document", bound=Versioned)


@dataclass(frozen=True)
class ApprovalStates:
    """Where a document keeps its approval: the status column and its values."""

    field: str               # the column holding the approval state
    pending: StrEnum         # while the request runs (the document is locked)
    approved: StrEnum
    rejected: StrEnum        # where a rejection leaves it (back to draft, for most)
    recalled: StrEnum        # where a recall leaves it
    request_field: str = "approval_request_id"  # the current request's id
    reason_field: str | None = "rejection_reason"  # the rejection's reason, if kept
    # Other states a request may hold the document in (an order on credit hold is pending
    # too); its service sets one through `submit_document(changes=...)`.
    also_pending: tuple[StrEnum, ...] = ()

    def is_pending(self, current: Any) -> bool:
        return current == self.pending or current in self.also_pending


@dataclass(frozen=True)
class ApprovalEvents:
    """The document's own events for its approval (the request has events of its own)."""

    submitted: str
    approved: str
    rejected: str
    recalled: str


class DocumentApprovals(ABC, Generic[Document]):
    """A document type in approval. The engine calls `find`, `on_approved`, `on_rejected`
    and `on_recalled` (registry.ApprovalAdapter); the document's service calls
    `submit_document` and `recall_document`."""

    model: ClassVar[type]
    document_type: ClassVar[str]
    entity_type: ClassVar[str]  # what its audit rows and event subjects call it
    states: ClassVar[ApprovalStates]
    events: ClassVar[ApprovalEvents]

    @abstractmethod
    def describe(self, document: Document) -> SubmittedDocument:
        """The document as the approval policy sees it."""

    @abstractmethod
    def summary(self, document: Document) -> dict[str, Any]:
        """The document's audited form (the before and after of its audit rows, and the
        payload of its events)."""

    @abstractmethod
    async def get_visible(self, session: AsyncSession, principal: Principal,
                          document_id: int) -> Document:
        """The document if the principal may see it, else the document's 404."""

    @abstractmethod
    def ensure_transition(self, current: Any, target: Any) -> None:
        """Raise the document's 409 unless its approval state may move from `current` to
        `target`."""

    async def ending(self, session: AsyncSession, principal: Principal,
                     request: ApprovalRequest, document: Document,
                     target: StrEnum) -> dict[str, Any]:
        """What else the request's end changes on the document, as column values, with any
        side effect of its own (counters, a further event), in the deciding transaction.
        Runs under the document's lock, before the state change is written; none by
        default."""
        return {}

    # ---- the engine's side ------------------------------------------------------------

    async def find(self, session: AsyncSession, principal: Principal,
                   document_id: int) -> SubmittedDocument:
        return self.describe(await self.get_visible(session, principal, document_id))

    async def on_approved(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        await self._end(session, principal, request, self.states.approved,
                        self.events.approved, reason=None)

    async def on_rejected(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest, reason: str) -> None:
        await self._end(session, principal, request, self.states.rejected,
                        self.events.rejected, reason=reason)

    async def on_recalled(self, session: AsyncSession, principal: Principal,
                          request: ApprovalRequest) -> None:
        await self._end(session, principal, request, self.states.recalled,
                        self.events.recalled, reason=None)

    async def _end(self, session: AsyncSession, principal: Principal, request: ApprovalRequest,
                   target: StrEnum, event_type: str, *, reason: str | None) -> None:
        # Locked after the request (the engine holds its lock), as every path takes them,
        # and read as the database has it now: the caller may hold an older copy.
        rows = await fastpath.fetch(session, self._locking_read,
                                    {"document_id": request.document_id})
        assert rows, f"{self.document_type} {request.document_id} of request {request.id}"
        document: Document = fastpath.loaded_entity(self.model, zip(self._keys, rows[0]))
        current = getattr(document, self.states.field)
        if not self.states.is_pending(current):
            self.ensure_transition(current, target)
            raise InvalidTransition(f"The {self.document_type} is {current}, not pending.")
        before = self.summary(document)
        changes: dict[str, Any] = {self.states.field: target, "updated_at": utcnow(),
                                   "version": document.version + 1}
        if self.states.reason_field is not None:
            changes[self.states.reason_field] = reason
        changes.update(await self.ending(session, principal, request, document, target))
        fastpath.write_loaded(session, [document], **changes)
        # The session's own copy (a recalling command returns it) shows the change too.
        fastpath.sync_loaded(session, self.model, request.document_id, **changes)
        after = self.summary(document)
        record_change(session, principal, event_type=event_type, entity_type=self.entity_type,
                      entity_id=request.document_id, before=before, after=after,
                      event_data={**after, "approval_request_id": request.id, "reason": reason})

    @cached_property
    def _table(self) -> Table:
        table: Table = self.model.__table__  # type: ignore[attr-defined]
        return table

    @cached_property
    def _keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self._table.c)

    @cached_property
    def _locking_read(self) -> Select[Any]:
        # Built once per document type: the decision path skips statement construction.
        return (select(*self._table.c).where(self._table.c.id == bindparam("document_id"))
                .with_for_update())


_BY_MODEL: dict[type, DocumentApprovals[Any]] = {}


def register(adapter: DocumentApprovals[Any]) -> None:
    """Register a document type with the engine (and with `submit_document`)."""
    _BY_MODEL[adapter.model] = adapter
    registry.register(adapter)


def _adapter_of(document: Versioned) -> DocumentApprovals[Any]:
    return _BY_MODEL[type(document)]


async def submit_document(session: AsyncSession, principal: Principal, document: Versioned, *,
                          now: datetime, changes: dict[str, Any] | None = None,
                          opened: Callable[[LoadedRequest], None] | None = None
                          ) -> LoadedRequest:
    """Send a document into approval and commit: it becomes pending (with `changes`, e.g.
    the proposal's text), its reason from an earlier rejection is cleared, and its request
    opens with the chain the policy gives now. The caller has loaded the document locked,
    with its own checks (visibility, permission, If-Match, rules of its own). `opened`
    records what else the submission did, once the request exists and before the commit
    (an order's credit hold, naming its request)."""
    adapter = _adapter_of(document)
    states = adapter.states
    adapter.ensure_transition(getattr(document, states.field), states.pending)
    before = adapter.summary(document)
    fields: dict[str, Any] = {states.field: states.pending, **(changes or {})}
    if states.reason_field is not None:
        fields[states.reason_field] = None
    apply_changes(document, fields)
    assert document.id is not None  # loaded from the database
    record_change(session, principal, event_type=adapter.events.submitted,
                  entity_type=adapter.entity_type, entity_id=document.id,
                  before=before, after=adapter.summary(document))
    loaded = await open_request(session, principal, document=adapter.describe(document), now=now)
    setattr(document, states.request_field, loaded.request.id)
    if opened is not None:
        opened(loaded)
    await commit(session)
    return loaded


async def recall_document(session: AsyncSession, principal: Principal, document: Versioned, *,
                          now: datetime) -> None:
    """The submitter takes a pending document back, and commits; it returns to where its
    adapter says (draft, for most).

    The document is not locked here: the request is locked first and the document after
    it (by the adapter), in the order every decision takes them, so a recall racing the
    final approval queues on the request instead of deadlocking."""
    adapter = _adapter_of(document)
    states = adapter.states
    adapter.ensure_transition(getattr(document, states.field), states.recalled)
    request_id = getattr(document, states.request_field)
    assert request_id is not None
    await withdraw(session, principal, request_id=request_id, now=now)
    await commit(session)
