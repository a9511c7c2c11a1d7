"""Visit states and the transitions between them, as data."""

from app.core.errors import InvalidTransition
from app.visits.models import VisitStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.draft: frozenset({S.in_review, S.cancelled}),
    # Approved, rejected (with the reason), recalled back to draft by the submitter, or
    # cancelled (its request withdrawn).
    S.in_review: frozenset({S.approved, S.rejected, S.draft, S.cancelled}),
    # A rejected request is edited and submitted again, as a new request.
    S.rejected: frozenset({S.in_review, S.cancelled}),
    S.approved: frozenset({S.reported, S.cancelled}),
    S.cancelled: frozenset(),
    S.reported: frozenset(),
}

EDITABLE = frozenset({S.draft, S.rejected})
CANCELLABLE = frozenset({S.draft, S.rejected, S.in_review, S.approved})


def ensure_transition(current: S, target: S) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"A {current.value} visit cannot become {target.value}.",
            current_status=current.value,
            allowed_next=sorted(s.value for s in TRANSITIONS[current]))
