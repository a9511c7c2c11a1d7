"""Receivable states (SPEC §3 Receivable) and the transitions between them, as data.

Overdue is not a state: it is derived from the due date and the balance."""

from app.core.errors import InvalidTransition
from app.receivables.models import ReceivableStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.open: frozenset({S.partially_paid, S.paid, S.pending_write_off}),
    S.partially_paid: frozenset({S.partially_paid, S.paid, S.pending_write_off}),
    # A rejected or recalled write-off returns to what the payments say.
    S.pending_write_off: frozenset({S.written_off, S.open, S.partially_paid}),
    S.paid: frozenset(),
    S.written_off: frozenset(),
}

# What payments settle and the overdue sweep and dunning look at: money still owed.
PAYABLE = frozenset({S.open, S.partially_paid})
OUTSTANDING = PAYABLE | {S.pending_write_off}


def ensure_transition(current: S, target: S) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"A {current.value} receivable cannot become {target.value}.",
            current_status=current.value,
            allowed_next=sorted(s.value for s in TRANSITIONS[current]))
