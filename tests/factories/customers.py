import itertools
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import uscc

from app.customers import service
from app.customers.models import Customer
from app.customers.schemas import CustomerCreate
from app.departments.models import Department
from tests.factories import FACTORY_ADMIN
from tests.factories.departments import create_department

_counter = itertools.count(1)


def valid_credit_code(n: int | None = None) -> str:
    first17 = f"91440300{(n if n is not None else next(_counter) + 500_000):09d}"
    return first17 + uscc.calc_check_digit(first17)


async def create_customer(
    session: AsyncSession, *, owner_id: str = "rep.a", department: Department | None = None,
    name: str | None = None, credit_code: str | None = None, credit_limit: str = "0.00",
    credit_rating: str = "C",
) -> Customer:
    department = department or await create_department(session)
    n = next(_counter)
    customer, _duplicates = await service.create(session, FACTORY_ADMIN, data=CustomerCreate(
        name=name or f"Customer {n}", credit_code=credit_code, owner_id=owner_id,
        department_id=department.id, credit_limit=Decimal(credit_limit),
        credit_rating=credit_rating))
    return customer
