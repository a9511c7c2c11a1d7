"""What a shipment is worth: the shipped quantities' pro-rata shares of the order lines,
tax included, in the order's currency and in CNY, rounded half-up to 0.01; and the
shipments of a fully shipped order add up to its totals to the cent."""

from decimal import Decimal

from tests.factories.confirmed_orders import Line


def _amounts(delivery: dict) -> list[tuple[str, str, str]]:
    return [(line["net_amount"], line["tax_amount"], line["total_amount"])
            for line in delivery["lines"]]


async def _ship_in_parts(shop, order, line, *parts: str) -> list[dict]:
    return [await shop.shipped(await shop.planned(order.id, (line.id, part))) for part in parts]


class TestShippedValue:
    async def test_part_of_a_line_carries_its_share_with_tax(self, shop):
        order, [line] = await shop.order(Line(quantity="10", unit_price="100.00",
                                              tax_rate="0.13"))
        planned = await shop.planned(order.id, (line.id, "4"))
        assert _amounts(planned) == [("0.00", "0.00", "0.00")]  # nothing until it ships
        shipped = await shop.shipped(planned)
        assert _amounts(shipped) == [("400.00", "52.00", "452.00")]
        assert (shipped["shipped_total"], shipped["shipped_total_base"]) == ("452.00", "452.00")

    async def test_the_discounted_price_is_what_ships(self, shop):
        order, [line] = await shop.order(Line(quantity="4", unit_price="250.00",
                                              discount_percent="10", tax_rate="0.13"))
        shipped = await shop.shipped(await shop.planned(order.id, (line.id, "1")))
        assert _amounts(shipped) == [("225.00", "29.25", "254.25")]

    async def test_half_a_cent_rounds_up(self, shop):
        # 1.00 over 8 units: one unit is worth 0.125, shown as 0.13 (half-up, not to even).
        order, [line] = await shop.order(Line(quantity="8", unit_price="0.125", tax_rate="0"))
        one, rest = await _ship_in_parts(shop, order, line, "1", "7")
        assert _amounts(one) == [("0.13", "0.00", "0.13")]
        assert _amounts(rest) == [("0.87", "0.00", "0.87")]

    async def test_parts_add_up_to_the_order_line_to_the_cent(self, shop):
        # 3 × 0.3333 = 1.00 net and 0.13 tax: a third of each is not a whole cent.
        order, [line] = await shop.order(Line(quantity="3", unit_price="0.3333",
                                              tax_rate="0.13"))
        assert (line.net_amount, line.tax_amount) == (Decimal("1.00"), Decimal("0.13"))
        parts = await _ship_in_parts(shop, order, line, "1", "1", "1")
        assert [_amounts(p)[0] for p in parts] == [
            ("0.33", "0.04", "0.37"), ("0.34", "0.05", "0.39"), ("0.33", "0.04", "0.37")]
        assert sum(Decimal(p["shipped_total"]) for p in parts) == order.total == Decimal("1.13")

    async def test_several_lines_in_one_delivery(self, shop):
        order, [pumps, valves] = await shop.order(
            Line(quantity="2", unit_price="1000.00", tax_rate="0.13"),
            Line(quantity="5", unit_price="19.99", tax_rate="0.09"))
        shipped = await shop.shipped(await shop.planned(order.id, (pumps.id, "1"),
                                                        (valves.id, "3")))
        # 3 × 19.99 = 59.97 of 99.95 net, 9.00 tax (99.95 × 0.09 = 8.9955): 5.40 of it.
        assert _amounts(shipped) == [("1000.00", "130.00", "1130.00"), ("59.97", "5.40", "65.37")]
        assert shipped["shipped_total"] == "1195.37"


class TestBaseCurrency:
    async def test_a_foreign_currency_order_ships_at_its_rate_and_adds_up(self, shop):
        # 3 × 333.33 USD: 999.99 net, 130.00 tax, 1129.99 in all; at 7.1 that is 8022.93 CNY.
        order, [line] = await shop.order(Line(quantity="3", unit_price="333.33",
                                              tax_rate="0.13"),
                                         currency="USD", exchange_rate="7.1")
        assert (order.total, order.total_base) == (Decimal("1129.99"), Decimal("8022.93"))
        parts = await _ship_in_parts(shop, order, line, "1", "1", "1")
        assert [p["currency"] for p in parts] == ["USD"] * 3
        assert [(p["shipped_total"], p["shipped_total_base"]) for p in parts] == [
            ("376.66", "2674.29"), ("376.67", "2674.35"), ("376.66", "2674.29")]
        assert sum(Decimal(p["shipped_total_base"]) for p in parts) == order.total_base
