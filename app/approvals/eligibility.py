"""Who may decide a step: a role in a scope, held directly or through a delegation; and
segregation of duties (SPEC §2, 000 §2 internal control), written once here in its two
forms: `segregation_refusal` for Python (the decision guard and `allowed_actions`) and
`segregated` for SQL (the inbox). A property test holds the three to the same answers."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.approvals.models import ApprovalDecision, ApprovalRequest, ApprovalStep, Delegation
from app.approvals.policy import scope_for
from app.core.permissions import Role, Scope, overseen_departments, parse_roles
from app.core.security import Principal


@dataclass(frozen=True)
class Authority:
    """Whose authority a decision is taken under: the caller's own, or a delegator's."""

    principal: Principal  # the roles and departments that count
    on_behalf_of_id: str | None = None  # the delegator, when acting as a delegate
    caller_id: str | None = None  # the delegate acting, when it is a delegation

    @property
    def person_id(self) -> str:
        """Whose authority it is."""
        return self.on_behalf_of_id or self.principal.sub

    @property
    def people(self) -> frozenset[str]:
        """Everyone a decision under this authority is taken by: the caller, and the
        delegator they stand in for."""
        return frozenset({self.caller_id or self.principal.sub, self.person_id})


def holds(principal: Principal, role: str | None, department_id: str | None) -> bool:
    """Does the principal hold `role` in the scope a step of that role needs?"""
    if role is None or role not in principal.roles:
        return False
    scope = scope_for(Role(role))
    if scope == Scope.company:
        return True
    if scope == Scope.department:
        return department_id is not None and department_id == principal.dept
    return department_id in overseen_departments(principal)


def may_decide(principal: Principal, step: ApprovalStep) -> bool:
    """The step's own role, or the role it escalated to when it went overdue."""
    return (holds(principal, step.role, step.department_id)
            or holds(principal, step.escalated_role, step.department_id))


def steps_decidable_by(principal: Principal) -> ColumnElement[bool]:
    """SQL form of `may_decide`, for the inbox."""
    clauses = []
    for role in principal.roles:
        scope = scope_for(role)
        if scope == Scope.company:
            in_scope: ColumnElement[bool] = true()
        elif scope == Scope.department:
            in_scope = (col(ApprovalStep.department_id) == principal.dept if principal.dept
                        else false())
        else:
            depts = sorted(overseen_departments(principal))
            in_scope = col(ApprovalStep.department_id).in_(depts) if depts else false()
        clauses.append(and_(or_(col(ApprovalStep.role) == role.value,
                                col(ApprovalStep.escalated_role) == role.value), in_scope))
    return or_(*clauses) if clauses else false()


def active_delegations_to(delegate_id: Any, today: Any) -> ColumnElement[bool]:
    """SQL filter: delegations to `delegate_id` in force on `today` (values or bind
    parameters)."""
    return and_(col(Delegation.delegate_id) == delegate_id, col(Delegation.start_date) <= today,
                col(Delegation.end_date) >= today, col(Delegation.revoked_at).is_(None))


async def authorities(session: AsyncSession, principal: Principal, now: datetime, *,
                      delegated_to_me: bool = True) -> list[Authority]:
    """The caller's own authority first, then each delegation active today.

    `delegated_to_me=False` is the caller's word (from a query it already ran with
    `active_delegations_to`) that there are none, saving the round trip."""
    if not delegated_to_me:
        return [Authority(principal)]
    rows = (await session.execute(
        select(Delegation).where(active_delegations_to(principal.sub, now.date()))
        .order_by(col(Delegation.id))
    )).scalars().all()
    delegated = [
        Authority(Principal(sub=d.delegator_id, roles=parse_roles(d.delegator_roles),
                            dept=d.delegator_dept, depts=frozenset(d.delegator_depts)),
                  on_behalf_of_id=d.delegator_id, caller_id=principal.sub)
        for d in rows if d.delegator_id != principal.sub
    ]
    return [Authority(principal), *delegated]


# ---- segregation of duties -------------------------------------------------------------------


class Refusal(StrEnum):
    self_approval = "self_approval"          # the request is theirs
    already_decided = "already_decided"      # they decided this step
    duplicate_approver = "duplicate_approver"  # they decided another step of the request


class MadeDecision(Protocol):
    @property
    def step_id(self) -> int: ...
    @property
    def actor_id(self) -> str: ...
    @property
    def on_behalf_of_id(self) -> str | None: ...


def segregation_refusal(authority: Authority, *, submitted_by: str,
                        decisions: Iterable[MadeDecision],
                        step_id: int | None = None) -> Refusal | None:
    """Why segregation of duties keeps this authority from deciding a step of a request,
    or None. Neither the caller nor the one they stand in for may have submitted the
    request, nor decided a step of it already: one person, one decision per request."""
    people = authority.people
    if submitted_by in people:
        return Refusal.self_approval
    for decision in decisions:
        if decision.actor_id in people or decision.on_behalf_of_id in people:
            return (Refusal.already_decided if decision.step_id == step_id
                    else Refusal.duplicate_approver)
    return None


def segregated(authority: Authority) -> ColumnElement[bool]:
    """SQL form of `segregation_refusal(...) is None`, on `approval_request` rows."""
    people = sorted(authority.people)
    return and_(
        col(ApprovalRequest.submitted_by).not_in(people),
        ~exists(select(col(ApprovalDecision.id)).where(
            col(ApprovalDecision.request_id) == col(ApprovalRequest.id),
            or_(col(ApprovalDecision.actor_id).in_(people),
                col(ApprovalDecision.on_behalf_of_id).in_(people)))))
