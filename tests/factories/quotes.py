def quote_line(product_id: int, *, quantity: str = "1", discount: str = "0",
               unit_price: str | None = None, tax_rate: str | None = None) -> dict:
    line = {"product_id": product_id, "quantity": quantity, "discount_percent": discount}
    if unit_price is not None:
        line["unit_price"] = unit_price
    if tax_rate is not None:
        line["tax_rate"] = tax_rate
    return line


def quote_body(customer_id: int, lines: list[dict], **overrides: object) -> dict:
    return {"customer_id": customer_id, "title": "离心泵报价", "lines": lines} | overrides
