from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.db import commit, commit_or_raise, flush_or_raise
from app.core.pagination import Listed, ListRequest, Sorts
from app.core.permissions import Capability, require
from app.core.schemas import snapshot
from app.core.search import text_contains
from app.core.security import Principal
from app.core.versioning import apply_changes, ensure_version
from app.events.changes import record_change
from app.products.errors import DuplicateSku, FloorAboveList, ProductInUse, ProductNotFound
from app.products.models import Product
from app.products.schemas import ProductCreate, ProductRead, ProductUpdate

ENTITY = "product"


# Reference data: in id order (the order it was entered) unless sorted otherwise.
SORTS = Sorts("Product", {"id": col(Product.id), "sku": col(Product.sku),
                          "name": col(Product.name), "list_price": col(Product.list_price),
                          "created_at": col(Product.created_at)},
              tiebreaker=col(Product.id), default="id")


async def list_products(
    session: AsyncSession, *, active: bool | None, product_line: str | None, q: str | None,
    page: ListRequest,
) -> Listed[Product]:
    statement = select(Product)
    if active is not None:
        statement = statement.where(col(Product.active) == active)
    if product_line is not None:
        statement = statement.where(col(Product.product_line) == product_line)
    if q:
        statement = statement.where(text_contains(q, Product.name, Product.sku))
    return await SORTS.page(session, statement, page)


async def get(session: AsyncSession, product_id: int, *, for_update: bool = False) -> Product:
    statement = select(Product).where(col(Product.id) == product_id)
    if for_update:
        statement = statement.with_for_update()
    product = (await session.execute(statement)).scalar_one_or_none()
    if product is None:
        raise ProductNotFound(f"No product {product_id}.")
    return product


async def create(session: AsyncSession, principal: Principal, *, data: ProductCreate) -> Product:
    require(principal, Capability.reference_write)
    _ensure_floor_within_list(data.floor_price, data.list_price)
    if await session.scalar(select(col(Product.id)).where(col(Product.sku) == data.sku)):
        raise DuplicateSku(f"SKU {data.sku!r} is taken.")
    product = Product(**data.model_dump())
    session.add(product)
    await flush_or_raise(session, _taken(data.sku))
    assert product.id is not None
    record_change(session, principal, event_type="product.created", entity_type=ENTITY,
                  entity_id=product.id, before=None, after=snapshot(ProductRead, product))
    await commit_or_raise(session, _taken(data.sku))
    return product


async def update(
    session: AsyncSession, principal: Principal, *, product_id: int, data: ProductUpdate,
    expected_version: int | None,
) -> Product:
    require(principal, Capability.reference_write)
    product = await get(session, product_id, for_update=True)
    ensure_version(product.version, expected_version)
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        return product
    _ensure_floor_within_list(changes.get("floor_price", product.floor_price),
                              changes.get("list_price", product.list_price))
    if "sku" in changes and changes["sku"] != product.sku and await session.scalar(
        select(col(Product.id)).where(col(Product.sku) == changes["sku"])
    ):
        raise DuplicateSku(f"SKU {changes['sku']!r} is taken.")
    before = snapshot(ProductRead, product)
    apply_changes(product, changes)
    assert product.id is not None
    record_change(session, principal, event_type="product.updated", entity_type=ENTITY,
                  entity_id=product.id, before=before, after=snapshot(ProductRead, product))
    await commit_or_raise(session, _taken(product.sku))
    return product


async def delete(
    session: AsyncSession, principal: Principal, *, product_id: int, expected_version: int | None
) -> None:
    require(principal, Capability.reference_write)
    product = await get(session, product_id, for_update=True)
    ensure_version(product.version, expected_version)
    before = snapshot(ProductRead, product)
    await session.delete(product)
    await flush_or_raise(session, ProductInUse(f"Product {product_id} is used by documents."))
    record_change(session, principal, event_type="product.deleted", entity_type=ENTITY,
                  entity_id=product_id, before=before, after=None)
    await commit(session)


def _ensure_floor_within_list(floor_price: Decimal, list_price: Decimal) -> None:
    if floor_price > list_price:
        raise FloorAboveList(f"Floor price {floor_price} is above list price {list_price}.",
                             floor_price=f"{floor_price:.2f}", list_price=f"{list_price:.2f}")


def _taken(sku: str) -> DuplicateSku:
    return DuplicateSku(f"SKU {sku!r} is taken.")


async def active_by_ids(session: AsyncSession, ids: set[int]) -> tuple[dict[int, Product],
                                                                       list[int]]:
    """The active products among `ids` (what document lines may name), and the ids that are
    unknown or inactive."""
    # Stored rows always have an id; the check narrows the type.
    products = {p.id: p for p in (await session.execute(
        select(Product).where(col(Product.id).in_(ids), col(Product.active).is_(True)))).scalars()
        if p.id is not None}
    return products, sorted(ids - products.keys())
