"""Complaint states (SPEC §3 Complaint) and the transitions between them, as data."""

from app.complaints.models import ComplaintStatus as S
from app.core.errors import InvalidTransition

TRANSITIONS: dict[S, frozenset[S]] = {
    S.received: frozenset({S.investigating}),
    # Re-assigned to another department while investigating; its report goes to quality.
    S.investigating: frozenset({S.investigating, S.under_review}),
    # Quality accepts the report (either branch) or sends it back.
    S.under_review: frozenset({S.explained, S.corrective_action, S.investigating}),
    S.explained: frozenset({S.negotiating, S.closed}),
    S.negotiating: frozenset({S.closed}),
    S.corrective_action: frozenset({S.capa_review}),
    # The CAPA approved, or rejected / recalled back to drafting.
    S.capa_review: frozenset({S.implementing, S.corrective_action}),
    S.implementing: frozenset({S.implementing, S.verifying}),
    # Effective, or not: back to implementing.
    S.verifying: frozenset({S.verified, S.implementing}),
    S.verified: frozenset({S.feedback_given}),
    S.feedback_given: frozenset({S.closed}),
    S.closed: frozenset(),
}

OPEN = frozenset(set(S) - {S.closed})
# Where a remedy (repair, replacement, return, refund) may be recorded: an agreed
# settlement, or the corrective actions under way.
REMEDIABLE = frozenset({S.negotiating, S.implementing, S.verifying})


def ensure_transition(current: S, target: S) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"A {current.value} complaint cannot become {target.value}.",
            current_status=current.value,
            allowed_next=sorted(s.value for s in TRANSITIONS[current]))
