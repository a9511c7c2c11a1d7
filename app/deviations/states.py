"""Deviation analysis states and their transitions, as data."""

from app.core.errors import InvalidTransition
from app.deviations.models import AnalysisStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.draft: frozenset({S.pending_approval}),
    # Rejected or recalled, it is a draft again.
    S.pending_approval: frozenset({S.approved, S.draft}),
    S.approved: frozenset({S.completed}),
    S.completed: frozenset(),
}


def ensure_transition(current: S, target: S) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"A {current.value} analysis cannot become {target.value}.",
            current_status=current.value,
            allowed_next=sorted(s.value for s in TRANSITIONS[current]))
