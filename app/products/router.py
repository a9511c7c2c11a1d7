from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.core.clock import Now
from app.core.db import SessionDep
from app.core.errors import Forbidden, StaleVersion, errors_doc
from app.core.export import FormatQuery, file_responses
from app.core.ids import path_id
from app.core.pagination import Listed, ListRequest
from app.core.security import CurrentPrincipal
from app.core.versioning import IfMatch, set_etag
from app.products import exports, service
from app.products.errors import DuplicateSku, FloorAboveList, ProductInUse, ProductNotFound
from app.products.models import Product
from app.products.schemas import ProductCreate, ProductPage, ProductRead, ProductUpdate

router = APIRouter(prefix="/products", tags=["products"])
ProductId = Annotated[int, Path(ge=1), path_id(
    lambda n: ProductNotFound(f"No product {n}."))]


@router.get("", response_model=ProductPage, responses=file_responses())
async def list_products(
    request: Request, session: SessionDep, _principal: CurrentPrincipal, now: Now,
    page: Annotated[ListRequest, Depends(service.SORTS.request)], active: bool | None = None,
    product_line: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=100, description="Search in name and SKU")] = None,
    format: FormatQuery = None,
) -> ProductPage | StreamingResponse:
    """The price list, in id order unless sorted otherwise; all of it as CSV or XLSX with
    `format`."""

    async def page_of(wanted: ListRequest) -> Listed[ProductRead]:
        listed = await service.list_products(
            session, active=active, product_line=product_line, q=q, page=wanted)
        return Listed([ProductRead.model_validate(p) for p in listed.items],
                      listed.next_cursor, listed.total)

    file = await exports.PRODUCTS.file(request, format, page=page, now=now, page_of=page_of)
    if file is not None:
        return file
    listed = await page_of(page)
    return ProductPage(items=listed.items, next_cursor=listed.next_cursor, total=listed.total)


@router.post("", status_code=201, response_model=ProductRead,
             responses=errors_doc(Forbidden, DuplicateSku, FloorAboveList))
async def create_product(
    body: ProductCreate, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> Product:
    """Add a product to the price list (admin)."""
    product = await service.create(session, principal, data=body)
    set_etag(response, product.version)
    response.headers["Location"] = f"/api/v1/products/{product.id}"
    return product


@router.get("/{product_id}", response_model=ProductRead, responses=errors_doc(ProductNotFound))
async def get_product(
    product_id: ProductId, session: SessionDep, _principal: CurrentPrincipal, response: Response
) -> Product:
    product = await service.get(session, product_id)
    set_etag(response, product.version)
    return product


@router.patch("/{product_id}", response_model=ProductRead,
              responses=errors_doc(Forbidden, ProductNotFound, DuplicateSku, FloorAboveList,
                                   StaleVersion))
async def update_product(
    product_id: ProductId, body: ProductUpdate, session: SessionDep, principal: CurrentPrincipal,
    if_match: IfMatch, response: Response,
) -> Product:
    """Change prices, tax rate or the active flag (admin)."""
    product = await service.update(session, principal, product_id=product_id, data=body,
                                   expected_version=if_match)
    set_etag(response, product.version)
    return product


@router.delete("/{product_id}", status_code=204,
               responses=errors_doc(Forbidden, ProductNotFound, ProductInUse, StaleVersion))
async def delete_product(
    product_id: ProductId, session: SessionDep, principal: CurrentPrincipal, if_match: IfMatch
) -> None:
    """Delete a product no document uses (admin); otherwise deactivate it."""
    await service.delete(session, principal, product_id=product_id, expected_version=if_match)
