"""Lead states (SPEC §3) and the transitions between them, as data."""

from app.core.errors import InvalidTransition
from app.leads.models import LeadStatus as S

# In SPEC §3's order: a lead is qualified (need and budget confirmed) only once someone
# has spoken to the prospect, so `contacted` is never skipped.
TRANSITIONS: dict[S, frozenset[S]] = {
    S.new: frozenset({S.contacted, S.disqualified}),
    S.contacted: frozenset({S.qualified, S.disqualified}),
    S.qualified: frozenset({S.converted, S.disqualified}),
    S.converted: frozenset(),
    S.disqualified: frozenset(),
}

# A lead is worked (edited, assigned) until it is converted or disqualified.
OPEN = frozenset({S.new, S.contacted, S.qualified})


def ensure_transition(current: S, target: S) -> None:
    allowed = TRANSITIONS[current]
    if target not in allowed:
        raise InvalidTransition(
            f"A {current.value} lead cannot become {target.value}.",
            current_status=current.value, allowed_next=sorted(s.value for s in allowed))
