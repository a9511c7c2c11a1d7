"""Returns (退货): per line at most what was shipped and not yet returned; the quantity is
undelivered on the order again (it may be delivered once more), a delivered order is
partially delivered again, and the return is valued like a shipment, backwards."""

from decimal import Decimal

from sqlalchemy import select

from app.events.models import Event
from app.orders.models import OrderStatus
from tests.deliveries.conftest import SHIP, TODAY, ok, refused
from tests.factories.confirmed_orders import Line


async def _shipped_order(shop, quantity: str = "10", shipped: str = "10", **line):
    order, [order_line] = await shop.order(Line(quantity=quantity, **line))
    delivery = await shop.shipped(await shop.planned(order.id, (order_line.id, shipped)))
    return order, order_line, delivery


class TestLimits:
    async def test_exactly_what_is_left_may_come_back_and_not_a_thousandth_more(self, shop):
        order, _, delivery = await _shipped_order(shop)
        line_id = delivery["lines"][0]["id"]
        await shop.returned(delivery, (line_id, "6.5"))
        problem = refused(await shop.act(delivery, "returns", {
            "lines": [{"delivery_line_id": line_id, "quantity": "3.501"}], "reason": "破损"}),
            409, "delivery.exceeds_returnable")
        assert problem["lines"] == [{"delivery_line_id": line_id, "requested": "3.501",
                                     "returnable": "3.500"}]
        _, [order_line] = await shop.state(order.id)
        assert order_line.returned_quantity == Decimal("6.500")
        after = await shop.returned(delivery, (line_id, "3.5"))
        assert after["lines"][0]["returned_quantity"] == "10.000"
        assert "return" not in after["allowed_actions"]

    async def test_a_line_of_another_delivery_is_refused(self, shop):
        order, order_line, delivery = await _shipped_order(shop, quantity="10", shipped="5")
        other = await shop.shipped(await shop.planned(order.id, (order_line.id, "5")))
        problem = refused(await shop.act(delivery, "returns", {
            "lines": [{"delivery_line_id": other["lines"][0]["id"], "quantity": "1"}],
            "reason": "破损"}), 422, "delivery.unknown_line")
        assert problem["delivery_line_ids"] == [other["lines"][0]["id"]]

    async def test_a_planned_or_cancelled_delivery_has_nothing_to_return(self, shop):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"))
        body = {"lines": [{"delivery_line_id": planned["lines"][0]["id"], "quantity": "1"}],
                "reason": "破损"}
        problem = refused(await shop.act(planned, "returns", body), 409,
                          "state.invalid_transition")
        assert problem["current_status"] == "planned"
        cancelled = ok(await shop.act(planned, "cancel", {"reason": "取消"}))
        refused(await shop.act(cancelled, "returns", body), 409, "state.invalid_transition")

    async def test_dates_between_shipping_and_today(self, shop):
        _, _, delivery = await _shipped_order(shop)
        line_id = delivery["lines"][0]["id"]
        for day, code in (("2026-03-11", "delivery.date_in_future"),
                          ("2026-03-09", "delivery.date_before_shipment")):
            refused(await shop.act(delivery, "returns", {
                "lines": [{"delivery_line_id": line_id, "quantity": "1"}], "reason": "破损",
                "returned_on": day}), 422, code)
        returned = await shop.returned(delivery, (line_id, "1"))
        assert returned["returns"][0]["returned_on"] == TODAY

    async def test_a_reason_is_required(self, shop):
        _, _, delivery = await _shipped_order(shop)
        refused(await shop.act(delivery, "returns", {
            "lines": [{"delivery_line_id": delivery["lines"][0]["id"], "quantity": "1"}]}),
            422, "validation_error")

    async def test_a_closed_order_takes_no_returns(self, shop, session):
        order, _, delivery = await _shipped_order(shop)
        (await shop.state(order.id))[0].status = OrderStatus.closed
        await session.commit()
        problem = refused(await shop.act(delivery, "returns", {
            "lines": [{"delivery_line_id": delivery["lines"][0]["id"], "quantity": "1"}],
            "reason": "破损"}), 409, "delivery.order_closed")
        assert problem["order_status"] == "closed"
        assert (await shop.get(delivery["id"])).json()["allowed_actions"] == ["deliver"]


class TestTheOrderTakesItBack:
    async def test_a_delivered_order_is_partially_delivered_again(self, shop, session):
        order, order_line, delivery = await _shipped_order(shop, quantity="10", shipped="10")
        assert (await shop.state(order.id))[0].status == OrderStatus.delivered
        received = await shop.received(delivery)
        after = await shop.returned(received, (delivery["lines"][0]["id"], "2"))
        assert after["status"] == "delivered"  # the delivery itself stays received
        order_now, [order_line] = await shop.state(order.id)
        assert order_now.status == OrderStatus.partially_delivered
        assert (order_line.scheduled_quantity, order_line.shipped_quantity,
                order_line.returned_quantity) == (8, 8, 2)
        event = (await session.execute(select(Event).where(
            Event.subject == f"order:{order.id}").order_by(Event.id.desc()))).scalars().first()
        assert (event.type, event.data["previous_status"], event.data["delivery_id"]) == (
            "order.partially_delivered", "delivered", delivery["id"])

    async def test_the_returned_quantity_is_delivered_again(self, shop):
        order, order_line, delivery = await _shipped_order(shop, quantity="10", shipped="10")
        await shop.returned(delivery, (delivery["lines"][0]["id"], "2"))
        refused(await shop.plan(order.id, (order_line.id, "2.001")), 409,
                "delivery.exceeds_undelivered")
        replacement = await shop.shipped(await shop.planned(order.id, (order_line.id, "2")))
        assert replacement["status"] == "shipped"
        order_now, [order_line] = await shop.state(order.id)
        assert order_now.status == OrderStatus.delivered
        assert (order_line.shipped_quantity, order_line.returned_quantity) == (10, 2)

    async def test_a_partially_delivered_order_stays_so_even_when_all_comes_back(self, shop):
        order, _, delivery = await _shipped_order(shop, quantity="10", shipped="4")
        await shop.returned(delivery, (delivery["lines"][0]["id"], "4"))
        order_now, [order_line] = await shop.state(order.id)
        assert order_now.status == OrderStatus.partially_delivered
        assert order_line.shipped_quantity == 0


class TestReturnValue:
    async def test_a_return_is_valued_like_the_shipment_backwards(self, shop):
        # 3 × 0.3333 (1.00 net, 0.13 tax) shipped at once and returned one by one: what
        # was invoiced less what was credited is always what the kept quantity is worth.
        _, _, delivery = await _shipped_order(shop, quantity="3", shipped="3",
                                              unit_price="0.3333", tax_rate="0.13")
        assert delivery["shipped_total"] == "1.13"
        line_id = delivery["lines"][0]["id"]
        first = await shop.returned(delivery, (line_id, "1"))
        second = await shop.returned(first, (line_id, "1"))
        values = [(r["lines"][0]["net_amount"], r["lines"][0]["tax_amount"], r["total"],
                   r["total_base"]) for r in second["returns"]]
        assert values == [("0.33", "0.04", "0.37", "0.37"), ("0.34", "0.05", "0.39", "0.39")]
        assert second["returns"][0]["recorded_by"] == "wh.chen"
        assert second["returns"][0]["reason"] == "外壳破损"

    async def test_return_in_a_foreign_currency(self, shop):
        order, [line] = await shop.order(Line(quantity="3", unit_price="333.33",
                                              tax_rate="0.13"), currency="USD",
                                         exchange_rate="7.1")
        shipped = await shop.shipped(await shop.planned(order.id, (line.id, "3")))
        assert shipped["shipped_total_base"] == "8022.93"
        returned = await shop.returned(shipped, (shipped["lines"][0]["id"], "1"))
        assert (returned["returns"][0]["total"], returned["returns"][0]["total_base"]) == (
            "376.66", "2674.29")


class TestWho:
    async def test_the_erp_records_returns_and_a_rep_may_not(self, shop):
        _, _, delivery = await _shipped_order(shop)
        body = {"lines": [{"delivery_line_id": delivery["lines"][0]["id"], "quantity": "1"}],
                "reason": "破损"}
        refused(await shop.act(delivery, "returns", body, headers=shop.company.rep), 403,
                "forbidden")
        returned = ok(await shop.act(delivery, "returns", body, headers=shop.erp), 201)
        assert returned["returns"][0]["recorded_by"] == "erp.wms"
        refused(await shop.act(delivery, "ship", SHIP, headers=shop.erp), 409,
                "state.invalid_transition")
