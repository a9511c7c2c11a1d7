from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from app.core.money import Money, MoneyIn
from app.core.pagination import Page
from app.core.schemas import Name, ReadModel, UpdateModel, UserId, WriteModel
from app.customers import credit_code
from app.customers.models import CreditRating


def _valid_credit_code(value: str) -> str:
    value = value.upper()
    if not credit_code.is_valid(value):
        raise ValueError("not a valid unified social credit code (18 characters, check digit)")
    return value


CreditCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=18, max_length=18),
    AfterValidator(_valid_credit_code),
    Field(description="统一社会信用代码; unique", examples=["91350100M000100Y43"]),
]
PaymentTermsDays = Annotated[int, Field(ge=0, le=365, description="Days from invoice to due date")]
DepartmentRef = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class Contact(WriteModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    title: Annotated[str, StringConstraints(max_length=100)] | None = None
    phone: Annotated[str, StringConstraints(max_length=40, pattern=r"^[0-9+\-() ]*$")] | None = None
    email: EmailStr | None = None


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
    phone: str | None = None
    email: str | None = None


class CustomerRead(ReadModel):
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


class CustomerPage(Page[CustomerRead]):
    pass
