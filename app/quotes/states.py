"""Quote states (SPEC §3) and the transitions between them, as data. Expiry is derived
from valid_until (an approved or sent quote past it reads as expired) and made permanent
by the worker's sweep."""

from datetime import date

from app.core.errors import InvalidTransition
from app.quotes.models import Quote
from app.quotes.models import QuoteStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.draft: frozenset({S.pending_approval}),
    # Recalled or rejected, or approved (at once when within the rep's authority).
    S.pending_approval: frozenset({S.draft, S.approved}),
    S.approved: frozenset({S.sent, S.expired, S.superseded}),
    S.sent: frozenset({S.accepted, S.declined, S.expired, S.superseded}),
    S.accepted: frozenset(),
    S.declined: frozenset({S.superseded}),
    S.expired: frozenset({S.superseded}),
    S.superseded: frozenset(),
}

EDITABLE = frozenset({S.draft})
EXPIRING = frozenset({S.approved, S.sent})


def status_on(quote: Quote, today: date) -> S:
    """The quote's status as of `today` (a company calendar day): validity ends after
    valid_until, whether or not the sweep has run yet."""
    if quote.status in EXPIRING and quote.valid_until < today:
        return S.expired
    return quote.status


def ensure_transition(current: S, target: S) -> None:
    allowed = TRANSITIONS[current]
    if target not in allowed:
        raise InvalidTransition(
            f"A {current.value} quote cannot become {target.value}.",
            current_status=current.value, allowed_next=sorted(s.value for s in allowed))
