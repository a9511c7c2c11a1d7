from decimal import Decimal

PAY_ALL_ON_DELIVERY = [{"kind": "on_delivery", "percent": "100"}]


def contract_body(customer_id: int, product_id: int, *, total: str | Decimal = "1000.00",
                  major_interest: bool = False, **overrides: object) -> dict:
    """A one-line contract whose total including tax is exactly `total` (tax rate 0)."""
    body = {
        "customer_id": customer_id, "title": "水泵采购合同",
        "lines": [{"product_id": product_id, "quantity": "1", "unit_price": str(total),
                   "tax_rate": "0"}],
        "payment_schedule": PAY_ALL_ON_DELIVERY, "major_interest": major_interest,
    }
    body.update(overrides)
    return body
