"""Sales plan states and the transitions between them, as data."""

from app.core.errors import InvalidTransition
from app.plans.models import SalesPlanStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.draft: frozenset({S.pending_approval, S.cancelled}),
    # Approved (its last approver), or back to draft: rejected or recalled.
    S.pending_approval: frozenset({S.approved, S.draft}),
    # A later revision was approved.
    S.approved: frozenset({S.superseded}),
    S.superseded: frozenset(),
    S.cancelled: frozenset(),
}

EDITABLE = frozenset({S.draft})
# Targets are decomposed on a draft (prepared with it) and on the plan in force.
ALLOCATABLE = frozenset({S.draft, S.approved})


def ensure_transition(current: S, target: S) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"A {current.value} sales plan cannot become {target.value}.",
            current_status=current.value,
            allowed_next=sorted(s.value for s in TRANSITIONS[current]))
