"""The price list as a file (`GET /products?format=csv|xlsx`)."""

from app.core.export import Column, Export

PRODUCTS = Export("products", "产品", [
    Column("sku", "SKU", "产品编码"),
    Column("name", "Name", "产品名称"),
    Column("unit", "Unit", "单位"),
    Column("product_line", "Product line", "产品线"),
    Column("list_price", "List price", "标准单价", "money"),
    Column("floor_price", "Floor price", "最低限价", "money"),
    Column("tax_rate", "Tax rate", "税率", "number"),
    Column("active", "Active", "在售", "bool"),
    Column("updated_at", "Updated", "更新时间", "datetime"),
])
