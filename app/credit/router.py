from typing import Annotated

from fastapi import APIRouter, Path

from app.core.db import SessionDep
from app.core.errors import errors_doc
from app.core.ids import path_id
from app.core.security import CurrentPrincipal
from app.credit import service
from app.credit.schemas import ExposureRead
from app.customers.errors import CustomerNotFound

router = APIRouter(prefix="/customers", tags=["customers"])
CustomerId = Annotated[int, Path(ge=1), path_id(
    lambda n: CustomerNotFound(f"No customer {n}."))]


@router.get("/{customer_id}/exposure", response_model=ExposureRead,
            responses=errors_doc(CustomerNotFound))
async def get_customer_exposure(customer_id: CustomerId, session: SessionDep,
                                principal: CurrentPrincipal) -> ExposureRead:
    """The customer's credit exposure (SPEC §5): open receivables, confirmed orders not yet
    invoiced and orders in review, against the credit limit; what an order's submission
    checks."""
    return await service.exposure(session, principal, customer_id=customer_id)
