from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.approvals.models import ApprovalStep, Decision, RequestStatus, StepStatus
from app.approvals.policy import PolicyDocument
from app.approvals.rules import FiredRule, render_rule, stage_label
from app.core.directory import OwnerName
from app.core.ids import Id
from app.core.money import Money, MoneyIn
from app.core.pagination import Page
from app.core.schemas import ReadModel, UserId, WriteModel

if TYPE_CHECKING:
    from app.approvals.store import LoadedRequest

Comment = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class ApproveBody(WriteModel):
    comment: Comment | None = None
    step_id: Id | None = Field(default=None, description="Needed when several steps are yours")


class RejectBody(WriteModel):
    comment: Comment = Field(description="The reason; it is returned to the submitter")
    step_id: Id | None = None


class DecisionRead(ReadModel):
    step_id: int
    actor_id: str
    on_behalf_of_id: str | None
    decision: Decision
    comment: str | None
    document_version: int
    decided_at: datetime


class StepRead(BaseModel):
    id: int
    role: str
    scope: str = Field(description="department, overseen (deputy GM) or company")
    department_id: str | None
    quorum: int
    approvals: int
    status: StepStatus
    rule: str = Field(description="The policy rule that put this step here")
    activated_at: datetime | None
    due_at: datetime | None
    overdue: bool
    escalated_role: str | None
    decisions: list[DecisionRead]


StageStatus = Literal["waiting", "active", "approved", "rejected", "cancelled"]


STAGE_NAME = ("The policy's name of the stage, as it was written (a stable code for the "
              "default policy's stages)")
STAGE_LABEL = ("The stage's name in the caller's language: the default policy's names by their "
               "labels (`GET /messages`, `stages`), a policy's own names as written")


class StageRead(BaseModel):
    index: int
    name: str = Field(description=STAGE_NAME)
    label: str = Field(description=STAGE_LABEL, examples=["会审"])
    status: StageStatus
    steps: list[StepRead]


class WaitingStep(BaseModel):
    """A step of the current stage still waiting for its decision."""

    step_id: int
    role: str
    department_id: str | None
    due_at: datetime | None
    overdue: bool


class FiredRuleRead(BaseModel):
    """A rule the policy applied (or skipped) when the chain was resolved."""

    code: str = Field(description="Stable code of the rule, e.g. `tier.selected`; "
                                  "`GET /api/v1/messages` has its template in each language",
                      examples=["tier.selected"])
    params: dict[str, str | int | None] = Field(
        description="The facts the rule names: amounts and percentages as decimal strings, "
                    "`low`/`high` bounds (null: unbounded), `role`, `stage`, `when`, …",
        examples=[{"amount": "120000.00", "tier": 2, "low": "100000.00", "high": "500000.00",
                   "role": "deputy_gm"}])
    message: str = Field(description="The rule as a sentence in the caller's language",
                         examples=[("金额 120,000.00 属于第 2 级（> 100,000.00 且 ≤ "
                                    "500,000.00）：由分管副总经理审批")])


def fired_rules_read(rules: Sequence[FiredRule | dict[str, object] | str]) -> list[FiredRuleRead]:
    """Stored or freshly resolved rules, each rendered in the caller's language."""
    read = []
    for stored in rules:
        rule = stored if isinstance(stored, FiredRule) else FiredRule.from_stored(stored)
        read.append(FiredRuleRead(code=rule.code, params=rule.params, message=render_rule(rule)))
    return read


class ApprovalRead(OwnerName):
    id: int
    document_type: str
    document_id: int
    document_version: int
    policy_key: str
    title: str
    amount: Money
    department_id: str
    owner_id: str
    submitted_by: str
    submitted_by_name: str | None = Field(default=None, description="The submitter's name")
    flags: list[str]
    policy_version: int
    fired_rules: list[FiredRuleRead]
    status: RequestStatus
    current_stage: int
    outcome_reason: str | None
    created_at: datetime
    decided_at: datetime | None
    stages: list[StageRead]
    current_stage_name: str | None = Field(
        description="The stage deciding now (its policy name); null once the request has ended")
    current_stage_label: str | None = Field(
        description="The stage deciding now in the caller's language (see `stages[].label`)")
    waiting_on: list[WaitingStep] = Field(
        description="The current stage's steps still to decide: role, scope, deadline (what "
                    "an inbox shows without walking `stages`)")
    due_at: datetime | None = Field(description="The earliest deadline among `waiting_on`")
    overdue: bool = Field(description="A step in `waiting_on` is past its deadline")
    allowed_actions: list[str] = Field(description="What the caller may do now")


class ApprovalPage(Page[ApprovalRead]):
    pass


_STAGE_PRECEDENCE: tuple[StageStatus, ...] = ("rejected", "active", "waiting", "cancelled")


def _stage_status(steps: Sequence[ApprovalStep]) -> StageStatus:
    statuses = {s.status for s in steps}
    for status in _STAGE_PRECEDENCE:
        if status in statuses:
            return status
    return "approved"


def _step_read(s: ApprovalStep, decisions_by_step: dict[int, list[DecisionRead]],
               now: datetime) -> StepRead:
    assert s.id is not None  # loaded from the database
    return StepRead(
        id=s.id, role=s.role, scope=s.scope, department_id=s.department_id,
        quorum=s.quorum, approvals=s.approvals, status=s.status, rule=s.rule,
        activated_at=s.activated_at, due_at=s.due_at,
        overdue=s.overdue_at is not None or (
            s.status == StepStatus.active and s.due_at is not None
            and s.due_at < now),
        escalated_role=s.escalated_role,
        decisions=decisions_by_step.get(s.id, []))


def approval_read(loaded: "LoadedRequest", allowed: list[str], now: datetime) -> ApprovalRead:
    request = loaded.request
    decisions_by_step: dict[int, list[DecisionRead]] = {}
    for d in loaded.decisions:
        decisions_by_step.setdefault(d.step_id, []).append(DecisionRead.model_validate(d))
    stages: dict[int, list[ApprovalStep]] = {}
    for step in loaded.steps:
        stages.setdefault(step.stage_index, []).append(step)
    steps_read = {index: [_step_read(s, decisions_by_step, now) for s in steps]
                  for index, steps in sorted(stages.items())}
    pending = request.status == RequestStatus.pending
    waiting = [WaitingStep(step_id=step.id, role=step.role, department_id=step.department_id,
                           due_at=step.due_at, overdue=step.overdue)
               for step in steps_read.get(request.current_stage, [])
               if pending and step.status == StepStatus.active]
    deadlines = [w.due_at for w in waiting if w.due_at is not None]
    current = (stages[request.current_stage][0].stage_name
               if waiting and request.current_stage in stages else None)
    return ApprovalRead(
        current_stage_name=current,
        current_stage_label=stage_label(current) if current is not None else None,
        waiting_on=waiting, due_at=min(deadlines, default=None),
        overdue=any(w.overdue for w in waiting),
        id=loaded.request_id, document_type=request.document_type, document_id=request.document_id,
        document_version=request.document_version, policy_key=request.policy_key,
        title=request.title, amount=request.amount, department_id=request.department_id,
        owner_id=request.owner_id, submitted_by=request.submitted_by, flags=request.flags,
        policy_version=request.policy_version,
        fired_rules=fired_rules_read(request.fired_rules),
        status=request.status, current_stage=request.current_stage,
        outcome_reason=request.outcome_reason, created_at=request.created_at,
        decided_at=request.decided_at, allowed_actions=allowed,
        stages=[StageRead(index=index, name=steps[0].stage_name,
                          label=stage_label(steps[0].stage_name), status=_stage_status(steps),
                          steps=steps_read[index])
                for index, steps in sorted(stages.items())],
    )


class PreviewBody(WriteModel):
    """Either describe a document, or name an existing one (`document_type` + `document_id`)."""

    document_type: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        examples=["contract"])
    document_id: Id | None = None
    policy_key: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="Policy entry; defaults to document_type")
    amount: MoneyIn | None = None
    department_id: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    flags: list[Literal["major_interest", "credit_hold", "key_customer"]] = Field(
        default_factory=list)

    @model_validator(mode="after")
    def _described_or_named(self) -> "PreviewBody":
        if self.document_id is None and (self.amount is None or self.department_id is None):
            raise ValueError("give document_id, or amount and department_id")
        return self


class PreviewStep(BaseModel):
    role: str
    scope: str
    department_id: str | None
    quorum: int
    sla_hours: int
    rule: str


class PreviewStage(BaseModel):
    index: int
    name: str = Field(description=STAGE_NAME)
    label: str = Field(description=STAGE_LABEL, examples=["会审"])
    steps: list[PreviewStep]


class PreviewRead(BaseModel):
    policy_version: int
    policy_key: str
    amount: Money
    department_id: str
    flags: list[str]
    stages: list[PreviewStage]
    fired_rules: list[FiredRuleRead]


class PolicyRead(BaseModel):
    version: int
    policy: PolicyDocument


class DelegationCreate(WriteModel):
    delegate_id: UserId
    start_date: date
    end_date: date
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class DelegationRead(ReadModel):
    id: int
    delegator_id: str
    delegate_id: str
    start_date: date
    end_date: date
    delegator_roles: list[str]
    delegator_dept: str | None
    delegator_depts: list[str]
    reason: str | None
    revoked_at: datetime | None
    created_at: datetime


class DelegationPage(Page[DelegationRead]):
    pass


