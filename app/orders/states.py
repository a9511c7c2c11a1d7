"""Order states (SPEC §3 Order, §5) and the transitions between them, as data.

The orders service moves an order through its review, cancellation and close; the
deliveries service moves a confirmed order through its deliveries (and back to partially
delivered after a return). Both go through `ensure_transition`."""

from app.core.errors import InvalidTransition
from app.orders.models import OrderStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    # Submitted: into review, or straight onto credit hold (the GM's release is added).
    S.draft: frozenset({S.pending_review, S.credit_hold, S.cancelled}),
    # Rejected or recalled (draft), approved (confirmed), or cancelled while in review.
    S.pending_review: frozenset({S.draft, S.confirmed, S.cancelled}),
    S.credit_hold: frozenset({S.draft, S.confirmed, S.cancelled}),
    S.confirmed: frozenset({S.partially_delivered, S.delivered, S.cancelled}),
    S.partially_delivered: frozenset({S.delivered, S.closed}),
    S.delivered: frozenset({S.partially_delivered, S.closed}),  # back after a return
    S.closed: frozenset(),
    S.cancelled: frozenset(),
}

EDITABLE = frozenset({S.draft})
# A request is running: the order is locked, its amount reserved in the customer's exposure.
IN_REVIEW = frozenset({S.pending_review, S.credit_hold})
# Confirmed and not finished: the part not yet invoiced counts in the customer's exposure.
CONFIRMED = frozenset({S.confirmed, S.partially_delivered, S.delivered})
CLOSABLE = frozenset({S.partially_delivered, S.delivered})


def ensure_transition(current: S, target: S) -> None:
    if target not in TRANSITIONS[current]:
        raise transition_refused(current, target)


def transition_refused(current: S, target: S) -> InvalidTransition:
    return InvalidTransition(
        f"A {current.value} order cannot become {target.value}.",
        current_status=current.value, allowed_next=sorted(s.value for s in TRANSITIONS[current]))
