"""Delivery states (SPEC §3) and the transitions between them, as data. Returns are not a
state: a shipped or delivered delivery records them and stays what it is."""

from app.core.errors import InvalidTransition
from app.deliveries.models import DeliveryStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.planned: frozenset({S.shipped, S.cancelled}),
    S.shipped: frozenset({S.delivered}),
    S.delivered: frozenset(),
    S.cancelled: frozenset(),
}

# Goods that left the warehouse may come back.
RETURNABLE = frozenset({S.shipped, S.delivered})


def ensure_transition(current: S, target: S) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"A {current.value} delivery cannot become {target.value}.",
            current_status=current.value,
            allowed_next=sorted(s.value for s in TRANSITIONS[current]))
