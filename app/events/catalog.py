"""The published event catalog (SPEC §6): every event type, the shape of its `data`, and
the envelope that carries it to webhook receivers and feed readers.

This is a contract with other systems. `document_webhooks` publishes it in the OpenAPI 3.1
`webhooks` section, and tests/events/test_catalog.py holds it to what the services really
emit, so a payload cannot drift from its documentation unnoticed.

Versioning: `SCHEMA_VERSION` rises only on a breaking change to a payload (a field removed,
renamed or given another type or meaning). New fields and new event types do not raise it,
which is why every model here allows extra fields and receivers must ignore unknown ones.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from app.approvals.models import RequestStatus, StepStatus
from app.calendar.models import CalendarDayKind
from app.contracts.models import ContractStatus
from app.core.permissions import Role
from app.customers.models import CreditRating

SCHEMA_VERSION = 1

WEBHOOK_TAG = "webhooks"

# Events carry money and rates as the API does: decimal strings, never JSON numbers, so
# no receiver loses a cent to floating point.
MoneyString = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", examples=["1000.00"],
                                   description="Decimal string with two places")]
RateString = Annotated[str, Field(pattern=r"^\d+\.\d{4}$", examples=["0.1300"],
                                  description="Decimal string with four places; 0.13 = 13 %")]


class EventData(BaseModel):
    """Base of every payload. Fields may be added within a schema version: ignore the ones
    you do not know."""

    model_config = ConfigDict(extra="allow")


# ---- reference data ---------------------------------------------------------------------


class ContactData(EventData):
    name: str
    title: str | None
    phone: str | None
    email: str | None


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
    document_type: str = Field(examples=["contract", "contract_termination"])
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


# ---- contracts ----------------------------------------------------------------------------


class ContractData(EventData):
    """The contract's summary after the change."""

    id: int
    status: ContractStatus
    revision: int = Field(description="1 for the original, n+1 for an amendment of n")
    total: MoneyString = Field(description="Total including tax, in the contract currency")
    total_base: MoneyString = Field(description="`total` in CNY")
    version: int


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
    """The contract, with the termination's reason."""

    reason: str | None = Field(description="Requested / terminated: the reason for ending "
                                           "the contract; rejected: the approver's comment; "
                                           "recalled: null")


# ---- webhooks ------------------------------------------------------------------------------


class WebhookTestData(EventData):
    subscription_id: int
    message: str


class SubscriptionDisabledData(EventData):
    subscription_id: int
    url: str
    reason: str


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
    data: type[EventData]
    description: str
    message: type[EventMessage]  # the envelope with this type's `data`


def _message_model(event_type: str, entity: str, data: type[EventData],
                   description: str) -> type[EventMessage]:
    # "contract.termination_requested" -> ContractTerminationRequestedEvent
    name = "".join(part.capitalize() for part in re.split(r"[._]", event_type)) + "Event"
    return create_model(
        name, __base__=EventMessage, __doc__=description, __module__=__name__,
        type=(Literal[event_type], Field(description="The event type")),  # type: ignore[valid-type]
        subject=(str, Field(pattern=f"^{entity}:", examples=[f"{entity}:42"],
                            description=f"The {entity} the event is about: `{entity}:<id>`")),
        data=(data, ...),
    )


def _spec(event_type: str, entity: str, data: type[EventData], description: str) -> EventSpec:
    return EventSpec(event_type, entity, data, description,
                     _message_model(event_type, entity, data, description))


CATALOG: dict[str, EventSpec] = {spec.type: spec for spec in [
    _spec("customer.created", "customer", CustomerData,
          "A customer was registered (a sales rep, department head, GM or an integration)."),
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
    _spec("contract.created", "contract", ContractData, "A sales rep drafted a contract."),
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
    # A test message is its own subject (`webhook_test:<event id>`): it is not an outbox
    # event, so it never takes a place in a real subject's sequence.
    _spec("webhook.test", "webhook_test", WebhookTestData,
          "A test delivery, sent only to the subscription it tests when someone asks for "
          "it (`POST /webhooks/{id}/test`)."),
    _spec("webhook.subscription_disabled", "webhook_subscription", SubscriptionDisabledData,
          "A webhook subscription was disabled (e.g. its deliveries kept failing); `reason` "
          "says why."),
]}


def is_known(event_type: str) -> bool:
    return event_type in CATALOG


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


def _receiver(message: type[EventMessage]):  # type: ignore[no-untyped-def]
    async def receive(body: message) -> None:  # type: ignore[valid-type]
        """Never called: its signature tells FastAPI the body to document."""

    return receive
