from app.core.errors import Conflict, NotFound, UnprocessableEntity


class ProductNotFound(NotFound):
    code = "product.not_found"
    title = "Product not found"


class DuplicateSku(Conflict):
    code = "product.duplicate_sku"
    title = "A product with this SKU already exists"


class FloorAboveList(UnprocessableEntity):
    code = "product.floor_above_list"
    title = "The floor price cannot exceed the list price"


class ProductInUse(Conflict):
    code = "product.in_use"
    title = "The product is used by documents; deactivate it instead"
