"""The approval engine: open a request from the policy, decide its steps, end it.

Document services call `open_request` and `withdraw` inside their own commands (they
commit); `approve` and `reject` are commands of their own and commit, calling the
document's adapter in the same transaction when the request ends.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL, bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import registry
from app.approvals.eligibility import (
    Authority,
    active_delegations_to,
    authorities,
    may_decide,
    steps_decidable_by,
)
from app.approvals.errors import (
    AlreadyDecided,
    ApprovalNotFound,
    DuplicateApprover,
    NoPolicyForDocument,
    NotEligible,
    NotSubmitter,
    RequestNotPending,
    SelfApproval,
    StepNotPending,
    StepRequired,
)
from app.approvals.models import (
    ApprovalDecision,
    ApprovalPolicyVersion,
    ApprovalRequest,
    ApprovalStep,
    Decision,
    Delegation,
    RequestStatus,
    StepStatus,
)
from app.approvals.policy import (
    DEFAULT_POLICY,
    DocumentFacts,
    PolicyDocument,
    Resolution,
    UnknownPolicyKey,
    resolve,
    with_new_document_defaults,
)
from app.approvals.registry import SubmittedDocument
from app.calendar.service import cached_calendar
from app.calendar.working_time import COMPANY_TZ
from app.core import journal, prepared
from app.core.db import commit, loaded_entity, write_loaded
from app.core.permissions import sees_record, visible
from app.core.security import Principal
from app.events import service as events
from app.events.changes import record_change

ENTITY = "approval_request"
# Deadlines are computed on a calendar window this long after activation.
CALENDAR_WINDOW = timedelta(days=120)


@dataclass(frozen=True, slots=True)
class RecordedDecision:
    """A decision this command made. Its row is appended by the journal at commit, so it
    has no ORM object (building one cost more than the rest of the decision's Python)."""

    request_id: int
    step_id: int
    actor_id: str
    on_behalf_of_id: str | None
    decision: Decision
    comment: str | None
    document_version: int
    decided_at: datetime


@dataclass
class LoadedRequest:
    request: ApprovalRequest
    steps: list[ApprovalStep]
    decisions: list[ApprovalDecision | RecordedDecision]

    def stage(self, index: int) -> list[ApprovalStep]:
        return [s for s in self.steps if s.stage_index == index]


# ---- policy ------------------------------------------------------------------------


async def current_policy(session: AsyncSession) -> tuple[int, PolicyDocument]:
    """The newest saved policy, or the built-in default (version 1) before any edit.

    Document types added by a later release than the saved policy get their default entry,
    so upgrading never leaves a document type without a chain (`approval.no_policy`)."""
    row = (await session.execute(
        select(ApprovalPolicyVersion).order_by(ApprovalPolicyVersion.version.desc()).limit(1)  # type: ignore[attr-defined]
    )).scalar_one_or_none()
    if row is None:
        return 1, DEFAULT_POLICY
    return row.version, with_new_document_defaults(PolicyDocument.model_validate(row.document))


def resolve_chain(policy: PolicyDocument, document: SubmittedDocument) -> Resolution:
    try:
        return resolve(policy, document.facts)
    except UnknownPolicyKey as exc:
        raise NoPolicyForDocument(
            f"No policy entry {document.facts.policy_key!r}.") from exc


# ---- opening and withdrawing (inside a document command) ------------------------------


async def open_request(
    session: AsyncSession, principal: Principal, *, document: SubmittedDocument, now: datetime,
    opened: Callable[[ApprovalRequest], None] | None = None,
) -> LoadedRequest:
    """Resolve the chain from the current policy and start its first stage.

    The caller has already moved the document to its pending state; a chain with no
    stages (nothing to approve) is approved at once, through the adapter. `opened` is
    called with the new request before anything else happens to it, so the document can
    record its own change (naming the request) ahead of the request's events.
    """
    policy_version, policy = await current_policy(session)
    resolution = resolve_chain(policy, document)
    facts = document.facts
    request = ApprovalRequest(
        document_type=document.document_type, document_id=document.document_id,
        document_version=document.document_version, policy_key=facts.policy_key,
        title=document.title, amount=facts.amount, department_id=facts.department_id,
        owner_id=document.owner_id, submitted_by=principal.sub, flags=sorted(facts.flags),
        policy_version=policy_version, fired_rules=resolution.fired_rules, created_at=now,
    )
    session.add(request)
    await session.flush()
    steps = [
        ApprovalStep(request_id=request.id, stage_index=index, stage_name=stage.name,
                     role=step.role.value, scope=step.scope.name,
                     department_id=step.department_id, quorum=step.quorum,
                     sla_hours=step.sla_hours, rule=step.rule)
        for index, stage in enumerate(resolution.stages) for step in stage.steps
    ]
    session.add_all(steps)
    await session.flush()
    if opened is not None:
        opened(request)
    loaded = LoadedRequest(request, steps, [])
    record_change(session, principal, event_type="approval.submitted", entity_type=ENTITY,
                  entity_id=request.id, before=None, after=_summary(request))
    if steps:
        await _activate_stage(session, loaded, 0, now)
    else:
        await _finish(session, principal, loaded, RequestStatus.approved, now, reason=None)
    return loaded


async def withdraw(
    session: AsyncSession, principal: Principal, *, request_id: int, now: datetime
) -> LoadedRequest:
    """The submitter takes a pending request back; the document returns to draft."""
    loaded = await _load(session, request_id, for_update=True)
    if loaded.request.submitted_by != principal.sub:
        raise NotSubmitter()
    _ensure_pending(loaded.request)
    await _finish(session, principal, loaded, RequestStatus.recalled, now, reason=None)
    return loaded


# ---- decisions (commands) ------------------------------------------------------------


async def approve(
    session: AsyncSession, principal: Principal, *, request_id: int, step_id: int | None,
    comment: str | None, now: datetime,
) -> LoadedRequest:
    loaded, step, authority = await _decidable_step(session, principal, request_id, step_id, now)
    _record_decision(session, loaded, step, principal, authority, Decision.approve,
                           comment, now)
    approvals = step.approvals + 1
    if approvals >= step.quorum:
        write_loaded(session, [step], approvals=approvals, status=StepStatus.approved,
                     completed_at=now)
    else:
        write_loaded(session, [step], approvals=approvals)
    # Recorded before what it causes (next stage, completion), so the request's events
    # are numbered in the order they happened.
    record_change(session, principal, event_type="approval.step_approved", entity_type=ENTITY,
                  entity_id=loaded.request.id, before=None, after=_step_summary(step),
                  on_behalf_of_id=authority.on_behalf_of_id)
    if step.status == StepStatus.approved and all(
            s.status == StepStatus.approved for s in loaded.stage(step.stage_index)):
        await _advance(session, principal, loaded, now)
    await commit(session)
    return loaded


async def reject(
    session: AsyncSession, principal: Principal, *, request_id: int, step_id: int | None,
    comment: str, now: datetime,
) -> LoadedRequest:
    loaded, step, authority = await _decidable_step(session, principal, request_id, step_id, now)
    _record_decision(session, loaded, step, principal, authority, Decision.reject,
                           comment, now)
    write_loaded(session, [step], status=StepStatus.rejected, completed_at=now)
    await _finish(session, principal, loaded, RequestStatus.rejected, now, reason=comment,
                  on_behalf_of_id=authority.on_behalf_of_id)
    await commit(session)
    return loaded


async def _decidable_step(
    session: AsyncSession, principal: Principal, request_id: int, step_id: int | None,
    now: datetime,
) -> tuple[LoadedRequest, ApprovalStep, Authority]:
    # The request row is the lock: two deciders of one request queue here, and the second
    # sees the first's result (SQLite takes its write lock at BEGIN IMMEDIATE instead).
    loaded, mine = await _load_as(session, principal, request_id, now, for_update=True)
    if not _can_see(loaded, mine):
        raise ApprovalNotFound()
    request = loaded.request
    _ensure_pending(request)
    if principal.sub == request.submitted_by:
        raise SelfApproval()
    # Authority borrowed from the submitter (a delegation) never decides their own request.
    usable = [a for a in mine if a.person_id != request.submitted_by]
    candidates = [(s, a) for s in loaded.steps for a in usable if may_decide(a.principal, s)]
    if step_id is not None:
        candidates = [(s, a) for s, a in candidates if s.id == step_id]
    active = [(s, a) for s, a in candidates if s.status == StepStatus.active]
    if not active and any(may_decide(a.principal, s) for a in mine for s in loaded.steps
                          if s.status == StepStatus.active and step_id in (None, s.id)):
        raise SelfApproval("The only authority you hold here is the submitter's own.")
    if not active:
        if candidates:
            raise StepNotPending(f"Step {candidates[0][0].id} is {candidates[0][0].status}.")
        raise NotEligible()
    by_step: dict[int, tuple[ApprovalStep, Authority]] = {}
    for s, a in active:
        by_step.setdefault(s.id, (s, a))  # type: ignore[arg-type]
    if len(by_step) > 1:
        raise StepRequired(step_ids=sorted(by_step))
    step, authority = next(iter(by_step.values()))
    _ensure_segregation(loaded, step, principal, authority)
    return loaded, step, authority


def _ensure_segregation(loaded: LoadedRequest, step: ApprovalStep, principal: Principal,
                        authority: Authority) -> None:
    """One person decides once per request: neither the caller nor the one they stand in
    for may already have decided another step (or this one)."""
    people = {principal.sub, authority.person_id}
    for decision in loaded.decisions:
        deciders = {decision.actor_id, decision.on_behalf_of_id} - {None}
        if people & deciders:
            if decision.step_id == step.id:
                raise AlreadyDecided()
            raise DuplicateApprover()


def _record_decision(session: AsyncSession, loaded: LoadedRequest, step: ApprovalStep,
                     principal: Principal, authority: Authority, decision: Decision,
                     comment: str | None, now: datetime) -> None:
    made = RecordedDecision(
        request_id=loaded.request.id, step_id=step.id, actor_id=principal.sub,  # type: ignore[arg-type]
        on_behalf_of_id=authority.on_behalf_of_id, decision=decision, comment=comment,
        document_version=loaded.request.document_version, decided_at=now)
    # Decisions are never changed once made: the row is appended with the command's journal
    # at commit. Nothing in the command needs its id.
    journal.append(session, _DECISIONS,
                   {name: getattr(made, name) for name in RecordedDecision.__slots__})
    loaded.decisions.append(made)


async def _advance(session: AsyncSession, principal: Principal, loaded: LoadedRequest,
                   now: datetime) -> None:
    following = loaded.request.current_stage + 1
    if loaded.stage(following):
        await _activate_stage(session, loaded, following, now)
    else:
        await _finish(session, principal, loaded, RequestStatus.approved, now, reason=None)


async def _activate_stage(session: AsyncSession, loaded: LoadedRequest, index: int,
                          now: datetime) -> None:
    if loaded.request.current_stage != index:
        write_loaded(session, [loaded.request], current_stage=index)
    calendar = await cached_calendar(session, start=(now - timedelta(days=1)).date(),
                                     end=(now + CALENDAR_WINDOW).date(), tz=COMPANY_TZ)
    for step in loaded.stage(index):
        write_loaded(session, [step], status=StepStatus.active, activated_at=now,
                     due_at=calendar.add_working_hours(now, step.sla_hours))
    for step in loaded.stage(index):
        events.emit(session, None, type="approval.step_pending",
                    subject=f"{ENTITY}:{loaded.request.id}", data=_step_summary(step, loaded))


async def _finish(session: AsyncSession, principal: Principal, loaded: LoadedRequest,
                  status: RequestStatus, now: datetime, *, reason: str | None,
                  on_behalf_of_id: str | None = None) -> None:
    request = loaded.request
    before = _summary(request)
    write_loaded(session, [request], status=status, decided_at=now, outcome_reason=reason,
                 version=request.version + 1)
    write_loaded(session, [s for s in loaded.steps
                           if s.status in (StepStatus.waiting, StepStatus.active)],
                 status=StepStatus.cancelled)
    record_change(session, principal, event_type="approval.completed", entity_type=ENTITY,
                  entity_id=request.id, before=before, after=_summary(request),
                  on_behalf_of_id=on_behalf_of_id)
    adapter = registry.adapter_for(request.document_type)
    if status == RequestStatus.approved:
        await adapter.on_approved(session, principal, request)
    elif status == RequestStatus.rejected:
        await adapter.on_rejected(session, principal, request, reason or "")
    else:
        await adapter.on_recalled(session, principal, request)


# ---- reading ---------------------------------------------------------------------------


async def _load(session: AsyncSession, request_id: int, *, for_update: bool = False
                ) -> LoadedRequest:
    rows = await prepared.fetch(session, _REQUEST[for_update, False], {"request_id": request_id})
    if not rows:
        raise ApprovalNotFound()
    return await _with_children(session, _request_entity(rows[0]))


async def _load_as(session: AsyncSession, principal: Principal, request_id: int, now: datetime,
                   *, for_update: bool = False) -> tuple[LoadedRequest, list[Authority]]:
    """The request and the caller's authorities; whether anyone has delegated to the caller
    rides along with the request, so the usual case (nobody has) costs no extra trip."""
    rows = await prepared.fetch(session, _REQUEST[for_update, True], {
        "request_id": request_id, "delegate_id": principal.sub, "today": now.date()})
    if not rows:
        raise ApprovalNotFound()
    loaded = await _with_children(session, _request_entity(rows[0]))
    return loaded, await authorities(session, principal, now,
                                     delegated_to_me=rows[0][_REQUEST_SPLIT])


def _request_entity(row: tuple) -> ApprovalRequest:  # type: ignore[type-arg]
    # Like the steps below, built outside the session and written only with write_loaded.
    return loaded_entity(ApprovalRequest, zip(_REQUEST_KEYS, row[:_REQUEST_SPLIT]))


async def _with_children(session: AsyncSession, request: ApprovalRequest) -> LoadedRequest:
    # A statement of its own, started once the request's lock is held: in READ COMMITTED a
    # read joined to the locking one would show the steps and decisions as they were
    # before it waited for the lock, i.e. without the decision that it waited for.
    # Read with Core on the driver (the request's read began the transaction) and built
    # into entities outside the session: always as the database has them now, and at a
    # fraction of the ORM's cost. Nothing flushes them; writes go through write_loaded.
    steps: dict[int, ApprovalStep] = {}
    decisions: list[ApprovalDecision | RecordedDecision] = []
    for row in await prepared.fetch(session, _CHILDREN, {"request_id": request.id}):
        step_id = row[_STEP_ID]
        if step_id not in steps:
            steps[step_id] = loaded_entity(ApprovalStep, zip(_STEP_KEYS, row[:_SPLIT]))
        if row[_DECISION_ID] is not None:
            decisions.append(loaded_entity(ApprovalDecision, zip(_DECISION_KEYS, row[_SPLIT:])))
    decisions.sort(key=lambda d: d.id)  # type: ignore[union-attr]
    return LoadedRequest(request, list(steps.values()), decisions)


_REQUESTS = ApprovalRequest.__table__  # type: ignore[attr-defined]
_REQUEST_KEYS = tuple(column.key for column in _REQUESTS.c)
_REQUEST_SPLIT = len(_REQUEST_KEYS)


def _request_statement(*, for_update: bool, delegation_check: bool):  # type: ignore[no-untyped-def]
    # Read with Core, like the steps: the request's row is the statement's first columns.
    statement = select(*_REQUESTS.c).where(_REQUESTS.c.id == bindparam("request_id"))
    if delegation_check:
        statement = statement.add_columns(exists(select(Delegation.id).where(
            active_delegations_to(bindparam("delegate_id"), bindparam("today"))))
            .label("delegated_to_me"))
    return statement.with_for_update(of=_REQUESTS) if for_update else statement


# Built once: the statements of the hot path skip construction and cache-key work.
_REQUEST = {(lock, check): _request_statement(for_update=lock, delegation_check=check)
            for lock in (False, True) for check in (False, True)}
_STEPS, _DECISIONS = ApprovalStep.__table__, ApprovalDecision.__table__  # type: ignore[attr-defined]
_STEP_KEYS = tuple(column.key for column in _STEPS.c)
_DECISION_KEYS = tuple(column.key for column in _DECISIONS.c)
_SPLIT = len(_STEP_KEYS)
_STEP_ID, _DECISION_ID = _STEP_KEYS.index("id"), _SPLIT + _DECISION_KEYS.index("id")
_CHILDREN = (
    select(*_STEPS.c, *_DECISIONS.c)
    .select_from(_STEPS.outerjoin(_DECISIONS, (_DECISIONS.c.request_id == _STEPS.c.request_id)
                                  & (_DECISIONS.c.step_id == _STEPS.c.id)))
    .where(_STEPS.c.request_id == bindparam("request_id"))
    .order_by(_STEPS.c.stage_index, _STEPS.c.id, _DECISIONS.c.id)
    .set_label_style(LABEL_STYLE_TABLENAME_PLUS_COL)  # the two tables share column names
)


async def load_many(session: AsyncSession, requests: list[ApprovalRequest]) -> list[LoadedRequest]:
    ids = [r.id for r in requests]
    steps: dict[int, list[ApprovalStep]] = defaultdict(list)
    decisions: dict[int, list[ApprovalDecision]] = defaultdict(list)
    if ids:
        for step in (await session.execute(select(ApprovalStep).where(
                ApprovalStep.request_id.in_(ids)).order_by(ApprovalStep.stage_index,  # type: ignore[attr-defined]
                                                           ApprovalStep.id))).scalars():
            steps[step.request_id].append(step)
        for decision in (await session.execute(select(ApprovalDecision).where(
                ApprovalDecision.request_id.in_(ids)).order_by(ApprovalDecision.id))).scalars():  # type: ignore[attr-defined]
            decisions[decision.request_id].append(decision)
    return [LoadedRequest(r, steps[r.id], decisions[r.id]) for r in requests]  # type: ignore[index]


def _can_see(loaded: LoadedRequest, mine: list[Authority]) -> bool:
    request = loaded.request
    for authority in mine:
        p = authority.principal
        if (request.submitted_by == p.sub
                or sees_record(p, owner_id=request.owner_id, department_id=request.department_id)
                or any(may_decide(p, s) for s in loaded.steps)
                or any(d.actor_id == p.sub for d in loaded.decisions)):
            return True
    return False


async def get_visible(session: AsyncSession, principal: Principal, request_id: int,
                      now: datetime) -> tuple[LoadedRequest, list[Authority]]:
    """The request if the caller may read it, with the authorities they hold today."""
    loaded, mine = await _load_as(session, principal, request_id, now)
    if not _can_see(loaded, mine):
        raise ApprovalNotFound()
    return loaded, mine



def visible_requests(principal: Principal):  # type: ignore[no-untyped-def]
    """SQL filter: requests this principal may read (own authority)."""
    return or_(
        ApprovalRequest.submitted_by == principal.sub,
        visible(principal, owner_column=ApprovalRequest.owner_id,
                department_column=ApprovalRequest.department_id),
        exists(select(ApprovalStep.id).where(ApprovalStep.request_id == ApprovalRequest.id,
                                             steps_decidable_by(principal))),
    )


def actionable_requests(authority: Authority):  # type: ignore[no-untyped-def]
    """SQL filter: pending requests with an active step this authority may decide now,
    not submitted by them, and not yet decided by them (segregation of duties)."""
    person, caller = authority.person_id, authority.principal.sub
    return (
        (ApprovalRequest.status == RequestStatus.pending)
        & (ApprovalRequest.submitted_by != person)
        & exists(select(ApprovalStep.id).where(
            ApprovalStep.request_id == ApprovalRequest.id,
            ApprovalStep.status == StepStatus.active,
            steps_decidable_by(authority.principal)))
        & ~exists(select(ApprovalDecision.id).where(
            ApprovalDecision.request_id == ApprovalRequest.id,
            or_(ApprovalDecision.actor_id.in_([person, caller]),  # type: ignore[attr-defined]
                ApprovalDecision.on_behalf_of_id.in_([person, caller])))))  # type: ignore[union-attr]


def allowed_actions(loaded: LoadedRequest, principal: Principal,
                    mine: list[Authority]) -> list[str]:
    request = loaded.request
    if request.status != RequestStatus.pending:
        return []
    if request.submitted_by == principal.sub:
        return ["recall"]
    for authority in mine:
        if authority.person_id == request.submitted_by:
            continue
        people = {principal.sub, authority.person_id}
        decided = any(people & {d.actor_id, d.on_behalf_of_id} for d in loaded.decisions)
        if not decided and any(s.status == StepStatus.active and may_decide(authority.principal, s)
                               for s in loaded.steps):
            return ["approve", "reject"]
    return []


def _ensure_pending(request: ApprovalRequest) -> None:
    if request.status != RequestStatus.pending:
        raise RequestNotPending(f"The request is {request.status}.", status_now=request.status)


def _summary(request: ApprovalRequest) -> dict:
    return {"id": request.id, "document_type": request.document_type,
            "document_id": request.document_id, "document_version": request.document_version,
            "status": request.status, "amount": f"{request.amount:.2f}",
            "department_id": request.department_id, "policy_version": request.policy_version,
            "current_stage": request.current_stage, "outcome_reason": request.outcome_reason}


def _step_summary(step: ApprovalStep, loaded: LoadedRequest | None = None) -> dict:
    data = {"step_id": step.id, "request_id": step.request_id, "stage": step.stage_name,
            "role": step.role, "scope": step.scope, "department_id": step.department_id,
            "status": step.status, "approvals": step.approvals, "quorum": step.quorum,
            "due_at": step.due_at.isoformat() if step.due_at else None}
    if loaded is not None:
        data.update(document_type=loaded.request.document_type,
                    document_id=loaded.request.document_id, title=loaded.request.title)
    return data



async def list_requests(
    session: AsyncSession, principal: Principal, *, actionable: bool, status: RequestStatus | None,
    document_type: str | None, limit: int, cursor: str | None, now: datetime,
) -> tuple[list[LoadedRequest], str | None, list[Authority]]:
    """`actionable`: the caller's inbox (their own authority and active delegations),
    oldest first; otherwise every request they may read."""
    from app.core.pagination import paginate

    mine = await authorities(session, principal, now)
    if actionable:
        condition = or_(*[actionable_requests(a) for a in mine])
    else:
        condition = or_(*[visible_requests(a.principal) for a in mine])
    statement = select(ApprovalRequest).where(condition)
    if status is not None:
        statement = statement.where(ApprovalRequest.status == status)
    if document_type is not None:
        statement = statement.where(ApprovalRequest.document_type == document_type)
    rows, next_cursor = await paginate(session, statement, keys=[ApprovalRequest.id],
                                       limit=limit, cursor=cursor)
    return await load_many(session, rows), next_cursor, mine


async def preview(
    session: AsyncSession, principal: Principal, *, document_type: str,
    document_id: int | None, policy_key: str | None, amount: Decimal | None,
    department_id: str | None, flags: frozenset[str],
) -> tuple[int, DocumentFacts, Resolution]:
    """The chain a document would get now, with the rules that fired: the very function
    submission uses, so the preview cannot disagree with it. Either an existing document
    (through its adapter, visibility included) or a described one."""
    policy_version, policy = await current_policy(session)
    if document_id is not None:
        try:
            adapter = registry.adapter_for(document_type)
        except KeyError as exc:
            raise NoPolicyForDocument(f"Unknown document type {document_type!r}.") from exc
        facts = (await adapter.describe(session, principal, document_id)).facts
    else:
        assert amount is not None and department_id is not None
        facts = DocumentFacts(policy_key=policy_key or document_type, amount=amount,
                              department_id=department_id, flags=flags)
    try:
        return policy_version, facts, resolve(policy, facts)
    except UnknownPolicyKey as exc:
        raise NoPolicyForDocument(f"No policy entry {facts.policy_key!r}.") from exc


async def load_by_ids(session: AsyncSession, request_ids: list[int]) -> list[LoadedRequest]:
    """Requests with their steps and decisions: three queries for any number of ids."""
    if not request_ids:
        return []
    requests = list((await session.execute(select(ApprovalRequest).where(
        ApprovalRequest.id.in_(request_ids)))).scalars())  # type: ignore[union-attr]
    return await load_many(session, requests)
