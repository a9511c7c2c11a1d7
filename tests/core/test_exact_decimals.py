"""Every response shows a decimal with its column's places, the same after a POST as
after a GET, and never as a negative zero."""

from tests.factories.contracts import contract_body

PRODUCTS = "/api/v1/products"


def _product(sku: str, list_price: str, floor_price: str = "0.00", tax_rate: str = "0.13"):
    return {"sku": sku, "name": f"Product {sku}", "list_price": list_price,
            "floor_price": floor_price, "tax_rate": tax_rate}


class TestNegativeZero:
    async def test_negative_zero_comes_back_as_zero(self, client, admin):
        created = await client.post(PRODUCTS, headers=admin, json={
            **_product("ZERO-1", "-0.00", "-0"), "tax_rate": -0.0})
        assert created.status_code == 201, created.text
        read = (await client.get(f"{PRODUCTS}/{created.json()['id']}", headers=admin)).json()
        for body in (created.json(), read):
            assert (body["list_price"], body["floor_price"], body["tax_rate"]) == (
                "0.00", "0.00", "0.0000")


class TestSamePlacesOnPostAndGet:
    DECIMALS = ("exchange_rate", "subtotal", "tax_total", "total", "total_base")
    LINE_DECIMALS = ("quantity", "unit_price", "discount_percent", "tax_rate", "net_amount",
                     "tax_amount", "total_amount")

    def _decimals(self, body: dict) -> tuple:
        return ({name: body[name] for name in self.DECIMALS},
                [{name: line[name] for name in self.LINE_DECIMALS} for line in body["lines"]])

    async def test_contract(self, client, company):
        body = contract_body(company.customer_id, company.product_id, currency="USD",
                             exchange_rate="7.1")
        body["lines"] = [{"product_id": company.product_id, "quantity": "3",
                          "unit_price": "1000", "discount_percent": "5", "tax_rate": "0.13"}]
        created = await client.post("/api/v1/contracts", headers=company.rep, json=body)
        assert created.status_code == 201, created.text
        read = await client.get(f"/api/v1/contracts/{created.json()['id']}", headers=company.rep)
        assert self._decimals(created.json()) == self._decimals(read.json())
        assert self._decimals(read.json()) == (
            {"exchange_rate": "7.100000", "subtotal": "2850.00", "tax_total": "370.50",
             "total": "3220.50", "total_base": "22865.55"},
            [{"quantity": "3.000", "unit_price": "1000.0000", "discount_percent": "5.00",
              "tax_rate": "0.1300", "net_amount": "2850.00", "tax_amount": "370.50",
              "total_amount": "3220.50"}])
