"""Budget and override states, and the transitions between them, as data."""

from app.budgets.models import BudgetStatus as B
from app.budgets.models import OverrideStatus as O
from app.core.errors import InvalidTransition

BUDGET_TRANSITIONS: dict[B, frozenset[B]] = {
    B.draft: frozenset({B.pending_approval}),
    # Rejected or recalled, it is a draft again.
    B.pending_approval: frozenset({B.approved, B.draft}),
    B.approved: frozenset(),
}

OVERRIDE_TRANSITIONS: dict[O, frozenset[O]] = {
    O.draft: frozenset({O.pending_approval}),
    O.pending_approval: frozenset({O.approved, O.rejected, O.recalled}),
    O.approved: frozenset(),
    O.rejected: frozenset(),
    O.recalled: frozenset(),
}


def ensure_budget_transition(current: B, target: B) -> None:
    if target not in BUDGET_TRANSITIONS[current]:
        raise InvalidTransition(
            f"A {current.value} budget cannot become {target.value}.",
            current_status=current.value,
            allowed_next=sorted(s.value for s in BUDGET_TRANSITIONS[current]))


def ensure_override_transition(current: O, target: O) -> None:
    if target not in OVERRIDE_TRANSITIONS[current]:
        raise InvalidTransition(
            f"A {current.value} override cannot become {target.value}.",
            current_status=current.value,
            allowed_next=sorted(s.value for s in OVERRIDE_TRANSITIONS[current]))
