import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from app.departments import service
from app.departments.models import Department
from app.departments.schemas import DepartmentCreate
from tests.factories import FACTORY_ADMIN

_counter = itertools.count(1)


async def create_department(
    session: AsyncSession, *, id: str | None = None, name: str | None = None,
    head_id: str | None = None, deputy_gm_id: str | None = None,
) -> Department:
    n = next(_counter)
    return await service.create(session, FACTORY_ADMIN, data=DepartmentCreate(
        id=id or f"d{n:04d}", name=name or f"Department {n}", head_id=head_id,
        deputy_gm_id=deputy_gm_id))
