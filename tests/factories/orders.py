"""Orders through the API: a signed contract to call off, orders placed and moved through
their review. Built on the company of tests/company.py."""

from dataclasses import dataclass, field
from decimal import Decimal

import httpx

CONTRACTS = "/api/v1/contracts"
ORDERS = "/api/v1/orders"
SIGN = {"signed_date": "2026-01-05", "signatories": [
    {"party": "customer", "name": "王总"}, {"party": "company", "name": "周总"}]}
APPROVERS = ("finance", "legal", "head", "vp", "gm", "board")


def contract_lines(product_id: int, *lines: tuple[str, str]) -> list[dict]:
    """Contract lines of (quantity, unit price), tax 0 so totals are easy to read."""
    return [{"product_id": product_id, "quantity": quantity, "unit_price": price,
             "tax_rate": "0"} for quantity, price in lines]


@dataclass
class Shop:
    """Helpers over the company: its rep places orders, finance and logistics review."""

    client: httpx.AsyncClient
    company: object
    logistics: dict
    deciders: dict[str, dict] = field(default_factory=dict)

    async def ok(self, response: httpx.Response, status: int = 200) -> dict:
        assert response.status_code == status, response.text
        return response.json() if response.content else {}

    async def approve_all(self, request_id: int) -> None:
        """Every step of a request, by whoever may decide it, until it ends."""
        while (await self.client.get(f"/api/v1/approvals/{request_id}",
                                     headers=self.company.admin)).json()["status"] == "pending":
            for headers in self.deciders.values():
                response = await self.client.post(f"/api/v1/approvals/{request_id}/approve",
                                                  headers=headers, json={})
                if response.status_code == 200:
                    break
            else:
                raise AssertionError(f"nobody could approve request {request_id}")

    async def signed_contract(self, *lines: tuple[str, str], headers: dict | None = None,
                              **overrides: object) -> dict:
        """A contract of (quantity, unit price) lines, approved and signed."""
        company = self.company
        body = {"customer_id": company.customer_id, "title": "水泵框架合同",
                "lines": contract_lines(company.product_id, *(lines or (("10", "100.00"),))),
                "payment_schedule": [{"kind": "on_delivery", "percent": "100"}]} | overrides
        headers = headers or company.rep
        contract = await self.ok(await self.client.post(CONTRACTS, headers=headers, json=body),
                                 201)
        url = f"{CONTRACTS}/{contract['id']}"
        submitted = await self.ok(await self.client.post(f"{url}/submit", headers=headers))
        await self.approve_all(submitted["approval"]["id"])
        signed = await self.ok(await self.client.post(f"{url}/sign", headers=headers,
                                                      json=SIGN))
        return signed | {"line_ids": [line["id"] for line in signed["lines"]]}

    async def place(self, contract: dict, *quantities: str | None, headers: dict | None = None,
                    expect: int = 201, **overrides: object) -> dict:
        """An order calling off the contract: one quantity per contract line (None skips
        the line)."""
        lines = [{"contract_line_id": line_id, "quantity": quantity}
                 for line_id, quantity in zip(contract["line_ids"], quantities, strict=False)
                 if quantity is not None]
        body = {"contract_id": contract["id"], "lines": lines} | overrides
        response = await self.client.post(ORDERS, headers=headers or self.company.rep, json=body)
        assert response.status_code == expect, response.text
        return response.json()

    async def submit(self, order: dict, headers: dict | None = None) -> dict:
        return await self.ok(await self.client.post(f"{ORDERS}/{order['id']}/submit",
                                                    headers=headers or self.company.rep))

    async def get(self, order: dict, headers: dict | None = None) -> dict:
        return await self.ok(await self.client.get(f"{ORDERS}/{order['id']}",
                                                   headers=headers or self.company.rep))

    async def set_credit(self, limit: str | Decimal, rating: str = "B") -> None:
        await self.ok(await self.client.patch(
            f"/api/v1/customers/{self.company.customer_id}", headers=self.company.finance,
            json={"credit_limit": str(limit), "credit_rating": rating}))

    async def exposure(self, headers: dict | None = None) -> dict:
        return await self.ok(await self.client.get(
            f"/api/v1/customers/{self.company.customer_id}/exposure",
            headers=headers or self.company.finance))
