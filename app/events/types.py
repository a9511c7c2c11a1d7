"""The event types the code may emit, and the version of their payload schemas.

`emit()` refuses any other type, and every domain emits, so this module imports no domain.
Each type's payload schema is published by app/webhooks/catalog.py (which imports the
domains' enums); tests/webhooks/test_catalog.py keeps the two in agreement.

Versioning: `SCHEMA_VERSION` rises only on a breaking change to a payload (a field removed,
renamed or given another type or meaning). New fields and new event types do not raise it.
"""

SCHEMA_VERSION = 1

EVENT_TYPES: frozenset[str] = frozenset({
    "customer.created", "customer.updated", "customer.deleted",
    "department.created", "department.updated", "department.deleted",
    "product.created", "product.updated", "product.deleted",
    "calendar.day_set", "calendar.day_removed",
    "delegation.created", "delegation.revoked",
    "approval_policy.updated",
    "approval.submitted", "approval.step_pending", "approval.step_approved",
    "approval.step_overdue", "approval.completed",
    "lead.created", "lead.updated", "lead.contacted", "lead.qualified", "lead.disqualified",
    "lead.assigned", "lead.converted",
    "opportunity.created", "opportunity.updated", "opportunity.stage_changed",
    "opportunity.proposal_submitted", "opportunity.proposal_approved",
    "opportunity.proposal_rejected", "opportunity.proposal_recalled", "opportunity.won",
    "opportunity.lost",
    "quote.created", "quote.updated", "quote.submitted", "quote.approved", "quote.rejected",
    "quote.recalled", "quote.sent", "quote.accepted", "quote.declined", "quote.expired",
    "quote.superseded", "quote.revised",
    "contract.created", "contract.updated", "contract.submitted", "contract.approved",
    "contract.rejected", "contract.recalled", "contract.signed", "contract.amended",
    "contract.voided", "contract.termination_requested", "contract.terminated",
    "contract.termination_rejected", "contract.termination_recalled",
    "order.created", "order.updated", "order.submitted", "order.credit_hold",
    "order.released", "order.confirmed", "order.rejected", "order.recalled",
    "order.scheduled", "order.cancelled", "order.closed",
    "order.partially_delivered", "order.delivered",
    "delivery.planned", "delivery.updated", "delivery.cancelled", "delivery.shipped",
    "delivery.delivered", "delivery.returned",
    "contract.completed",
    "receivable.issued", "receivable.overdue", "receivable.dunning_recorded",
    "receivable.write_off_requested", "receivable.written_off",
    "receivable.write_off_rejected", "receivable.write_off_recalled",
    "payment.received",
    "visit.created", "visit.updated", "visit.submitted", "visit.approved", "visit.rejected",
    "visit.recalled", "visit.cancelled", "visit.reported",
    "webhook.test", "webhook.subscription_disabled",
})


def is_known(event_type: str) -> bool:
    return event_type in EVENT_TYPES
