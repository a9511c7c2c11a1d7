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
    "receivable.write_off_rejected", "receivable.write_off_recalled", "receivable.credited",
    "payment.received",
    "sales_plan.created", "sales_plan.updated", "sales_plan.cancelled", "sales_plan.revised",
    "sales_plan.submitted", "sales_plan.approved", "sales_plan.rejected",
    "sales_plan.recalled", "sales_plan.superseded", "sales_plan.allocated",
    "sales_target.acknowledged",
    "expense_budget.created", "expense_budget.updated", "expense_budget.submitted",
    "expense_budget.approved", "expense_budget.rejected", "expense_budget.recalled",
    "expense_budget.expense_recorded",
    "expense_override.requested", "expense_override.approved", "expense_override.rejected",
    "expense_override.recalled",
    "deviation_target.set",
    "deviation_analysis.created", "deviation_analysis.updated", "deviation_analysis.submitted",
    "deviation_analysis.approved", "deviation_analysis.rejected",
    "deviation_analysis.recalled", "deviation_analysis.measure_done",
    "deviation_analysis.completed",
    "complaint.received", "complaint.ack_overdue", "complaint.assigned", "complaint.determined",
    "complaint.reviewed", "complaint.negotiating", "complaint.capa_submitted",
    "complaint.capa_approved", "complaint.capa_rejected", "complaint.capa_recalled",
    "complaint.tracking_recorded", "complaint.verified", "complaint.feedback_given",
    "complaint.remedy_recorded", "complaint.closed",
    "visit.created", "visit.updated", "visit.submitted", "visit.approved", "visit.rejected",
    "visit.recalled", "visit.cancelled", "visit.reported",
    "webhook.test", "webhook.subscription_disabled",
    "audit.chain_broken",
})


def is_known(event_type: str) -> bool:
    return event_type in EVENT_TYPES
