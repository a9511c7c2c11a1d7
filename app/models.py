"""Every table, imported in one place so Alembic and the tests see the whole metadata."""

from app.approvals.models import (
    ApprovalDecision,
    ApprovalPolicyVersion,
    ApprovalRequest,
    ApprovalStep,
    Delegation,
)
from app.audit.models import AuditEntry, AuditSealState
from app.calendar.models import CalendarDay
from app.contracts.models import Contract, ContractLine
from app.core.db import metadata
from app.core.idempotency import IdempotencyRecord
from app.core.numbering import DocumentCounter
from app.credit.models import CustomerCredit
from app.customers.models import Customer
from app.deliveries.models import Delivery, DeliveryLine, DeliveryReturn
from app.departments.models import Department
from app.events.models import Event, EventSequencerState, EventSubject
from app.leads.models import Lead
from app.opportunities.models import Opportunity
from app.orders.models import Order, OrderLine
from app.products.models import Product
from app.quotes.models import Quote, QuoteLine
from app.receivables.models import (
    DunningEntry,
    Payment,
    PaymentAllocation,
    Receivable,
    ReceivableCredit,
    ReceivableOpenBalance,
)
from app.reports import indexes as report_indexes  # noqa: F401  (indexes on others' tables)
from app.webhooks.models import WebhookDelivery, WebhookSubscription

__all__ = [
    "ApprovalDecision", "ApprovalPolicyVersion", "ApprovalRequest", "ApprovalStep", "AuditEntry",
    "AuditSealState", "CalendarDay", "Contract", "ContractLine", "Customer", "CustomerCredit",
    "Delegation", "Delivery", "DeliveryLine", "DeliveryReturn", "Department", "DocumentCounter",
    "DunningEntry", "Event", "EventSequencerState", "EventSubject", "IdempotencyRecord", "Lead",
    "Opportunity", "Order", "OrderLine", "Payment", "PaymentAllocation", "Product", "Quote",
    "QuoteLine", "Receivable", "ReceivableCredit", "ReceivableOpenBalance", "WebhookDelivery",
    "WebhookSubscription", "metadata",
]
