from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from app.core.directory import CustomerName, PeopleNames
from app.core.ids import Id
from app.core.normalise import PhoneIn
from app.core.pagination import Page
from app.core.schemas import Name, ReadModel, UpdateModel, UserId, WriteModel
from app.customers.schemas import CreditCode
from app.leads.models import LeadSource, LeadStatus
from app.opportunities.models import OpportunityGrade
from app.opportunities.schemas import OpportunityFields, Title

ContactName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Needs = Annotated[str, StringConstraints(max_length=4000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
DepartmentRef = Annotated[str, StringConstraints(min_length=1, max_length=32)]
MatchedOn = Literal["phone", "email", "company"]


class LeadCreate(WriteModel):
    source: LeadSource
    company: Name
    contact_name: ContactName | None = None
    phone: PhoneIn | None = None
    email: EmailStr | None = None
    needs: Needs | None = Field(default=None, description="What the prospect is looking for")
    owner_id: UserId | None = Field(
        default=None, description="Owning rep; reps and heads default to themselves, others "
                                  "leave it empty to put the lead in the department's pool")
    department_id: DepartmentRef | None = Field(
        default=None, description="Defaults to the caller's department")


class LeadUpdate(UpdateModel):
    clearable = frozenset({"contact_name", "phone", "email", "needs"})

    source: LeadSource | None = None
    company: Name | None = None
    contact_name: ContactName | None = None
    phone: PhoneIn | None = None
    email: EmailStr | None = None
    needs: Needs | None = None


class DisqualifyBody(WriteModel):
    reason: Reason


class AssignBody(WriteModel):
    owner_id: UserId | None = Field(description="The new owner; null returns the lead to the "
                                                "department's pool")
    department_id: DepartmentRef | None = Field(
        default=None, description="Move it to another department; defaults to its own")


class NewCustomer(WriteModel):
    """The customer a lead becomes; name and contact default to the lead's."""

    name: Name | None = Field(default=None, description="Defaults to the lead's company")
    credit_code: CreditCode | None = None
    address: Annotated[str, StringConstraints(max_length=500)] | None = None
    is_key_customer: bool = False


class OpportunityFromLead(OpportunityFields):
    title: Title | None = Field(default=None, description="Defaults to the lead's company")  # type: ignore[assignment]
    grade: OpportunityGrade


class LeadConvert(WriteModel):
    """Convert a qualified lead: into a new customer (`customer`, optional overrides) or an
    existing one of the lead's owner (`customer_id`), and an opportunity."""

    customer_id: Id | None = Field(default=None, description="Link this customer")
    customer: NewCustomer | None = None
    opportunity: OpportunityFromLead

    @model_validator(mode="after")
    def _one_customer(self) -> "LeadConvert":
        if self.customer_id is not None and self.customer is not None:
            raise ValueError("give customer_id (link) or customer (create), not both")
        return self


class LeadSnapshot(ReadModel):
    """A lead as stored: the before/after of its audit rows."""

    id: int
    source: LeadSource
    company: str
    contact_name: str | None
    phone: str | None = Field(description="E.164")
    phone_extension: str | None
    email: str | None
    needs: str | None
    possible_duplicate: bool = Field(
        description="When created, another lead had the same phone, e-mail or company")
    status: LeadStatus
    owner_id: str | None = Field(description="null: unassigned, in the department's pool")
    department_id: str
    disqualify_reason: str | None
    customer_id: int | None
    contacted_at: datetime | None
    qualified_at: datetime | None
    converted_at: datetime | None
    disqualified_at: datetime | None
    created_by: str
    version: int
    created_at: datetime
    updated_at: datetime


class LeadRead(LeadSnapshot, PeopleNames, CustomerName):
    opportunity_id: int | None = Field(default=None, description="Set once converted")
    allowed_actions: list[str] = Field(default_factory=list,
                                       description="What the caller may do to it now")


class LeadDuplicate(BaseModel):
    """Another lead that looks like the same prospect. Only what lets the caller decide:
    the lead itself may belong to someone else and stay invisible to them."""

    id: int
    matched_on: list[MatchedOn]
    status: LeadStatus
    owner_id: str | None
    department_id: str
    created_at: datetime


class LeadCreated(LeadRead):
    duplicates: list[LeadDuplicate] = Field(
        default_factory=list, description="Likely duplicates found on create, newest first")


class LeadDuplicates(BaseModel):
    items: list[LeadDuplicate]


class LeadPage(Page[LeadRead]):
    pass
