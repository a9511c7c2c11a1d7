from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, EmailStr, Field, StringConstraints

from app.core.directory import OwnerName
from app.core.money import Money, MoneyIn
from app.core.normalise import PhoneIn
from app.core.pagination import Page
from app.core.schemas import Name, ReadModel, UpdateModel, UserId, WriteModel
from app.customers import credit_code
from app.customers.models import CreditRating

CreditCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(credit_code.checked),
    Field(description="统一社会信用代码 (18 characters, check character verified); unique. "
                      "Spaces and dashes are dropped and letters upper-cased",
          examples=["91350100M000100Y43"]),
]
PaymentTermsDays = Annotated[int, Field(ge=0, le=365, description="Days from invoice to due date")]
DepartmentRef = Annotated[str, StringConstraints(min_length=1, max_length=32)]
MatchedOn = Literal["name", "phone", "email"]


class Contact(WriteModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    title: Annotated[str, StringConstraints(max_length=100)] | None = None
    phone: PhoneIn | None = None
    email: EmailStr | None = Field(default=None, description="Stored in lower case")


class CustomerCreate(WriteModel):
    name: Name
    credit_code: CreditCode | None = None
    contacts: list[Contact] = Field(default_factory=list, max_length=20)
    address: Annotated[str, StringConstraints(max_length=500)] | None = None
    owner_id: UserId | None = Field(
        default=None, description="Owning rep; defaults to the caller for reps and dept heads")
    department_id: DepartmentRef | None = Field(
        default=None, description="Defaults to the caller's department")
    credit_rating: CreditRating | None = Field(default=None, description="Finance, GM or admin")
    credit_limit: MoneyIn | None = Field(default=None, description="Finance, GM or admin")
    payment_terms_days: PaymentTermsDays | None = Field(
        default=None, description="Finance, GM or admin")
    is_key_customer: bool = False


class CustomerUpdate(UpdateModel):
    clearable = frozenset({"credit_code", "address"})

    name: Name | None = None
    credit_code: CreditCode | None = None
    contacts: list[Contact] | None = Field(default=None, max_length=20)
    address: Annotated[str, StringConstraints(max_length=500)] | None = None
    owner_id: UserId | None = None
    department_id: DepartmentRef | None = None
    credit_rating: CreditRating | None = None
    credit_limit: MoneyIn | None = None
    payment_terms_days: PaymentTermsDays | None = None
    is_key_customer: bool | None = None


class ContactRead(ReadModel):
    name: str
    title: str | None = None
    phone: str | None = Field(default=None, description=(
        "E.164, e.g. +8657188886666 (a number stored before normalisation that could not be "
        "recognised keeps its original text until the contacts are next edited)"))
    phone_extension: str | None = None
    email: str | None = Field(default=None, description="Lower-cased")


class CustomerRead(ReadModel, OwnerName):
    id: int
    name: str
    credit_code: str | None
    contacts: list[ContactRead]
    address: str | None
    owner_id: str
    department_id: str
    credit_rating: CreditRating
    credit_limit: Money
    payment_terms_days: int
    is_key_customer: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerDuplicate(BaseModel):
    """Another customer that looks like the same company. Only what lets the caller decide
    (ask its owner, or its department head): it may belong to someone else and stay
    invisible to the caller."""

    id: int
    matched_on: list[MatchedOn] = Field(
        description="name: the same company name without its legal form (有限公司, Co., "
                    "Ltd. …); phone, email: a contact with the same normalised number or "
                    "address")
    owner_id: str
    department_id: str
    created_at: datetime


class CustomerCreated(CustomerRead):
    duplicates: list[CustomerDuplicate] = Field(
        default_factory=list, description="Likely duplicates found on create, newest first "
                                          "(at most 20)")


class CustomerDuplicates(BaseModel):
    items: list[CustomerDuplicate]


class CustomerPage(Page[CustomerRead]):
    pass
