"""The published event catalog (SPEC §6): every event type, the shape of its `data`, and
the envelope that carries it to webhook receivers and feed readers.

This is a contract with other systems. `document_webhooks` publishes it in the OpenAPI 3.1
`webhooks` section, and tests/webhooks/test_catalog.py holds it to what the services really
emit, so a payload cannot drift from its documentation unnoticed.

Versioning: `SCHEMA_VERSION` (app/events/types.py, beside the list of types) rises only on
a breaking change to a payload (a field removed, renamed or given another type or meaning).
New fields and new event types do not raise it, which is why every model here allows extra
fields and receivers must ignore unknown ones.
"""

import builtins
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from app.approvals.models import RequestStatus, StepStatus
from app.budgets.models import BudgetStatus, ExpenseCategory, OverrideStatus
from app.calendar.models import CalendarDayKind
from app.complaints.models import (
    ComplaintCategory,
    ComplaintSeverity,
    ComplaintStatus,
    RemedyKind,
)
from app.contracts.models import ContractStatus
from app.core.permissions import Role
from app.customers.models import CreditRating
from app.deliveries.models import DeliveryStatus
from app.deviations.models import AnalysisStatus
from app.events.types import SCHEMA_VERSION
from app.leads.models import LeadSource, LeadStatus
from app.opportunities.models import OpportunityGrade, OpportunityStage, ProposalStatus
from app.orders.models import OrderStatus
from app.plans.models import SalesPlanStatus
from app.quotes.models import QuoteStatus
from app.receivables.models import (
    CreditSource,
    DunningAction,
    PaymentMethod,
    ReceivableSource,
    ReceivableStatus,
)
from app.visits.models import VisitStatus

WEBHOOK_TAG = "webhooks"

# Events carry money and rates as the API does: decimal strings, never JSON numbers, so
# no receiver loses a cent to floating point.
MoneyString = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["1000.00"],
                                   description="Decimal string with two places")]
RateString = Annotated[str, Field(pattern=r"^\d+\.\d{4}$", examples=["0.1300"],
                                  description="Decimal string with four places; 0.13 = 13 %")]
PercentString = Annotated[str, Field(pattern=r"^\d{1,3}\.\d{2}$", examples=["5.00"],
                                     description="Percent as a decimal string with two "
                                                 "places; 5.00 = 5 %")]
ExchangeRateString = Annotated[str, Field(pattern=r"^\d+\.\d{6}$", examples=["7.100000"],
                                          description="Decimal string with six places: "
                                                      "base-currency (CNY) units per unit")]
QuantityString = Annotated[str, Field(pattern=r"^\d+\.\d{3}$", examples=["12.000"],
                                      description="Decimal string with three places")]
PriceString = Annotated[str, Field(pattern=r"^\d+\.\d{4}$", examples=["1000.0000"],
                                   description="Decimal string with four places")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["CNY"],
                                    description="ISO 4217 currency code")]


class EventData(BaseModel):
    """Base of every payload. Fields may be added within a schema version: ignore the ones
    you do not know."""

    model_config = ConfigDict(extra="allow")


# ---- reference data ---------------------------------------------------------------------


class ContactData(EventData):
    name: str
    title: str | None
    phone: str | None = Field(description="E.164, e.g. +8657188886666")
    phone_extension: str | None
    email: str | None = Field(description="Lower-cased")


class CustomerData(EventData):
    """The customer as `GET /customers/{id}` shows it (for a deletion: its last state)."""

    id: int
    name: str
    credit_code: str | None = Field(description="统一社会信用代码")
    contacts: list[ContactData]
    address: str | None
    owner_id: str = Field(description="The owning sales rep")
    department_id: str
    credit_rating: CreditRating
    credit_limit: MoneyString
    payment_terms_days: int
    is_key_customer: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerCreatedData(CustomerData):
    """The new customer, and the likely duplicates found when it was registered."""

    duplicate_ids: list[int] = Field(description="Other customers with the same name (without "
                                                 "its legal form), contact phone or e-mail, "
                                                 "newest first (at most 20); empty when none")


class DepartmentData(EventData):
    """The department as `GET /departments/{id}` shows it (for a deletion: its last state)."""

    id: str
    name: str
    head_id: str | None
    deputy_gm_id: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ProductData(EventData):
    """The product as `GET /products/{id}` shows it (for a deletion: its last state)."""

    id: int
    sku: str
    name: str
    unit: str
    product_line: str | None
    list_price: MoneyString
    floor_price: MoneyString
    tax_rate: RateString
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CalendarDayData(EventData):
    """The calendar entry as `GET /calendar/{day}` shows it (for a removal: its last state)."""

    day: date
    kind: CalendarDayKind
    name: str
    version: int
    created_at: datetime
    updated_at: datetime


# ---- approvals ----------------------------------------------------------------------------


class DelegationData(EventData):
    """The delegation as `GET /delegations` shows it."""

    id: int
    delegator_id: str
    delegate_id: str
    start_date: date
    end_date: date
    delegator_roles: list[str]
    delegator_dept: str | None
    delegator_depts: list[str]
    reason: str | None
    revoked_at: datetime | None
    created_at: datetime


class ApprovalPolicyData(EventData):
    """The policy version just saved, in full."""

    version: int
    policy: dict[str, Any] = Field(
        description="The policy document as `GET /approval-policy` returns it")


class ApprovalRequestData(EventData):
    """An approval request: what is decided, how far it got and how it ended."""

    id: int
    document_type: str = Field(examples=["contract", "contract_termination", "quote",
                                         "opportunity_proposal"])
    document_id: int
    document_version: int = Field(description="The document's version when submitted")
    status: RequestStatus
    amount: MoneyString = Field(description="The amount decided on, in CNY")
    department_id: str
    policy_version: int
    current_stage: int = Field(description="Index of the stage reached, from 0")
    outcome_reason: str | None = Field(description="The rejection comment, if rejected")


class _StepFields(EventData):
    step_id: int
    request_id: int
    stage: str = Field(description="Name of the step's stage", examples=["review"])
    role: Role = Field(description="The role that decides the step")
    department_id: str | None = Field(description="Where the role decides; null: company-wide")
    due_at: datetime | None = Field(description="The SLA deadline (working hours)")


class ApprovalStepData(_StepFields):
    """An approval step after a decision on it."""

    scope: str = Field(description="department, overseen (deputy GM) or company")
    status: StepStatus = Field(description="`approved` once `approvals` reaches `quorum`")
    approvals: int
    quorum: int = Field(description="Distinct approvals the step needs")


class PendingStepData(ApprovalStepData):
    """An approval step that now waits for a decision, with the document it is about."""

    document_type: str
    document_id: int
    title: str


class OverdueStepData(_StepFields):
    """A step past its deadline, and who it was escalated to."""

    escalated_to: Role | None = Field(description="The role now also asked to decide; null "
                                                  "when the step is the GM's (no one above)")
    document_type: str
    document_id: int
    title: str


# ---- leads --------------------------------------------------------------------------------


class LeadData(EventData):
    """The lead as `GET /leads/{id}` shows it (without the caller-specific fields)."""

    id: int
    source: LeadSource
    company: str
    contact_name: str | None
    phone: str | None = Field(description="E.164, e.g. +8613812345678")
    phone_extension: str | None
    email: str | None = Field(description="Lower-cased")
    needs: str | None
    possible_duplicate: bool = Field(
        description="When created, another lead had the same phone, e-mail or company")
    status: LeadStatus
    owner_id: str | None = Field(description="The owning sales rep; null: unassigned, in the "
                                             "department's pool")
    department_id: str
    disqualify_reason: str | None
    customer_id: int | None = Field(description="The customer it became; set once converted")
    contacted_at: datetime | None
    qualified_at: datetime | None
    converted_at: datetime | None
    disqualified_at: datetime | None
    created_by: str = Field(description="Who captured it: a user or the integration account")
    version: int
    created_at: datetime
    updated_at: datetime


class LeadCreatedData(LeadData):
    """The new lead, and the likely duplicates found when it was captured."""

    duplicate_ids: list[int] = Field(description="Other leads with the same phone, e-mail or "
                                                 "company, newest first (at most 20); empty "
                                                 "when none")


class LeadAssignedData(LeadData):
    """The lead with its new owner and department, and where it was before."""

    previous_owner_id: str | None = Field(description="null: it was in the pool")
    previous_department_id: str


class LeadConvertedData(LeadData):
    """The converted lead, and what it became."""

    opportunity_id: int = Field(description="The opportunity opened from it")
    customer_created: bool = Field(description="true: `customer_id` is a new customer made "
                                               "from the lead; false: one the owner had")


# ---- opportunities ------------------------------------------------------------------------


class OpportunityData(EventData):
    """The opportunity as `GET /opportunities/{id}` shows it (without the computed and
    caller-specific fields). Amounts are in CNY, including tax."""

    id: int
    customer_id: int
    lead_id: int | None = Field(description="The lead it was converted from, if any")
    department_id: str
    owner_id: str = Field(description="The owning sales rep (the customer's owner)")
    title: str
    grade: OpportunityGrade
    stage: OpportunityStage
    probability: int = Field(description="Percent, 0..100")
    expected_amount: MoneyString
    expected_close_date: date
    won_amount: MoneyString | None = Field(description="Set once won")
    lost_reason: str | None
    stage_changed_at: datetime
    closed_at: datetime | None = Field(description="When won or lost")
    proposal_summary: str | None = Field(description="The proposal (销售方案) last submitted")
    proposal_status: ProposalStatus | None = Field(description="null: no proposal submitted")
    proposal_rejection_reason: str | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class ProposalDecisionData(OpportunityData):
    """The opportunity after its proposal's approval request ended."""

    approval_request_id: int
    reason: str | None = Field(description="The rejection comment; null unless rejected")


# ---- quotes -------------------------------------------------------------------------------


class QuoteData(EventData):
    """The quote as `GET /quotes/{id}` shows it, without its lines (and the computed and
    caller-specific fields)."""

    id: int
    number: str = Field(description="The quote number (报价单号), kept by every revision",
                        examples=["BJ-2026-000001"])
    customer_id: int
    opportunity_id: int | None = Field(description="The opportunity it prices, if any")
    department_id: str
    owner_id: str = Field(description="The owning sales rep (the customer's owner)")
    title: str
    currency: CurrencyCode
    exchange_rate: ExchangeRateString
    subtotal: MoneyString = Field(description="Before tax, in `currency`")
    tax_total: MoneyString
    total: MoneyString = Field(description="Including tax, in `currency`")
    total_base: MoneyString = Field(description="`total` in CNY")
    max_discount_percent: PercentString = Field(
        description="The largest line discount against the list price: what the discount "
                    "approval bands compare")
    below_floor: bool = Field(description="A line is priced below its product's floor price "
                                          "(the GM approves)")
    valid_until: date = Field(description="The last valid day (company calendar)")
    notes: str | None
    status: QuoteStatus
    revision: int = Field(description="1 for the first version, n+1 for a revision of n")
    root_id: int = Field(description="The first version's id: the same for all revisions")
    predecessor_id: int | None = Field(description="The version this one revises")
    successor_id: int | None = Field(description="The revision that replaced this one")
    rejection_reason: str | None = Field(description="The last discount-approval rejection "
                                                     "comment")
    sent_at: datetime | None
    accepted_at: datetime | None
    declined_at: datetime | None
    decline_reason: str | None
    expired_at: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class QuoteDecisionData(QuoteData):
    """The quote after its discount approval request ended."""

    approval_request_id: int
    reason: str | None = Field(description="The rejection comment; null unless rejected")


class QuoteSupersededData(QuoteData):
    """The replaced version, now superseded."""

    successor_id: int = Field(description="The new revision (a draft) that replaces it")


class QuoteRevisedData(QuoteData):
    """The new revision: a draft copy of the previous version, with its lines."""

    predecessor_id: int = Field(description="The version it revises, now superseded")


# ---- contracts ----------------------------------------------------------------------------


class ContractData(EventData):
    """The contract's summary after the change."""

    id: int
    number: str = Field(description="The contract number (合同编号), kept by every amendment",
                        examples=["HT-2026-000123"])
    status: ContractStatus
    revision: int = Field(description="1 for the original, n+1 for an amendment of n")
    total: MoneyString = Field(description="Total including tax, in the contract currency")
    total_base: MoneyString = Field(description="`total` in CNY")
    version: int


class ContractCreatedData(ContractData):
    """The new draft contract."""

    quote_id: int | None = Field(description="The accepted quote it was drafted from; null "
                                             "when drafted directly")


class ContractDecisionData(ContractData):
    """The contract after its approval request ended."""

    approval_request_id: int
    reason: str | None = Field(description="The rejection comment; null unless rejected")


class ContractVoidedData(ContractData):
    """The replaced contract, now void."""

    successor_id: int = Field(description="The signed amendment that replaces it")


class ContractAmendedData(ContractData):
    """The signed contract being amended (unchanged), and the amendment started from it."""

    amendment_id: int = Field(description="The new draft contract")
    amendment_revision: int


class ContractTerminationData(ContractData):
    """The contract, with the termination's approval request and reason."""

    termination_request_id: int = Field(description="The approval request deciding the "
                                                    "termination")
    reason: str | None = Field(description="Requested / terminated: the reason for ending "
                                           "the contract; rejected: the approver's comment; "
                                           "recalled: null")


# ---- orders --------------------------------------------------------------------------------


class OrderData(EventData):
    """The order's summary after the change."""

    id: int
    number: str = Field(description="DD-2026-000001")
    status: OrderStatus
    customer_id: int
    contract_id: int | None = Field(description="The signed contract it calls off")
    quote_id: int | None = Field(description="The quote it was placed from (no contract)")
    department_id: str
    owner_id: str = Field(description="The owning sales rep")
    currency: CurrencyCode
    total: MoneyString = Field(description="Total including tax, in the order currency")
    total_base: MoneyString = Field(description="`total` in CNY: what credit control counts")
    requested_date: date | None
    credit_held: bool = Field(description="The last submission's credit check held it")
    version: int


class CreditCheckData(EventData):
    """Why a credit check held an order, or let it pass (SPEC §5), in CNY."""

    outcome: Literal["passed", "held"]
    reasons: list[Literal["over_limit", "rating_d"]] = Field(
        description="What held it (or would have, when `waived_by_prepayment`)")
    waived_by_prepayment: bool
    credit_rating: CreditRating
    credit_limit: MoneyString
    receivables_open: MoneyString
    orders_uninvoiced: MoneyString = Field(description="Confirmed orders not yet invoiced")
    orders_in_review: MoneyString = Field(description="Other orders awaiting their review")
    exposure: MoneyString = Field(description="The components' sum, before this order")
    order_amount: MoneyString
    exposure_after: MoneyString
    amount_over: MoneyString = Field(description="How far above the limit (0.00 within it)")
    prepayment_percent: PercentString
    releasable_by: list[Role] = Field(description="Roles whose approval releases the order")
    checked_at: datetime


class OrderCreditData(OrderData):
    """The order with its credit check, and the review deciding it."""

    approval_request_id: int
    credit_check: CreditCheckData


class OrderDecisionData(OrderData):
    """The order after its review ended."""

    approval_request_id: int
    reason: str | None = Field(description="The rejection comment; null unless rejected")


class OrderCancelledData(OrderData):
    """The cancelled order."""

    reason: str = Field(description="Why it was cancelled")
    approval_request_id: int | None = Field(description="The review withdrawn by the "
                                                        "cancellation; null when none ran")


class OrderClosedData(OrderData):
    """The closed order."""

    reason: str | None = Field(description="Why the rest will not be delivered; null when "
                                           "everything was")


class VisitData(EventData):
    """The visit's summary after the change."""

    id: int
    number: str = Field(description="BF-2026-000001")
    status: VisitStatus
    customer_id: int
    department_id: str
    owner_id: str = Field(description="The owning sales rep")
    purpose: str
    planned_at: datetime
    place: str
    key_customer: bool = Field(description="The customer was a key customer at the last "
                                           "submission (the deputy GM decides too)")
    version: int


class VisitDecisionData(VisitData):
    """The visit after its request ended."""

    approval_request_id: int
    reason: str | None = Field(description="The rejection comment; null unless rejected")


class VisitCancelledData(VisitData):
    """The cancelled visit."""

    reason: str = Field(description="Why it was called off")
    approval_request_id: int | None = Field(description="The request withdrawn by the "
                                                        "cancellation; null when none ran")


class VisitReportedData(VisitData):
    outcome: str = Field(description="What was discussed and agreed")
    next_steps: str | None
    reported_at: datetime


class PlannedLineData(EventData):
    line_no: int
    planned_delivery_date: date | None


class OrderScheduledData(OrderData):
    """The order with its lines' planned delivery dates."""

    lines: list[PlannedLineData]


# ---- order fulfilment and deliveries --------------------------------------------------------


class OrderLineFulfilmentData(EventData):
    id: int
    line_no: int
    product_id: int
    quantity: QuantityString = Field(description="Ordered")
    scheduled_quantity: QuantityString = Field(description="In deliveries not cancelled, net "
                                                           "of returns")
    shipped_quantity: QuantityString = Field(description="Shipped, net of returns")
    returned_quantity: QuantityString = Field(description="Returned in all")


class OrderFulfilmentData(EventData):
    """The order after a delivery moved it, with its lines' quantities."""

    id: int
    number: str = Field(description="DD-2026-000001")
    status: OrderStatus
    previous_status: OrderStatus
    customer_id: int
    contract_id: int | None = Field(description="The contract it calls off, if any")
    total: MoneyString = Field(description="Total including tax, in the order currency")
    total_base: MoneyString = Field(description="`total` in CNY")
    version: int
    delivery_id: int = Field(description="The delivery whose shipment or return moved it")
    lines: list[OrderLineFulfilmentData]


class DeliveryLineData(EventData):
    id: int
    line_no: int
    order_line_id: int
    product_id: int
    description: str
    quantity: QuantityString
    returned_quantity: QuantityString


class DeliveryData(EventData):
    """The delivery after the change, with its lines."""

    id: int
    number: str = Field(description="FH-2026-000001")
    order_id: int
    customer_id: int
    department_id: str
    owner_id: str = Field(description="The order's owning sales rep")
    status: DeliveryStatus
    planned_date: date | None
    ship_to: str | None
    version: int
    lines: list[DeliveryLineData]


class DeliveryCancelledData(DeliveryData):
    reason: str


class ShippedLineData(DeliveryLineData):
    unit_price: PriceString = Field(description="The order line's unit price before discount")
    discount_percent: PercentString
    tax_rate: RateString
    net_amount: MoneyString = Field(description="The shipped quantity's share of the order "
                                                "line before tax, in `currency`")
    tax_amount: MoneyString
    total_amount: MoneyString


class DeliveryShippedData(DeliveryData):
    """What finance and the ERP need to invoice the shipment. Line amounts are the shipped
    quantities' pro-rata shares of the order lines (rounded half-up to 0.01, so that the
    shipments of a fully shipped order add up to its total)."""

    lines: list[ShippedLineData]  # type: ignore[assignment]
    contract_id: int | None = Field(description="The contract the order calls off, if any")
    carrier: str
    tracking_number: str | None
    shipped_on: date
    currency: CurrencyCode
    exchange_rate: ExchangeRateString
    payment_terms_days: int = Field(description="The order's terms: days after the invoice")
    prepayment_percent: PercentString = Field(description="The share paid before delivery")
    subtotal: MoneyString = Field(description="Shipped value before tax, in `currency`")
    tax_total: MoneyString
    total: MoneyString = Field(description="Shipped value including tax, in `currency`")
    total_base: MoneyString = Field(description="`total` in CNY")


class DeliveryDeliveredData(DeliveryData):
    shipped_on: date
    received_by: str
    received_at: datetime


class ReturnedLineData(EventData):
    delivery_line_id: int
    order_line_id: int
    product_id: int
    quantity: QuantityString
    net_amount: MoneyString = Field(description="Value of the returned quantity before tax, "
                                                "in `currency` (what a credit note carries)")
    tax_amount: MoneyString
    total_amount: MoneyString


class DeliveryReturnedData(DeliveryData):
    """The delivery with its lines' returned quantities, and this return."""

    return_id: int
    reason: str
    returned_on: date
    currency: CurrencyCode
    exchange_rate: ExchangeRateString
    returned_lines: list[ReturnedLineData]
    return_total: MoneyString = Field(description="Value returned, including tax, in "
                                                  "`currency`")
    return_total_base: MoneyString = Field(description="`return_total` in CNY")
    receivable_id: int | None = Field(description="The delivery's receivable, if it has one")
    credited: MoneyString = Field(description="What of `return_total` the receivable is "
                                              "credited (`receivable.credited` follows): at "
                                              "most its balance")
    to_refund: MoneyString = Field(description="The rest of `return_total`, paid already or "
                                               "not invoiced on the delivery: owed back to "
                                               "the customer")


# ---- receivables --------------------------------------------------------------------------


class ReceivableData(EventData):
    """The receivable's summary after the change."""

    id: int
    number: str = Field(description="YS-2026-000001")
    source: ReceivableSource = Field(description="Issued for a delivery's shipped value, or "
                                                 "for a contract's payment milestone")
    status: ReceivableStatus
    customer_id: int
    contract_id: int | None
    order_id: int | None
    delivery_id: int | None
    milestone_index: int | None = Field(description="The milestone's position in the "
                                                    "contract's payment schedule, from 0")
    department_id: str
    owner_id: str = Field(description="The sales rep of the invoiced document")
    currency: CurrencyCode
    amount: MoneyString = Field(description="Invoiced, including tax, in `currency`")
    amount_base: MoneyString = Field(description="`amount` in CNY")
    balance: MoneyString = Field(description="Still owed, in `currency`")
    balance_base: MoneyString = Field(description="`balance` in CNY")
    invoice_date: date
    due_date: date = Field(description="The invoice date plus the payment terms")
    version: int


class ReceivableIssuedData(ReceivableData):
    milestone_kind: str | None = Field(description="prepayment, acceptance, retention, other")
    invoice_number: str | None
    exchange_rate: ExchangeRateString
    payment_terms_days: int


SuggestedActionName = Literal["reminder_letter", "visit", "legal"]


class ReceivableOverdueData(ReceivableData):
    days_overdue: int
    suggested_action: SuggestedActionName | None = Field(
        description="1-30 days: reminder_letter, 31-60: visit, over 60: legal")


class ReceivableDunningData(ReceivableOverdueData):
    dunning_entry_id: int
    action: DunningAction
    notes: str | None
    promised_on: date | None = Field(description="The payment date the customer promised")


class WriteOffRequestedData(ReceivableData):
    write_off_reason: str | None


class WriteOffDecisionData(WriteOffRequestedData):
    approval_request_id: int
    reason: str | None = Field(description="The rejection's reason (null otherwise)")


class CreditNoteData(EventData):
    id: int
    number: str = Field(description="HZ-2026-000001")
    receivable_id: int
    source: CreditSource = Field(description="What it answers: a delivery return, a "
                                             "complaint's refund, or finance's adjustment")
    source_id: int | None = Field(description="The delivery return or complaint (null for "
                                              "an adjustment)")
    currency: CurrencyCode
    amount: MoneyString = Field(description="Taken off the balance, in `currency`")
    amount_base: MoneyString = Field(description="`amount` in CNY")
    reason: str
    created_by: str
    created_at: datetime | None


class ReceivableCreditedData(ReceivableData):
    credit_note: CreditNoteData


# ---- expense budgets ----------------------------------------------------------------------


class ExpenseBudgetHeaderData(EventData):
    """The budget after the change."""

    id: int
    number: str = Field(description="FY-2026-000001")
    department_id: str
    year: int
    status: BudgetStatus
    total: MoneyString = Field(description="The items' amounts, CNY")
    version: int


class ExpenseBudgetItemData(EventData):
    category: ExpenseCategory
    amount: MoneyString = Field(description="The year's amount")
    spent: MoneyString = Field(description="Spent so far")


class ExpenseBudgetData(ExpenseBudgetHeaderData):
    remainder_month: int = Field(description="The month that takes the spread's leftover cents")
    seasonal_ratios: list[PercentString] = Field(description="Twelve percentages, January "
                                                             "first, adding up to 100")
    items: list[ExpenseBudgetItemData]


class ExpenseBudgetDecisionData(ExpenseBudgetHeaderData):
    approval_request_id: int
    reason: str | None = Field(description="The rejection's reason (null otherwise)")


class ExpenseRecordedData(EventData):
    budget_id: int
    budget_number: str
    department_id: str
    year: int
    category: ExpenseCategory
    spent_on: date
    amount: MoneyString
    description: str
    spent_by: str = Field(description="Who incurred it")
    override_id: int | None = Field(description="The GM override that allowed it beyond the "
                                                "item's remainder, if any")
    item_amount: MoneyString
    item_spent: MoneyString = Field(description="Spent of the item, this expense included")
    item_remainder: MoneyString = Field(description="What is left of the item for the year "
                                                    "(negative after an override)")


class ExpenseOverrideData(EventData):
    id: int
    budget_id: int
    department_id: str
    category: ExpenseCategory
    spent_on: date
    amount: MoneyString
    description: str
    spent_by: str
    justification: str = Field(description="Why the budget is not enough")
    remainder_at_request: MoneyString
    status: OverrideStatus
    version: int


class ExpenseOverrideDecisionData(ExpenseOverrideData):
    approval_request_id: int
    reason: str | None = Field(description="The rejection's reason (null otherwise)")


# ---- deviation control --------------------------------------------------------------------


class GrowthTargetData(EventData):
    department_id: str
    year: int
    growth_rate: RateString = Field(description="0.1000 = 10 % over last year")
    set_by: str
    version: int


class DeviationAnalysisData(EventData):
    """The analysis after the change, with the figures it was written on."""

    id: int
    number: str = Field(description="PC-2026-000001")
    department_id: str
    year: int
    month: int | None = Field(description="null: the whole year")
    actual: MoneyString
    baseline: MoneyString = Field(description="The same period last year")
    growth_rate: RateString
    standard: MoneyString = Field(description="baseline × (1 + growth_rate)")
    deviation: MoneyString = Field(description="actual − standard")
    status: AnalysisStatus
    version: int


class DeviationMeasureData(EventData):
    id: int
    position: int
    description: str
    owner_id: str
    due_date: date
    done_at: datetime | None


class DeviationAnalysisDetailData(DeviationAnalysisData):
    causes: str
    measures: list[DeviationMeasureData]


class DeviationAnalysisDecisionData(DeviationAnalysisData):
    approval_request_id: int
    reason: str | None = Field(description="The rejection's reason (null otherwise)")


class DeviationMeasureDoneData(DeviationAnalysisData):
    measure: DeviationMeasureData
    note: str | None


class PaymentAllocationData(EventData):
    receivable_id: int
    receivable_number: str
    amount: MoneyString = Field(description="What the payment settled of it, in `currency`")
    amount_base: MoneyString
    balance: MoneyString = Field(description="What it still owes after the payment")
    status: ReceivableStatus


class PaymentData(EventData):
    """Money received from a customer, and what it settled."""

    id: int
    number: str = Field(description="HK-2026-000001")
    customer_id: int
    department_id: str
    owner_id: str
    external_reference: str = Field(description="The payer's reference (bank serial number)")
    method: PaymentMethod
    currency: CurrencyCode
    amount: MoneyString
    amount_base: MoneyString = Field(description="`amount` in CNY")
    received_on: date
    allocations: list[PaymentAllocationData]


# ---- sales plans ----------------------------------------------------------------------------


class SalesPlanData(EventData):
    """The plan revision's summary after the change."""

    id: int
    number: str = Field(description="JH-2026-000001, the same for every revision")
    revision: int
    previous_id: int | None = Field(description="The revision this one changes")
    department_id: str
    period: str = Field(description="A year (`2026`) or a month (`2026-03`)")
    title: str
    target_amount: MoneyString = Field(description="CNY, including tax")
    status: SalesPlanStatus
    version: int


class SalesPlanDecisionData(SalesPlanData):
    """The plan after its approval request ended."""

    approval_request_id: int
    reason: str | None = Field(description="The rejection comment; null unless rejected")


class SalesPlanSupersededData(SalesPlanData):
    """The revision that was in force, after a later one was approved."""

    superseded_by_id: int = Field(description="The revision now in force")


class SalesTargetMonthData(EventData):
    month: int
    amount: MoneyString


class SalesTargetData(EventData):
    """A rep's target (业绩协议)."""

    id: int
    plan_id: int
    department_id: str
    owner_id: str = Field(description="The rep")
    amount: MoneyString
    months: list[SalesTargetMonthData] = Field(description="A yearly target's split by month; "
                                                           "empty when not split")
    acknowledged_at: datetime | None
    version: int


class SalesPlanAllocatedData(SalesPlanData):
    """The plan with every target it now has."""

    targets: list[SalesTargetData]


class SalesTargetAcknowledgedData(SalesTargetData):
    """The acknowledged target, with its plan's number and period."""

    plan_number: str
    period: str


# ---- complaints ------------------------------------------------------------------------------


class ComplaintSummaryData(EventData):
    """The complaint's summary after the change."""

    id: int
    number: str = Field(description="TS-2026-000001")
    status: ComplaintStatus
    customer_id: int
    department_id: str = Field(description="The customer's department")
    owner_id: str = Field(description="The customer's sales rep")
    order_id: int | None
    delivery_id: int | None
    category: ComplaintCategory
    severity: ComplaintSeverity
    responsible_department_id: str | None = Field(
        description="The department investigating it, once assigned")
    company_fault: bool | None = Field(description="The responsibility report's finding")
    satisfaction: int | None = Field(description="1-5, on close")
    version: int


class ComplaintData(ComplaintSummaryData):
    title: str
    received_at: datetime
    ack_due_at: datetime = Field(description="The acknowledgement deadline")


class ComplaintNegotiatingData(ComplaintData):
    reason: str = Field(description="Why the customer does not accept the explanation")


class ComplaintTrackingRecordData(EventData):
    id: int
    note: str
    completed: bool


class ComplaintTrackingData(ComplaintData):
    tracking: ComplaintTrackingRecordData


class ComplaintVerifiedData(ComplaintData):
    effective: bool = Field(description="false: back to implementing")


class ComplaintRemedyRecordData(EventData):
    id: int
    kind: RemedyKind
    description: str
    amount: MoneyString | None = Field(description="A refund's amount")
    receivable_id: int | None
    credit_id: int | None = Field(description="A refund's credit note")
    delivery_id: int | None
    delivery_return_id: int | None = Field(description="A return's delivery return")


class ComplaintRemedyData(ComplaintData):
    remedy: ComplaintRemedyRecordData


class ComplaintCapaData(ComplaintSummaryData):
    corrective_actions: str | None
    preventive_actions: str | None
    capa_due_date: date | None


class ComplaintCapaDecisionData(ComplaintCapaData):
    approval_request_id: int
    reason: str | None = Field(description="The rejection's reason (null otherwise)")


# ---- webhooks ------------------------------------------------------------------------------


class WebhookTestData(EventData):
    subscription_id: int
    message: str


class SubscriptionDisabledData(EventData):
    subscription_id: int
    url: str
    reason: str


class AuditChainBrokenData(EventData):
    """What a full check of the audit hash chain found."""

    first_invalid_seq: int = Field(description="Chain position of the first entry that fails")
    problem: str = Field(description="What failed there, e.g. the entry's content does not "
                                     "match its hash")
    head_seq: int = Field(description="The chain head when the check ran")
    entries_checked: int = Field(description="Entries found intact before the break")
    checked_by: str = Field(description="`worker` for the scheduled check, or "
                                        "`salesflow audit verify`")


# ---- the envelope -------------------------------------------------------------------------


class EventMessage(BaseModel):
    """One event as other systems receive it: the JSON body of a webhook delivery and an
    item of the event feed. Ignore fields you do not know."""

    id: str = Field(pattern=r"^evt_[0-9A-Za-z]+$",
                    examples=["evt_5f0c8e2a9b7d4c1e8f3a6b2d9c0e7f14"],
                    description="Unique per event and the same on every retry; equals the "
                                "`webhook-id` header. De-duplicate on it.")
    type: str = Field(examples=["contract.approved"], description="Selects the shape of `data`")
    timestamp: datetime = Field(description="When the change happened (not when this "
                                            "delivery was sent)")
    subject: str = Field(pattern=r"^[a-z_]+:.+$", examples=["contract:42"],
                         description="The record the event is about: `<entity>:<id>`")
    sequence: int = Field(ge=1, description="Order among the events of the same subject, from "
                                            "1: apply an event only if its sequence is above "
                                            "the last one you applied for that subject")
    schema_version: int = Field(ge=1, examples=[SCHEMA_VERSION], description=(
        f"Version of the payload schemas; this document describes version {SCHEMA_VERSION}. "
        "Raised only by a breaking change; added fields and event types do not raise it."))
    data: dict[str, Any] = Field(description="The payload; its shape depends on `type`")


@dataclass(frozen=True)
class EventSpec:
    type: str
    entity: str  # the subject is "<entity>:<id>"
    # builtins.type: inside this class body, `type` names the field above.
    data: builtins.type[EventData]
    description: str
    message: builtins.type[EventMessage]  # the envelope with this type's `data`


def _message_model(event_type: str, entity: str, data: type[EventData],
                   description: str) -> type[EventMessage]:
    # "contract.termination_requested" -> ContractTerminationRequestedEvent
    name = "".join(part.capitalize() for part in re.split(r"[._]", event_type)) + "Event"
    return create_model(
        name, __base__=EventMessage, __doc__=description, __module__=__name__,
        # A Literal of a runtime value: pydantic builds it, a type checker cannot.
        type=(Literal[event_type], Field(description="The event type")),  # type: ignore[arg-type]
        subject=(str, Field(pattern=f"^{entity}:", examples=[f"{entity}:42"],
                            description=f"The {entity} the event is about: `{entity}:<id>`")),
        data=(data, ...),
    )


def _spec(event_type: str, entity: str, data: type[EventData], description: str) -> EventSpec:
    return EventSpec(event_type, entity, data, description,
                     _message_model(event_type, entity, data, description))


SPECS: list[EventSpec] = [
    _spec("customer.created", "customer", CustomerCreatedData,
          "A customer was registered (a sales rep, department head, GM or an integration); "
          "likely duplicates are named, never refused."),
    _spec("customer.updated", "customer", CustomerData,
          "A customer's master data changed: contacts or owner (sales), or credit rating, "
          "limit and payment terms (finance)."),
    _spec("customer.deleted", "customer", CustomerData,
          "A customer was deleted (an admin); `data` is its last state."),
    _spec("department.created", "department", DepartmentData,
          "A department was created (an admin)."),
    _spec("department.updated", "department", DepartmentData,
          "A department was renamed, got another head or deputy GM, or was (de)activated "
          "(an admin)."),
    _spec("department.deleted", "department", DepartmentData,
          "A department was deleted (an admin); `data` is its last state."),
    _spec("product.created", "product", ProductData, "A product was created (an admin)."),
    _spec("product.updated", "product", ProductData,
          "A product's name, prices, tax rate or active flag changed (an admin)."),
    _spec("product.deleted", "product", ProductData,
          "A product was deleted (an admin); `data` is its last state."),
    _spec("calendar.day_set", "calendar_day", CalendarDayData,
          "A day was marked a holiday or a make-up working day, singly or by import (an "
          "admin); approval deadlines are counted on this calendar."),
    _spec("calendar.day_removed", "calendar_day", CalendarDayData,
          "A calendar entry was removed (an admin); the day follows the normal week again. "
          "`data` is its last state."),
    _spec("delegation.created", "delegation", DelegationData,
          "A user handed their approvals to another for a date range (the delegator, e.g. "
          "before leave)."),
    _spec("delegation.revoked", "delegation", DelegationData,
          "The delegator ended a delegation early."),
    _spec("approval_policy.updated", "approval_policy", ApprovalPolicyData,
          "An admin saved a new version of the approval policy; the subject's id is the "
          "new version."),
    _spec("approval.submitted", "approval_request", ApprovalRequestData,
          "A document was submitted and its approval request opened (the submitter, usually "
          "the sales rep)."),
    _spec("approval.step_pending", "approval_request", PendingStepData,
          "An approval step became active and waits for its role's decision (the system, "
          "when the request opens or the previous stage completes)."),
    _spec("approval.step_approved", "approval_request", ApprovalStepData,
          "An approver (finance, legal, a head, the GM, …) approved a step; `status` says "
          "whether the step's quorum is reached."),
    _spec("approval.step_overdue", "approval_request", OverdueStepData,
          "A step passed its deadline and was escalated one level up (the SLA sweeper)."),
    _spec("approval.completed", "approval_request", ApprovalRequestData,
          "An approval request ended: `status` approved (the last approver), rejected (any "
          "approver) or recalled (the submitter)."),
    _spec("lead.created", "lead", LeadCreatedData,
          "A lead was captured: by a sales rep or head (who owns it), or by an integration "
          "such as the web form (it waits unassigned in its department's pool). Likely "
          "duplicates are flagged, never refused."),
    _spec("lead.updated", "lead", LeadData,
          "An open lead's company, contact details, source or needs were edited (its sales "
          "rep)."),
    _spec("lead.contacted", "lead", LeadData,
          "The first contact with the prospect was made (the sales rep)."),
    _spec("lead.qualified", "lead", LeadData,
          "The sales rep qualified the lead; it may now be converted."),
    _spec("lead.disqualified", "lead", LeadData,
          "The sales rep closed the lead as not worth pursuing; `disqualify_reason` says "
          "why."),
    _spec("lead.assigned", "lead", LeadAssignedData,
          "A lead was given to a rep, moved to another department or returned to the pool "
          "(a department head, deputy GM, the GM or an admin)."),
    _spec("lead.converted", "lead", LeadConvertedData,
          "A qualified lead became a customer (new, or one its owner had) and an "
          "opportunity (the sales rep); `customer.created` and `opportunity.created` come "
          "with it."),
    _spec("opportunity.created", "opportunity", OpportunityData,
          "An opportunity was opened with a customer: by a sales rep, or by converting a "
          "lead (`lead_id` set)."),
    _spec("opportunity.updated", "opportunity", OpportunityData,
          "An open opportunity's title, grade, expected amount, close date or probability "
          "was edited (the sales rep)."),
    _spec("opportunity.stage_changed", "opportunity", OpportunityData,
          "The sales rep moved an opportunity to the next stage or back to an earlier one; "
          "`probability` follows the stage."),
    _spec("opportunity.proposal_submitted", "opportunity", OpportunityData,
          "The sales rep submitted the proposal (销售方案) for review; high and medium grade "
          "opportunities need it approved before negotiation."),
    _spec("opportunity.proposal_approved", "opportunity", ProposalDecisionData,
          "The proposal's approval ended approved (usually the department head); the "
          "opportunity may enter negotiation."),
    _spec("opportunity.proposal_rejected", "opportunity", ProposalDecisionData,
          "An approver rejected the proposal; `reason` says why, and it may be submitted "
          "again."),
    _spec("opportunity.proposal_recalled", "opportunity", ProposalDecisionData,
          "The submitter took the proposal back from review."),
    _spec("opportunity.won", "opportunity", OpportunityData,
          "The sales rep closed the opportunity as won, with `won_amount`."),
    _spec("opportunity.lost", "opportunity", OpportunityData,
          "The sales rep closed the opportunity as lost; `lost_reason` says why."),
    _spec("quote.created", "quote", QuoteData, "A sales rep drafted a quote (revision 1)."),
    _spec("quote.updated", "quote", QuoteData,
          "A draft quote was edited (the sales rep): lines, currency, validity or notes."),
    _spec("quote.submitted", "quote", QuoteData,
          "A draft quote was submitted for discount approval (the sales rep); within the "
          "rep's own authority `quote.approved` follows at once."),
    _spec("quote.approved", "quote", QuoteDecisionData,
          "A quote's discount approval ended approved: at once within the rep's authority, "
          "else by the band's approver (head, deputy GM or GM). It may now be sent."),
    _spec("quote.rejected", "quote", QuoteDecisionData,
          "An approver rejected a quote's discount; it is a draft again, `reason` says why."),
    _spec("quote.recalled", "quote", QuoteDecisionData,
          "The submitter took a quote back from approval; it is a draft again."),
    _spec("quote.sent", "quote", QuoteData,
          "An approved quote was sent to the customer (recorded by the sales rep)."),
    _spec("quote.accepted", "quote", QuoteData,
          "The customer accepted the quote within its validity (recorded by the sales rep); "
          "a contract may be drafted from it."),
    _spec("quote.declined", "quote", QuoteData,
          "The customer declined the quote (recorded by the sales rep); `decline_reason` "
          "says why."),
    _spec("quote.expired", "quote", QuoteData,
          "An approved or sent quote passed its `valid_until` day unanswered (the expiry "
          "sweep)."),
    _spec("quote.superseded", "quote", QuoteSupersededData,
          "The quote was revised (the sales rep): this version can no longer be sent or "
          "accepted, `successor_id` replaces it."),
    _spec("quote.revised", "quote", QuoteRevisedData,
          "A new revision (n+1, a draft) was made from the quote `predecessor_id` (the sales "
          "rep); it goes through approval again. The subject is the new revision."),
    _spec("contract.created", "contract", ContractCreatedData,
          "A sales rep drafted a contract, directly or from an accepted quote."),
    _spec("contract.updated", "contract", ContractData, "A draft contract was edited."),
    _spec("contract.submitted", "contract", ContractData,
          "A draft contract was submitted for approval (the sales rep)."),
    _spec("contract.approved", "contract", ContractDecisionData,
          "A contract's approval ended approved (its last approver); it may now be signed."),
    _spec("contract.rejected", "contract", ContractDecisionData,
          "An approver rejected a contract; it is a draft again, `reason` says why."),
    _spec("contract.recalled", "contract", ContractDecisionData,
          "The submitter took a contract back from approval; it is a draft again."),
    _spec("contract.signed", "contract", ContractData,
          "Both parties signed an approved contract (recorded by the sales rep); it is in force."),
    _spec("contract.amended", "contract", ContractAmendedData,
          "An amendment (revision n+1, a draft) was started from this signed contract, which "
          "stays in force until the amendment is signed."),
    _spec("contract.voided", "contract", ContractVoidedData,
          "A signed contract was replaced: its amendment was signed."),
    _spec("contract.termination_requested", "contract", ContractTerminationData,
          "Ending a signed contract was requested (the sales rep); it stays in force until "
          "the termination is approved."),
    _spec("contract.terminated", "contract", ContractTerminationData,
          "A termination was approved (its last approver); the contract has ended."),
    _spec("contract.termination_rejected", "contract", ContractTerminationData,
          "An approver rejected a termination; the contract stays in force."),
    _spec("contract.termination_recalled", "contract", ContractTerminationData,
          "The requester withdrew a termination; the contract stays in force."),
    _spec("order.created", "order", OrderData,
          "A sales rep placed a draft order: a call-off of a signed contract, or from a quote "
          "the policy allows."),
    _spec("order.updated", "order", OrderData, "A draft order was edited (the sales rep)."),
    _spec("order.submitted", "order", OrderData,
          "A draft order was submitted for review, finance ∥ logistics (the sales rep); "
          "`status` is `credit_hold` when the credit check held it (`order.credit_hold` "
          "follows)."),
    _spec("order.credit_hold", "order", OrderCreditData,
          "The credit check at submission held the order (exposure above the limit, or the "
          "customer rated D): the GM's release is added to its review. `credit_check` "
          "explains it."),
    _spec("order.released", "order", OrderCreditData,
          "A held order's review was approved, the credit release included: it is released "
          "(`order.confirmed` follows)."),
    _spec("order.confirmed", "order", OrderDecisionData,
          "An order's review ended approved (its last approver): it is confirmed, with "
          "planned delivery dates, and counts in the customer's exposure until invoiced."),
    _spec("order.rejected", "order", OrderDecisionData,
          "An approver rejected an order; it is a draft again, `reason` says why."),
    _spec("order.recalled", "order", OrderDecisionData,
          "The submitter took an order back from review; it is a draft again."),
    _spec("order.scheduled", "order", OrderScheduledData,
          "Logistics planned the delivery dates of an order in review or confirmed."),
    _spec("order.cancelled", "order", OrderCancelledData,
          "An order was cancelled (the sales rep or their manager): a draft, one in review "
          "(its review withdrawn), or a confirmed one with nothing scheduled for delivery."),
    _spec("order.closed", "order", OrderClosedData,
          "A delivered or partly delivered order was closed (a head, deputy GM, the GM or "
          "logistics): nothing more will be delivered."),
    _spec("order.partially_delivered", "order", OrderFulfilmentData,
          "An order's first goods shipped (logistics or the ERP), or a return brought a "
          "delivered order's goods back: part of it is still to deliver."),
    _spec("order.delivered", "order", OrderFulfilmentData,
          "The last of an order's quantity shipped (net of returns): nothing is left to "
          "deliver or invoice. Receipts by the customer are each delivery's own."),
    _spec("delivery.planned", "delivery", DeliveryData,
          "A delivery of a confirmed order was planned (logistics or the sales rep); its "
          "quantities are taken from what the order has still to deliver."),
    _spec("delivery.updated", "delivery", DeliveryData,
          "A planned delivery was rescheduled or given another ship-to address."),
    _spec("delivery.cancelled", "delivery", DeliveryCancelledData,
          "A planned delivery was cancelled; its quantities are undelivered again."),
    _spec("delivery.shipped", "delivery", DeliveryShippedData,
          "Goods left (recorded by logistics or the ERP/WMS): finance invoices on it. "
          "Carries the order's terms and each line's quantity, price and shipped value."),
    _spec("delivery.delivered", "delivery", DeliveryDeliveredData,
          "The customer received a shipped delivery (recorded by logistics or the ERP)."),
    _spec("delivery.returned", "delivery", DeliveryReturnedData,
          "Goods of a shipped delivery came back (退货); the quantities are undelivered on "
          "the order again, and `return_total` is what a credit note carries."),
    _spec("receivable.issued", "receivable", ReceivableIssuedData,
          "A receivable was issued: for a shipment's value (the share the contract bills on "
          "delivery), in the shipment's transaction, or for a contract's payment milestone "
          "(finance)."),
    _spec("receivable.overdue", "receivable", ReceivableOverdueData,
          "A receivable still owed passed its due date (announced once, by the overdue "
          "sweep), with the collection step suggested."),
    _spec("receivable.dunning_recorded", "receivable", ReceivableDunningData,
          "A collection action (催款) was logged on a receivable: reminder letter, visit or "
          "legal action."),
    _spec("receivable.write_off_requested", "receivable", WriteOffRequestedData,
          "Finance asked to write a receivable off; it is pending while finance and the GM "
          "decide."),
    _spec("receivable.written_off", "receivable", WriteOffDecisionData,
          "A write-off was approved: the balance is no longer owed."),
    _spec("receivable.write_off_rejected", "receivable", WriteOffDecisionData,
          "An approver rejected a write-off: the receivable is owed again."),
    _spec("receivable.write_off_recalled", "receivable", WriteOffDecisionData,
          "The requester withdrew a write-off: the receivable is owed again."),
    _spec("receivable.credited", "receivable", ReceivableCreditedData,
          "A credit note (红字冲销) lowered a receivable's balance: goods came back, a "
          "complaint's refund was agreed, or finance corrected the invoice. Never below "
          "zero; the balance after it is the receivable's."),
    _spec("payment.received", "payment", PaymentData,
          "Money was received (finance, or the bank/ERP feed) and settled the receivables in "
          "`allocations`. A payer's reference sent again is the same payment: no second "
          "event."),
    _spec("expense_budget.created", "expense_budget", ExpenseBudgetData,
          "A department head or finance drafted a department's expense budget for a year."),
    _spec("expense_budget.updated", "expense_budget", ExpenseBudgetData,
          "A draft budget was edited: ratios, remainder month or items."),
    _spec("expense_budget.submitted", "expense_budget", ExpenseBudgetHeaderData,
          "A draft budget was submitted for approval (finance, then the GM)."),
    _spec("expense_budget.approved", "expense_budget", ExpenseBudgetDecisionData,
          "A budget's approval ended approved: it is in force, expenses are recorded "
          "against it."),
    _spec("expense_budget.rejected", "expense_budget", ExpenseBudgetDecisionData,
          "An approver rejected a budget; it is a draft again, `reason` says why."),
    _spec("expense_budget.recalled", "expense_budget", ExpenseBudgetDecisionData,
          "The submitter took a budget back from approval; it is a draft again."),
    _spec("expense_budget.expense_recorded", "expense_budget", ExpenseRecordedData,
          "An expense was recorded against a budget item: within its remainder, or beyond "
          "it by an approved GM override (`override_id`)."),
    _spec("expense_override.requested", "expense_override", ExpenseOverrideData,
          "Spending beyond a budget item's remainder was asked for; the GM decides."),
    _spec("expense_override.approved", "expense_override", ExpenseOverrideDecisionData,
          "The GM allowed the expense beyond the budget: it is booked "
          "(`expense_budget.expense_recorded` follows in the same transaction)."),
    _spec("expense_override.rejected", "expense_override", ExpenseOverrideDecisionData,
          "The GM refused the expense beyond the budget; `reason` says why."),
    _spec("expense_override.recalled", "expense_override", ExpenseOverrideDecisionData,
          "The requester withdrew the override."),
    _spec("deviation_target.set", "growth_target", GrowthTargetData,
          "The GM or a deputy GM set a department's planned growth rate for a year."),
    _spec("deviation_analysis.created", "deviation_analysis", DeviationAnalysisDetailData,
          "A deviation analysis (causes, measures) was drafted for a department below its "
          "minimum standard in a period."),
    _spec("deviation_analysis.updated", "deviation_analysis", DeviationAnalysisDetailData,
          "A draft analysis's causes or measures were edited."),
    _spec("deviation_analysis.submitted", "deviation_analysis", DeviationAnalysisData,
          "A draft analysis went to the GM."),
    _spec("deviation_analysis.approved", "deviation_analysis", DeviationAnalysisDecisionData,
          "The GM approved the analysis: its measures are tracked until done."),
    _spec("deviation_analysis.rejected", "deviation_analysis", DeviationAnalysisDecisionData,
          "The GM rejected the analysis; it is a draft again, `reason` says why."),
    _spec("deviation_analysis.recalled", "deviation_analysis", DeviationAnalysisDecisionData,
          "The submitter took the analysis back; it is a draft again."),
    _spec("deviation_analysis.measure_done", "deviation_analysis", DeviationMeasureDoneData,
          "A measure of an approved analysis was done."),
    _spec("deviation_analysis.completed", "deviation_analysis", DeviationAnalysisData,
          "The last measure of an analysis was done."),
    _spec("complaint.received", "complaint", ComplaintData,
          "A complaint was registered (customer service, a rep, the ERP); `ack_due_at` is "
          "its acknowledgement deadline."),
    _spec("complaint.ack_overdue", "complaint", ComplaintData,
          "A complaint was not acknowledged (assigned) by its deadline; announced once."),
    _spec("complaint.assigned", "complaint", ComplaintData,
          "A complaint was given to the department responsible for investigating it (the "
          "first assignment acknowledges it)."),
    _spec("complaint.determined", "complaint", ComplaintData,
          "The responsible department reported whether the company is at fault; quality "
          "reviews it next."),
    _spec("complaint.reviewed", "complaint", ComplaintData,
          "Quality reviewed the responsibility report: `status` says the outcome "
          "(explained, corrective_action, or investigating again)."),
    _spec("complaint.negotiating", "complaint", ComplaintNegotiatingData,
          "The customer did not accept the explanation: a settlement is negotiated."),
    _spec("complaint.capa_submitted", "complaint", ComplaintCapaData,
          "The corrective and preventive action plan was sent into approval."),
    _spec("complaint.capa_approved", "complaint", ComplaintCapaDecisionData,
          "The plan was approved: the actions are being implemented."),
    _spec("complaint.capa_rejected", "complaint", ComplaintCapaDecisionData,
          "The plan was rejected (`reason`): it is revised and sent again."),
    _spec("complaint.capa_recalled", "complaint", ComplaintCapaDecisionData,
          "The submitter took the plan back from approval."),
    _spec("complaint.tracking_recorded", "complaint", ComplaintTrackingData,
          "Progress of the corrective actions was recorded; a completed record sends the "
          "complaint to verification."),
    _spec("complaint.verified", "complaint", ComplaintVerifiedData,
          "Quality reported on the actions' effect: effective (feedback is next) or not "
          "(back to implementing)."),
    _spec("complaint.feedback_given", "complaint", ComplaintData,
          "The outcome was fed back to the customer."),
    _spec("complaint.remedy_recorded", "complaint", ComplaintRemedyData,
          "A remedy was recorded: a repair, a replacement, a return (with its delivery "
          "return) or a refund (with its credit note)."),
    _spec("complaint.closed", "complaint", ComplaintData,
          "A complaint was closed, with the customer's satisfaction (1-5)."),
    _spec("visit.created", "visit", VisitData,
          "A sales rep drafted a customer visit (客户拜访): customer, purpose, time, place."),
    _spec("visit.updated", "visit", VisitData,
          "A draft or rejected visit request was edited (the sales rep)."),
    _spec("visit.submitted", "visit", VisitData,
          "A visit request went to the department head (and the deputy GM for a key "
          "customer), who decide within 24 working hours."),
    _spec("visit.approved", "visit", VisitDecisionData,
          "A visit request was approved (its last approver): the visit may take place."),
    _spec("visit.rejected", "visit", VisitDecisionData,
          "An approver rejected a visit request; `reason` says why, and it may be edited and "
          "submitted again."),
    _spec("visit.recalled", "visit", VisitDecisionData,
          "The submitter took a visit request back from review; it is a draft again."),
    _spec("visit.cancelled", "visit", VisitCancelledData,
          "A visit was called off (the sales rep or their manager) before it was reported: "
          "a draft, a rejected request, one in review (its request withdrawn) or an "
          "approved visit."),
    _spec("visit.reported", "visit", VisitReportedData,
          "The sales rep filed the report of a visit that took place: outcome, next steps."),
    _spec("contract.completed", "contract", ContractData,
          "A signed contract was fully delivered and paid: it is completed."),
    _spec("sales_plan.created", "sales_plan", SalesPlanData,
          "A department's sales plan for a year or month was drafted (its head, deputy GM or "
          "the GM)."),
    _spec("sales_plan.updated", "sales_plan", SalesPlanData, "A draft plan was edited."),
    _spec("sales_plan.cancelled", "sales_plan", SalesPlanData,
          "A draft plan (or a draft revision) was given up; it never came into force."),
    _spec("sales_plan.revised", "sales_plan", SalesPlanData,
          "Revision n+1 of the plan in force was drafted, a copy with its targets; the plan "
          "in force stays so until the revision is approved."),
    _spec("sales_plan.submitted", "sales_plan", SalesPlanData,
          "A draft plan was submitted for approval (deputy GM → GM)."),
    _spec("sales_plan.approved", "sales_plan", SalesPlanDecisionData,
          "A plan's approval ended approved: it is in force for its department and period "
          "(`sales_plan.superseded` follows for the revision it replaces)."),
    _spec("sales_plan.rejected", "sales_plan", SalesPlanDecisionData,
          "An approver rejected a plan; it is a draft again, `reason` says why."),
    _spec("sales_plan.recalled", "sales_plan", SalesPlanDecisionData,
          "The submitter took a plan back from approval; it is a draft again."),
    _spec("sales_plan.superseded", "sales_plan", SalesPlanSupersededData,
          "A later revision of the plan was approved: this one is no longer in force and is "
          "kept as history."),
    _spec("sales_plan.allocated", "sales_plan", SalesPlanAllocatedData,
          "The plan was decomposed into the reps' targets, which add up to it; `targets` is "
          "all of them now."),
    _spec("sales_target.acknowledged", "sales_target", SalesTargetAcknowledgedData,
          "A rep acknowledged their target (业绩协议) of the plan in force."),
    # A test message is its own subject (`webhook_test:<event id>`): it is not an outbox
    # event, so it never takes a place in a real subject's sequence.
    _spec("webhook.test", "webhook_test", WebhookTestData,
          "A test delivery, sent only to the subscription it tests when someone asks for "
          "it (`POST /webhooks/{id}/test`)."),
    _spec("webhook.subscription_disabled", "webhook_subscription", SubscriptionDisabledData,
          "A webhook subscription was disabled (e.g. its deliveries kept failing); `reason` "
          "says why."),
    # Its subject is the chain position of the break: another break is another subject.
    _spec("audit.chain_broken", "audit_chain", AuditChainBrokenData,
          "A full check of the audit log's hash chain found an entry altered or removed; "
          "announced once per break found."),
]

CATALOG: dict[str, EventSpec] = {spec.type: spec for spec in SPECS}


DELIVERY = f"""
**Subject**: `{{entity}}:<id>` · **Schema version**: {SCHEMA_VERSION}

Delivered per [Standard Webhooks](https://www.standardwebhooks.com/) as a `POST` of this
JSON body with the headers

* `webhook-id`: the body's `id`, the same on every retry;
* `webhook-timestamp`: Unix seconds when this attempt was sent (reject old ones);
* `webhook-signature`: `v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>`
  under the subscription's secret; during a secret rotation several space-separated
  signatures may come, accept any that verifies.

Answer with any 2xx within the delivery timeout (10 seconds by default), before lengthy
processing; anything else is a failed attempt, retried with backoff. Delivery is
at least once: de-duplicate on `id`, and order by `sequence` within a `subject`.
"""


def document_webhooks(app: FastAPI) -> None:
    """Publish the catalog in the OpenAPI `webhooks` section (documentation only: the
    receivers are the subscribers' endpoints)."""
    for spec in CATALOG.values():
        app.webhooks.add_api_route(
            spec.type, _receiver(spec.message), methods=["POST"],
            operation_id=f"webhook_{spec.type.replace('.', '_')}", summary=spec.type,
            description=spec.description + "\n" + DELIVERY.replace("{entity}", spec.entity),
            tags=[WEBHOOK_TAG], response_class=Response,
            response_description="Received: any 2xx acknowledges the delivery",
            responses={"default": {"description": "Any other answer, or none within the "
                                                  "timeout: the delivery is retried"}},
        )


def _receiver(message: type[EventMessage]) -> Callable[..., Awaitable[None]]:
    async def receive(body: message) -> None:  # type: ignore[valid-type]
        """Never called: its signature tells FastAPI the body to document."""

    return receive
