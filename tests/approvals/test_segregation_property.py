"""Segregation of duties is one rule in three places: the inbox's SQL filter
(`GET /approvals?actionable=true`), the decision guard (approve/reject) and a request's
`allowed_actions`. For any request, steps, earlier decisions, caller and delegations to the
caller, the three must give the same answer to "may this caller decide now?".

The worlds are written straight into the database (inside a savepoint per example, rolled
back), so hypothesis can try hundreds of combinations of roles, scopes, step states,
delegations and earlier deciders that no hand-written test would list."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import decisions, queries
from app.approvals.errors import StepRequired
from app.approvals.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalStep,
    Decision,
    Delegation,
    RequestStatus,
    StepStatus,
)
from app.approvals.policy import scope_for
from app.core.errors import AppError
from app.core.pagination import ListRequest
from app.core.permissions import Role
from app.core.security import Principal
from app.departments.models import Department

PEOPLE = ("ann", "bob", "cai", "dai")
DEPARTMENTS = ("east", "west")
DECIDING_ROLES = (Role.dept_head, Role.deputy_gm, Role.gm, Role.finance, Role.legal)
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 30)

roles = st.frozensets(st.sampled_from(DECIDING_ROLES), max_size=3)
departments = st.sampled_from(DEPARTMENTS)
people = st.sampled_from(PEOPLE)


@st.composite
def steps(draw: st.DrawFn, department: str) -> list[dict[str, object]]:
    drawn = []
    for index in range(draw(st.integers(1, 3))):
        role = draw(st.sampled_from(DECIDING_ROLES))
        escalated = draw(st.none() | st.sampled_from(DECIDING_ROLES))
        scoped = scope_for(role).name != "company" or (
            escalated is not None and scope_for(escalated).name != "company")
        drawn.append({
            "stage_index": draw(st.integers(0, 1)), "role": role.value,
            "escalated_role": escalated.value if escalated else None,
            "department_id": draw(st.sampled_from((department, *DEPARTMENTS)))
            if scoped else None,
            "status": draw(st.sampled_from((StepStatus.active, StepStatus.active,
                                            StepStatus.waiting, StepStatus.approved))),
            "index": index,
        })
    return drawn


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, object]:
    department = draw(departments)
    drawn_steps = draw(steps(department))
    decided = draw(st.lists(st.tuples(st.integers(0, len(drawn_steps) - 1), people,
                                      st.none() | people), max_size=3,
                            unique_by=lambda d: (d[0], d[1])))
    caller = draw(people)
    delegations = draw(st.lists(st.tuples(people, roles, departments,
                                          st.frozensets(departments)),
                                max_size=2, unique_by=lambda d: d[0]))
    return {
        "department": department,
        "submitted_by": draw(people),
        "status": draw(st.sampled_from((RequestStatus.pending, RequestStatus.pending,
                                        RequestStatus.approved))),
        "steps": drawn_steps,
        "decided": decided,
        "caller": Principal(sub=caller, roles=draw(roles), dept=draw(departments),
                            depts=draw(st.frozensets(departments))),
        "delegations": delegations,
    }


async def _write(session: AsyncSession, world: dict[str, object]) -> int:
    request = ApprovalRequest(
        document_type="contract", document_id=1, document_version=1, policy_key="contract",
        title="t", amount=Decimal("1.00"), department_id=world["department"], owner_id="ann",
        submitted_by=world["submitted_by"], policy_version=1, status=world["status"])
    session.add(request)
    await session.flush()
    written = []
    for s in world["steps"]:  # type: ignore[attr-defined]
        step = ApprovalStep(request_id=request.id, stage_index=s["stage_index"],
                            stage_name="s", role=s["role"], escalated_role=s["escalated_role"],
                            scope="x", department_id=s["department_id"], sla_hours=8,
                            rule="r", status=s["status"])
        session.add(step)
        written.append(step)
    await session.flush()
    for index, actor, behalf in world["decided"]:  # type: ignore[attr-defined]
        session.add(ApprovalDecision(request_id=request.id, step_id=written[index].id,
                                     actor_id=actor, on_behalf_of_id=behalf,
                                     decision=Decision.approve, document_version=1,
                                     decided_at=NOW))
    caller: Principal = world["caller"]  # type: ignore[assignment]
    for delegator, delegator_roles, dept, depts in world["delegations"]:  # type: ignore[attr-defined]
        session.add(Delegation(delegator_id=delegator, delegate_id=caller.sub,
                               start_date=TODAY - timedelta(days=1),
                               end_date=TODAY + timedelta(days=1),
                               delegator_roles=sorted(r.value for r in delegator_roles),
                               delegator_dept=dept, delegator_depts=sorted(depts)))
    await session.flush()
    assert request.id is not None
    return request.id


@pytest.fixture
async def company(session: AsyncSession) -> None:
    for department in DEPARTMENTS:
        session.add(Department(id=department, name=department))
    await session.flush()


@pytest.mark.usefixtures("company")
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(world=worlds())
async def test_inbox_guard_and_allowed_actions_agree(session: AsyncSession,
                                                     world: dict[str, object]) -> None:
    caller: Principal = world["caller"]  # type: ignore[assignment]
    savepoint = await session.begin_nested()
    try:
        request_id = await _write(session, world)

        inbox, _ = await queries.list_requests(
            session, caller, actionable=True, status=None, document_type=None,
            page=ListRequest(sort=queries.SORTS.default), now=NOW)
        in_inbox = request_id in {loaded.request.id for loaded in inbox.items}

        try:
            loaded, mine = await queries.get_visible(session, caller, request_id, NOW)
            offered = "approve" in queries.allowed_actions(loaded, caller, mine)
        except AppError:
            offered = False

        try:
            await decisions.decidable_step(session, caller, request_id, None, NOW)
            guard_allows = True
        except StepRequired:  # more than one step it may decide: still allowed
            guard_allows = True
        except AppError:
            guard_allows = False
    finally:
        await savepoint.rollback()

    assert in_inbox == offered == guard_allows, (in_inbox, offered, guard_allows)
