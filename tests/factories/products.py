import itertools
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.products import service
from app.products.models import Product
from app.products.schemas import ProductCreate
from tests.factories import FACTORY_ADMIN

_counter = itertools.count(1)


async def create_product(
    session: AsyncSession, *, sku: str | None = None, list_price: str = "100.00",
    floor_price: str = "80.00", tax_rate: str = "0.13", product_line: str | None = None,
) -> Product:
    n = next(_counter)
    return await service.create(session, FACTORY_ADMIN, data=ProductCreate(
        sku=sku or f"SKU-{n:05d}", name=f"Product {n}", list_price=Decimal(list_price),
        floor_price=Decimal(floor_price), tax_rate=Decimal(tax_rate),
        product_line=product_line))
