"""Contract states (SPEC §3) and the transitions between them, as data."""

from app.contracts.models import ContractStatus as S
from app.core.errors import InvalidTransition

TRANSITIONS: dict[S, frozenset[S]] = {
    S.draft: frozenset({S.pending_approval}),
    S.pending_approval: frozenset({S.draft, S.approved}),  # rejected/recalled, or approved
    S.approved: frozenset({S.signed}),
    S.signed: frozenset({S.completed, S.terminated, S.voided}),
    S.completed: frozenset(),
    S.terminated: frozenset(),
    S.voided: frozenset(),
}

# Edits are allowed only in draft; later changes go through an amendment.
EDITABLE = frozenset({S.draft})


def ensure_transition(current: S, target: S) -> None:
    if target not in TRANSITIONS[current]:
        raise transition_refused(current, target)


def transition_refused(current: S, target: S) -> InvalidTransition:
    return InvalidTransition(
        f"A {current.value} contract cannot become {target.value}.",
        current_status=current.value, allowed_next=sorted(s.value for s in TRANSITIONS[current]))
