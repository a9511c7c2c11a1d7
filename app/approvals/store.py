"""How the engine reads and writes its rows: requests with their steps and decisions.

The decision path (lock the request, read its steps and decisions, record a decision,
move steps and the request) is the busiest command of the service, so its statements are
built once and run through `app.core.fastpath`: rows read with Core are built into
entities outside the session, and every write goes through the journal at commit. That
makes three rules for the rest of the engine:

- change a loaded request or step only through `set_step`, `set_stage`, `set_due` and
  `finish`
  (never by assignment: nothing flushes these objects);
- a query inside the command does not see what those wrote (they are written at commit);
  the loaded objects do;
- the request is locked before anything else of the request or its document.

Lists (inbox, document reads) load through the ORM: a few queries for a whole page.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import LABEL_STYLE_TABLENAME_PLUS_COL, Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals.eligibility import active_delegations_to
from app.approvals.errors import ApprovalNotFound
from app.approvals.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStep,
    Decision,
    Delegation,
    RequestStatus,
    StepStatus,
)
from app.core import fastpath


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

    @property
    def request_id(self) -> int:
        assert self.request.id is not None
        return self.request.id


# ---- reading one request -----------------------------------------------------------------


async def load(session: AsyncSession, request_id: int, *, lock: bool) -> LoadedRequest:
    """The request with its steps and decisions; `lock` takes the request's row lock."""
    rows = await fastpath.fetch(session, _REQUEST[lock, False], {"request_id": request_id})
    if not rows:
        raise ApprovalNotFound()
    return await _with_children(session, _request_entity(rows[0]))


async def load_for_decision(session: AsyncSession, request_id: int, *, caller_id: str,
                            today: date, lock: bool = True) -> tuple[LoadedRequest, bool]:
    """The request (locked, unless only read) with its steps and decisions, and whether
    anyone has delegated to the caller today: that rides along with the request's read,
    so the usual case (nobody has) costs no extra round trip."""
    rows = await fastpath.fetch(session, _REQUEST[lock, True], {
        "request_id": request_id, "delegate_id": caller_id, "today": today})
    if not rows:
        raise ApprovalNotFound()
    loaded = await _with_children(session, _request_entity(rows[0]))
    return loaded, bool(rows[0][_REQUEST_SPLIT])


def _request_entity(row: fastpath.Row) -> ApprovalRequest:
    return fastpath.loaded_entity(ApprovalRequest, zip(_REQUEST_KEYS, row[:_REQUEST_SPLIT]))


async def _with_children(session: AsyncSession, request: ApprovalRequest) -> LoadedRequest:
    # A statement of its own, started once the request's lock is held: in READ COMMITTED a
    # read joined to the locking one would show the steps and decisions as they were
    # before it waited for the lock, i.e. without the decision that it waited for.
    steps: dict[int, ApprovalStep] = {}
    decisions: list[ApprovalDecision] = []
    for row in await fastpath.fetch(session, _CHILDREN, {"request_id": request.id}):
        step_id = row[_STEP_ID]
        if step_id not in steps:
            steps[step_id] = fastpath.loaded_entity(ApprovalStep, zip(_STEP_KEYS, row[:_SPLIT]))
        if row[_DECISION_ID] is not None:
            decisions.append(fastpath.loaded_entity(ApprovalDecision,
                                                    zip(_DECISION_KEYS, row[_SPLIT:])))
    decisions.sort(key=lambda d: d.id or 0)
    return LoadedRequest(request, list(steps.values()), list(decisions))


_REQUESTS = ApprovalRequest.__table__  # type: ignore[attr-defined]
_REQUEST_KEYS = tuple(column.key for column in _REQUESTS.c)
_REQUEST_SPLIT = len(_REQUEST_KEYS)


def _request_statement(*, lock: bool, delegation_check: bool) -> Select[Any]:
    # The request's row is the statement's first columns.
    statement = select(*_REQUESTS.c).where(_REQUESTS.c.id == bindparam("request_id"))
    if delegation_check:
        statement = statement.add_columns(exists(select(col(Delegation.id)).where(
            active_delegations_to(bindparam("delegate_id"), bindparam("today"))))
            .label("delegated_to_me"))
    return statement.with_for_update(of=_REQUESTS) if lock else statement


# Built once: the statements of the hot path skip construction and cache-key work.
_REQUEST = {(lock, check): _request_statement(lock=lock, delegation_check=check)
            for lock in (False, True) for check in (False, True)}
_STEPS = ApprovalStep.__table__  # type: ignore[attr-defined]
_DECISIONS = ApprovalDecision.__table__  # type: ignore[attr-defined]
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


# ---- reading many (lists) ------------------------------------------------------------------


async def load_many(session: AsyncSession, requests: list[ApprovalRequest]) -> list[LoadedRequest]:
    """Requests with their steps and decisions: two queries for any number of requests."""
    ids: list[int] = []
    for r in requests:
        assert r.id is not None  # loaded from the database
        ids.append(r.id)
    steps: dict[int, list[ApprovalStep]] = defaultdict(list)
    decisions: dict[int, list[ApprovalDecision | RecordedDecision]] = defaultdict(list)
    if ids:
        for step in (await session.execute(
                select(ApprovalStep).where(col(ApprovalStep.request_id).in_(ids))
                .order_by(col(ApprovalStep.stage_index), col(ApprovalStep.id)))).scalars():
            steps[step.request_id].append(step)
        for decision in (await session.execute(
                select(ApprovalDecision).where(col(ApprovalDecision.request_id).in_(ids))
                .order_by(col(ApprovalDecision.id)))).scalars():
            decisions[decision.request_id].append(decision)
    return [LoadedRequest(r, steps[request_id], decisions[request_id])
            for r, request_id in zip(requests, ids, strict=True)]


async def load_by_ids(session: AsyncSession, request_ids: list[int]) -> list[LoadedRequest]:
    """Requests with their steps and decisions: three queries for any number of ids."""
    if not request_ids:
        return []
    requests = list((await session.execute(select(ApprovalRequest).where(
        col(ApprovalRequest.id).in_(request_ids)))).scalars())
    return await load_many(session, requests)


# ---- writing ------------------------------------------------------------------------------


def record_decision(session: AsyncSession, loaded: LoadedRequest,
                    decision: RecordedDecision) -> None:
    """Decisions are never changed once made: the row is appended at commit (nothing in
    the command needs its id), and the loaded request shows it at once."""
    fastpath.append(session, _DECISIONS,
                    {name: getattr(decision, name) for name in RecordedDecision.__slots__})
    loaded.decisions.append(decision)


def set_step(session: AsyncSession, step: ApprovalStep, **values: Any) -> None:
    fastpath.write_loaded(session, [step], **values)


def set_due(session: AsyncSession, loaded: LoadedRequest) -> None:
    """The request's `due_at` after its steps changed: the current stage's earliest deadline
    among the steps still to decide (what a read shows as `due_at`), NULL once ended."""
    request = loaded.request
    due = min((s.due_at for s in loaded.stage(request.current_stage)
               if s.status == StepStatus.active and s.due_at is not None), default=None)
    if request.status != RequestStatus.pending:
        due = None
    if request.due_at != due:
        fastpath.write_loaded(session, [request], due_at=due)


def set_stage(session: AsyncSession, loaded: LoadedRequest, index: int) -> None:
    if loaded.request.current_stage != index:
        fastpath.write_loaded(session, [loaded.request], current_stage=index)


def finish(session: AsyncSession, loaded: LoadedRequest, status: RequestStatus, now: datetime,
           *, reason: str | None) -> None:
    """End the request: its outcome, and the steps that never got to decide cancelled."""
    request = loaded.request
    fastpath.write_loaded(session, [request], status=status, decided_at=now,
                          outcome_reason=reason, version=request.version + 1, due_at=None)
    fastpath.write_loaded(session, [s for s in loaded.steps
                                    if s.status in (StepStatus.waiting, StepStatus.active)],
                          status=StepStatus.cancelled)
