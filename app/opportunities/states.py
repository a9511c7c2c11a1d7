"""Opportunity stages (SPEC §3): forward one stage at a time, back to any earlier open
stage (a customer reopening its needs), won only from negotiation, lost from any open
stage. The default probability of each stage is data as well."""

from app.core.errors import InvalidTransition
from app.opportunities.models import OpportunityStage as S

ORDER = (S.qualification, S.needs_analysis, S.proposal, S.negotiation)
OPEN = frozenset(ORDER)


def _next(stage: S) -> frozenset[S]:
    index = ORDER.index(stage)
    forward = {ORDER[index + 1]} if index + 1 < len(ORDER) else {S.won}
    return frozenset({*forward, *ORDER[:index], S.lost})


TRANSITIONS: dict[S, frozenset[S]] = {
    **{stage: _next(stage) for stage in ORDER},
    S.won: frozenset(),
    S.lost: frozenset(),
}

PROBABILITY: dict[S, int] = {
    S.qualification: 10, S.needs_analysis: 25, S.proposal: 50, S.negotiation: 75,
    S.won: 100, S.lost: 0,
}


def ensure_transition(current: S, target: S) -> None:
    allowed = TRANSITIONS[current]
    if target not in allowed:
        raise InvalidTransition(
            f"An opportunity in {current.value} cannot move to {target.value}.",
            current_stage=current.value, allowed_next=sorted(s.value for s in allowed))
