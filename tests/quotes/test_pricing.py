"""Quote lines and totals (SPEC §3): list price unless overridden, discount and tax per
line, Decimal throughout, each line rounded half-up to 0.01, the quote the sum of its lines."""

import pytest
from sqlalchemy import func, select

from app.quotes.models import Quote
from tests.factories.products import create_product
from tests.factories.quotes import quote_body, quote_line
from tests.quotes.conftest import QUOTES


class TestLines:
    async def test_list_price_and_tax_rate_come_from_the_product(self, company, new_quote):
        quote = await new_quote(quote_line(company.product_id, quantity="2"))
        [line] = quote["lines"]
        assert (line["quantity"], line["list_price"], line["unit_price"], line["tax_rate"]) == (
            "2.000", "1000.0000", "1000.0000", "0.1300")
        assert (line["net_amount"], line["tax_amount"], line["total_amount"]) == (
            "2000.00", "260.00", "2260.00")
        assert (quote["subtotal"], quote["tax_total"], quote["total"], quote["total_base"]) == (
            "2000.00", "260.00", "2260.00", "2260.00")
        assert quote["max_discount_percent"] == "0.00" and quote["below_floor"] is False
        assert line["description"].startswith("Product")

    @pytest.mark.parametrize(("quantity", "unit_price", "discount", "tax_rate", "net", "tax"), [
        ("3", "33.333", "0", "0.13", "100.00", "13.00"),  # 99.999 rounds up to 100.00
        ("3", "33.333", "7.5", "0.13", "92.50", "12.03"),  # 92.499075; tax 12.025 half-up
        ("7", "0.145", "0", "0", "1.02", "0.00"),  # 1.015: half-up, not to even
        ("1", "0.005", "0", "0.13", "0.01", "0.00"),  # 0.0013 of tax rounds to nothing
        ("2.5", "19.99", "33.33", "0.06", "33.32", "2.00"),  # 33.3183325; 1.9992
        ("0.001", "9999.9999", "0", "0.13", "10.00", "1.30"),
    ])
    async def test_awkward_decimals(self, company, new_quote, quantity, unit_price, discount,
                                    tax_rate, net, tax):
        quote = await new_quote(quote_line(company.product_id, quantity=quantity,
                                           unit_price=unit_price, discount=discount,
                                           tax_rate=tax_rate))
        [line] = quote["lines"]
        assert (line["net_amount"], line["tax_amount"]) == (net, tax)
        assert quote["total"] == f"{float(net) + float(tax):.2f}"

    async def test_the_quote_is_the_sum_of_its_rounded_lines(self, company, new_quote):
        third = quote_line(company.product_id, quantity="1", unit_price="33.333", tax_rate="0")
        quote = await new_quote(third, third, third)
        # 3 × 33.33, not 99.999 rounded once: each line is an amount on the invoice.
        assert [line["net_amount"] for line in quote["lines"]] == ["33.33"] * 3
        assert quote["subtotal"] == "99.99" and quote["total"] == "99.99"
        assert [line["line_no"] for line in quote["lines"]] == [1, 2, 3]

    async def test_foreign_currency_prices_from_the_list_converted(self, company, new_quote):
        quote = await new_quote(quote_line(company.product_id, tax_rate="0"),
                                currency="USD", exchange_rate="7.1")
        [line] = quote["lines"]
        assert line["list_price"] == "140.8451" and line["unit_price"] == "140.8451"
        assert line["effective_discount_percent"] == "0.00"
        assert (quote["total"], quote["total_base"]) == ("140.85", "1000.04")


class TestRefusals:
    @pytest.mark.parametrize(("line_changes", "where"), [
        ({"quantity": "0"}, "quantity"), ({"quantity": "1.0001"}, "quantity"),
        ({"discount_percent": "100.01"}, "discount_percent"),
        ({"discount_percent": "5.001"}, "discount_percent"),
        ({"unit_price": "-1"}, "unit_price"), ({"tax_rate": "1.5"}, "tax_rate"),
    ])
    async def test_bad_lines_are_422_and_create_nothing(self, client, company, session, clock,
                                                        line_changes, where):
        body = quote_body(company.customer_id, [quote_line(company.product_id) | line_changes])
        response = await client.post(QUOTES, headers=company.rep, json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"][-1] == where
        assert await session.scalar(select(func.count()).select_from(Quote)) == 0

    @pytest.mark.parametrize(("lines", "extra"), [
        # One line whose quantity times price overflows an amount column.
        ([{"quantity": "999999999999.999", "unit_price": "99999999999999.9999"}], {}),
        # Lines that each fit, and a sum that does not.
        ([{"quantity": "60", "unit_price": "99999999999999", "tax_rate": "0"}] * 2, {}),
        # A total that fits, and its conversion to the base currency that does not.
        ([{"quantity": "60", "unit_price": "99999999999999", "tax_rate": "0"}],
         {"currency": "USD", "exchange_rate": "7.1"}),
    ])
    async def test_amounts_beyond_a_money_column_are_422(self, client, company, session,
                                                          clock, lines, extra):
        body = quote_body(company.customer_id,
                          [quote_line(company.product_id) | line for line in lines], **extra)
        response = await client.post(QUOTES, headers=company.rep, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "pricing.amount_too_large"
        assert await session.scalar(select(func.count()).select_from(Quote)) == 0

    async def test_unknown_or_inactive_product(self, client, company, session, clock):
        inactive = await create_product(session, sku="OLD-1")
        await client.patch(f"/api/v1/products/{inactive.id}", headers=company.admin,
                           json={"active": False})
        for product_id in (inactive.id, 999_999):
            response = await client.post(QUOTES, headers=company.rep, json=quote_body(
                company.customer_id, [quote_line(product_id)]))
            assert response.status_code == 422
            assert response.json()["code"] == "quote.unknown_product"

    async def test_only_for_your_own_customer(self, client, company, clock):
        response = await client.post(QUOTES, headers=company.other_rep, json=quote_body(
            company.customer_id, [quote_line(company.product_id)]))
        assert response.status_code == 422 and response.json()["code"] == "quote.unknown_customer"

    async def test_base_currency_has_rate_one(self, client, company, clock):
        response = await client.post(QUOTES, headers=company.rep, json=quote_body(
            company.customer_id, [quote_line(company.product_id)], exchange_rate="7.1"))
        assert response.status_code == 422
        assert response.json()["code"] == "quote.base_currency_rate"

    async def test_validity_defaults_to_30_days_and_never_starts_in_the_past(
            self, client, company, new_quote):
        assert (await new_quote())["valid_until"] == "2026-04-09"
        today = await new_quote(valid_until="2026-03-10")
        assert today["valid_until"] == "2026-03-10"
        response = await client.post(QUOTES, headers=company.rep, json=quote_body(
            company.customer_id, [quote_line(company.product_id)], valid_until="2026-03-09"))
        assert response.status_code == 422 and response.json()["code"] == "quote.valid_until_past"


class TestEditing:
    async def test_a_draft_is_repriced_when_its_lines_change(self, client, company, new_quote):
        quote = await new_quote()
        url = f"{QUOTES}/{quote['id']}"
        edited = await client.patch(url, headers={**company.rep, "If-Match": '"1"'}, json={
            "lines": [quote_line(company.product_id, quantity="3", unit_price="33.333",
                                 tax_rate="0")], "notes": "含运费"})
        assert edited.status_code == 200, edited.text
        assert edited.json()["total"] == "100.00" and edited.json()["version"] == 2
        stale = await client.patch(url, headers={**company.rep, "If-Match": '"1"'},
                                   json={"title": "x"})
        assert stale.status_code == 412
        same = await client.patch(url, headers=company.rep, json={"notes": "含运费"})
        assert same.status_code == 200 and same.json()["version"] == 2  # nothing changed

    async def test_changing_currency_needs_the_lines(self, client, company, new_quote):
        quote = await new_quote()
        url = f"{QUOTES}/{quote['id']}"
        response = await client.patch(url, headers=company.rep,
                                       json={"currency": "USD", "exchange_rate": "7.1"})
        assert response.status_code == 422 and response.json()["code"] == "quote.lines_required"
        ok = await client.patch(url, headers=company.rep, json={
            "currency": "USD", "exchange_rate": "7.1",
            "lines": [quote_line(company.product_id)]})
        assert ok.status_code == 200 and ok.json()["lines"][0]["list_price"] == "140.8451"

    async def test_submitted_quotes_are_locked(self, client, company, submitted_quote):
        quote = await submitted_quote(quote_line(company.product_id, discount="10"))
        response = await client.patch(f"{QUOTES}/{quote['id']}", headers=company.rep,
                                      json={"title": "改"})
        assert response.status_code == 409 and response.json()["code"] == "quote.locked"
