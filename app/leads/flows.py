"""Converting a lead (SPEC §3): customer, opportunity and the lead's own change in one
unit of work, so a failure at any point leaves nothing behind."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import commit
from app.core.security import Principal
from app.core.versioning import apply_changes
from app.customers import service as customers
from app.customers.errors import CustomerNotFound
from app.customers.models import Customer
from app.customers.schemas import Contact, CustomerCreate
from app.events.changes import record_change
from app.leads import service as leads
from app.leads.errors import CustomerOwnedByAnother, LeadUnassigned, UnknownCustomer
from app.leads.models import Lead, LeadStatus
from app.leads.schemas import LeadConvert
from app.leads.states import ensure_transition
from app.opportunities import service as opportunities
from app.opportunities.models import Opportunity
from app.opportunities.schemas import OpportunityFields


async def convert(session: AsyncSession, principal: Principal, *, lead_id: int,
                  data: LeadConvert, expected_version: int | None,
                  now: datetime) -> tuple[Lead, Opportunity]:
    """A qualified lead becomes a customer of its owner (new, or one they already have) and
    an opportunity. The lead row is locked first: of two conversions at once, the second
    finds the lead converted."""
    lead = await leads.get_workable(session, principal, lead_id, expected_version)
    ensure_transition(lead.status, LeadStatus.converted)
    if lead.owner_id is None:
        raise LeadUnassigned()
    created = data.customer_id is None
    customer = (await _new_customer(session, principal, lead, data) if data.customer_id is None
                else await _owners_customer(session, principal, lead, data.customer_id))
    wanted = data.opportunity
    opportunity = await opportunities.add(
        session, principal, customer=customer, lead_id=lead.id,
        data=OpportunityFields(title=wanted.title or lead.company, grade=wanted.grade,
                               expected_amount=wanted.expected_amount,
                               expected_close_date=wanted.expected_close_date))
    before = leads.summary(lead)
    apply_changes(lead, {"status": LeadStatus.converted, "converted_at": now,
                         "customer_id": customer.id})
    assert lead.id is not None
    record_change(session, principal, event_type="lead.converted", entity_type=leads.ENTITY,
                  entity_id=lead.id, before=before, after=leads.summary(lead),
                  event_data={**leads.summary(lead), "opportunity_id": opportunity.id,
                              "customer_created": created})
    await commit(session)
    return lead, opportunity


async def _new_customer(session: AsyncSession, principal: Principal, lead: Lead,
                        data: LeadConvert) -> Customer:
    wanted = data.customer
    phone = (f"{lead.phone} 转 {lead.phone_extension}" if lead.phone_extension else lead.phone)
    customer, _duplicates = await customers.add(session, principal, data=CustomerCreate(
        name=(wanted.name if wanted and wanted.name else lead.company),
        credit_code=wanted.credit_code if wanted else None,
        address=wanted.address if wanted else None,
        is_key_customer=wanted.is_key_customer if wanted else False,
        contacts=[Contact(name=lead.contact_name or lead.company, phone=phone,
                          email=lead.email)],
        owner_id=lead.owner_id, department_id=lead.department_id))
    return customer


async def _owners_customer(session: AsyncSession, principal: Principal, lead: Lead,
                           customer_id: int) -> Customer:
    """An existing customer the caller can see, owned by the lead's owner: ownership of a
    customer is exclusive (客户归属), so another rep's customer is not a target."""
    try:
        # Locked for the opportunity, which stores its name (customers.CustomerLock).
        customer = await customers.get_visible(session, principal, customer_id, lock="share")
    except CustomerNotFound as exc:
        raise UnknownCustomer(f"No customer {customer_id} visible to you.") from exc
    if customer.owner_id != lead.owner_id:
        raise CustomerOwnedByAnother(
            f"Customer {customer_id} belongs to {customer.owner_id}; the lead to "
            f"{lead.owner_id}.", customer_owner_id=customer.owner_id)
    return customer
