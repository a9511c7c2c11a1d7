"""Contract and quote reads carry the total in Chinese capitals (人民币大写), the form the
signed paper and the invoice write."""

from tests.factories.quotes import quote_body, quote_line


async def test_a_contract_shows_its_total_in_capitals(client, company, draft):
    contract = await draft("100000.00")
    assert contract["total_base_in_capitals"] == "壹拾万元整"
    read = await client.get(f"/api/v1/contracts/{contract['id']}", headers=company.rep)
    assert read.json()["total_base_in_capitals"] == "壹拾万元整"


async def test_a_quote_shows_its_total_in_capitals(client, company):
    body = quote_body(company.customer_id, [quote_line(company.product_id, quantity="1",
                                                       unit_price="1000.05", tax_rate="0")])
    quote = await client.post("/api/v1/quotes", headers=company.rep, json=body)
    assert quote.status_code == 201, quote.text
    assert quote.json()["total_base_in_capitals"] == "壹仟元零伍分"
