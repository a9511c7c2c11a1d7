"""Every table, imported in one place so Alembic and the tests see the whole metadata."""

from app import (
    list_indexes,  # noqa: F401  (indexes of the sorted lists, on others' tables)
    search_indexes,  # noqa: F401  (the text search's indexes, on others' tables)
)
from app.approvals.models import (
    ApprovalDecision,
    ApprovalPolicyVersion,
    ApprovalRequest,
    ApprovalStep,
    Delegation,
)
from app.audit.models import AuditEntry, AuditSealState
from app.budgets.models import Expense, ExpenseBudget, ExpenseBudgetItem, ExpenseOverride
from app.calendar.models import CalendarDay
from app.complaints.models import Complaint, ComplaintRemedy, ComplaintTracking
from app.contracts.models import Contract, ContractLine
from app.core.db import metadata
from app.core.directory import AppUser
from app.core.idempotency import IdempotencyRecord
from app.core.numbering import DocumentCounter
from app.credit.models import CustomerCredit
from app.customers.models import Customer
from app.deliveries.models import Delivery, DeliveryLine, DeliveryReturn
from app.departments.models import Department
from app.deviations import indexes as deviation_indexes  # noqa: F401  (on sales_order)
from app.deviations.models import DeviationAnalysis, DeviationMeasure, GrowthTarget
from app.events.models import Event, EventSequencerState, EventSubject
from app.leads import funnel_rollup  # noqa: F401  (keeps the funnel's daily rollup)
from app.leads.models import Lead, LeadFunnelDay, LeadFunnelMonth
from app.opportunities.models import Opportunity
from app.orders.models import Order, OrderLine, SalesMonthTotal
from app.plans import indexes as plan_indexes  # noqa: F401  (indexes on others' tables)
from app.plans.models import SalesPlan, SalesPlanLine, SalesTarget, SalesTargetMonth
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
from app.timeline import indexes as timeline_indexes  # noqa: F401  (indexes on others' tables)
from app.visits.models import CustomerVisit
from app.webhooks.models import WebhookDelivery, WebhookSubscription

__all__ = [
    "AppUser", "ApprovalDecision", "ApprovalPolicyVersion", "ApprovalRequest", "ApprovalStep", "AuditEntry",
    "AuditSealState", "CalendarDay", "Complaint", "ComplaintRemedy",
    "ComplaintTracking", "Contract", "ContractLine", "Customer", "CustomerCredit",
    "CustomerVisit",
    "Delegation", "Delivery", "DeliveryLine", "DeliveryReturn", "Department",
    "DeviationAnalysis", "DeviationMeasure", "DocumentCounter", "DunningEntry", "Event",
    "EventSequencerState", "EventSubject", "Expense", "ExpenseBudget", "ExpenseBudgetItem",
    "ExpenseOverride", "GrowthTarget", "IdempotencyRecord", "Lead", "LeadFunnelDay",
    "LeadFunnelMonth", "Opportunity", "Order", "OrderLine", "Payment", "PaymentAllocation",
    "Product", "Quote", "QuoteLine", "Receivable", "ReceivableCredit", "ReceivableOpenBalance",
    "SalesMonthTotal", "SalesPlan", "SalesPlanLine", "SalesTarget", "SalesTargetMonth",
    "WebhookDelivery", "WebhookSubscription", "metadata",
]
