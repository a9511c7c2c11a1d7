"""Planning deliveries of a confirmed order: partial deliveries, never beyond what the
order has still to deliver, and what a plan defaults to."""

from datetime import date
from decimal import Decimal

import pytest

from app.orders.models import OrderStatus
from tests.deliveries.conftest import DELIVERIES, SHIP, ok, refused
from tests.factories.confirmed_orders import Line


class TestPartialDeliveries:
    async def test_several_deliveries_share_the_ordered_quantity(self, shop):
        order, [pumps, valves] = await shop.order(Line(quantity="10"), Line(quantity="4.5"))
        first = await shop.planned(order.id, (pumps.id, "3"), (valves.id, "4.5"))
        assert first["status"] == "planned" and first["order_id"] == order.id
        assert [(line["order_line_id"], line["quantity"]) for line in first["lines"]] == [
            (pumps.id, "3.000"), (valves.id, "4.500")]
        second = await shop.planned(order.id, (pumps.id, "6.999"))

        order, [pumps, valves] = await shop.state(order.id)
        assert (pumps.scheduled_quantity, valves.scheduled_quantity) == (
            Decimal("9.999"), Decimal("4.500"))
        # Planning takes quantities but ships nothing: the order is still only confirmed.
        assert order.status == OrderStatus.confirmed
        assert pumps.shipped_quantity == 0
        assert second["lines"][0]["line_no"] == 1

    async def test_exactly_the_remainder_is_accepted(self, shop):
        order, [line] = await shop.order(Line(quantity="10"))
        await shop.planned(order.id, (line.id, "7.5"))
        await shop.planned(order.id, (line.id, "2.5"))
        _, [line] = await shop.state(order.id)
        assert line.scheduled_quantity == line.quantity == Decimal("10.000")

    async def test_a_thousandth_beyond_the_remainder_is_refused_and_changes_nothing(self, shop):
        order, [line] = await shop.order(Line(quantity="10"))
        await shop.planned(order.id, (line.id, "7.5"))
        before, _ = await shop.state(order.id)
        problem = refused(await shop.plan(order.id, (line.id, "2.501")), 409,
                          "delivery.exceeds_undelivered")
        assert problem["lines"] == [{"order_line_id": line.id, "requested": "2.501",
                                     "undelivered": "2.500"}]
        after, [line] = await shop.state(order.id)
        assert line.scheduled_quantity == Decimal("7.500") and after.version == before.version
        listed = ok(await shop.client.get(DELIVERIES, headers=shop.logistics,
                                          params={"order_id": order.id}))
        assert len(listed["items"]) == 1

    async def test_every_line_that_does_not_fit_is_named(self, shop):
        order, [a, b, c] = await shop.order(Line(quantity="1"), Line(quantity="2"),
                                            Line(quantity="3"))
        problem = refused(await shop.plan(order.id, (a.id, "2"), (b.id, "2"), (c.id, "4")),
                          409, "delivery.exceeds_undelivered")
        assert [item["order_line_id"] for item in problem["lines"]] == [a.id, c.id]

    async def test_a_line_of_another_order_is_refused(self, shop):
        order, [line] = await shop.order()
        _, [foreign] = await shop.order()
        problem = refused(await shop.plan(order.id, (line.id, "1"), (foreign.id, "1")), 422,
                          "delivery.unknown_order_line")
        assert problem["order_line_ids"] == [foreign.id]
        _, [line] = await shop.state(order.id)
        assert line.scheduled_quantity == 0

    @pytest.mark.parametrize("quantity", ["0", "-1", "1.0001", "abc"])
    async def test_quantities_must_be_positive_with_three_places(self, shop, quantity):
        order, [line] = await shop.order()
        refused(await shop.plan(order.id, (line.id, quantity)), 422, "validation_error")

    async def test_one_order_line_once_per_delivery(self, shop):
        order, [line] = await shop.order()
        refused(await shop.plan(order.id, (line.id, "1"), (line.id, "2")), 422,
                "validation_error")


class TestRetries:
    async def test_a_retried_plan_with_its_key_takes_the_quantity_once(self, shop):
        order, [line] = await shop.order(Line(quantity="10"))
        headers = {**shop.logistics, "Idempotency-Key": "wms-plan-0001"}
        first = ok(await shop.plan(order.id, (line.id, "6"), headers=headers), 201)
        again = ok(await shop.plan(order.id, (line.id, "6"), headers=headers), 201)
        assert again["id"] == first["id"]
        _, [line] = await shop.state(order.id)
        assert line.scheduled_quantity == Decimal("6.000")

    async def test_a_retried_shipment_with_its_key_ships_once(self, shop):
        order, [line] = await shop.order(Line(quantity="10"))
        planned = await shop.planned(order.id, (line.id, "6"))
        headers = {**shop.erp, "Idempotency-Key": "wms-ship-0001"}
        first = ok(await shop.act(planned, "ship", SHIP, headers=headers))
        again = ok(await shop.act(planned, "ship", SHIP, headers=headers))
        assert again == first
        _, [line] = await shop.state(order.id)
        assert line.shipped_quantity == Decimal("6.000")


class TestWhichOrders:
    @pytest.mark.parametrize("status", [OrderStatus.draft, OrderStatus.pending_review,
                                        OrderStatus.credit_hold, OrderStatus.delivered,
                                        OrderStatus.closed, OrderStatus.cancelled])
    async def test_only_confirmed_or_partially_delivered_orders(self, shop, status):
        order, [line] = await shop.order(status=status)
        problem = refused(await shop.plan(order.id, (line.id, "1")), 409,
                          "delivery.order_not_deliverable")
        assert problem["order_status"] == status.value

    async def test_a_partially_delivered_order_takes_more_deliveries(self, shop):
        order, [line] = await shop.order(Line(quantity="10"))
        await shop.shipped(await shop.planned(order.id, (line.id, "4")))
        assert (await shop.state(order.id))[0].status == OrderStatus.partially_delivered
        await shop.planned(order.id, (line.id, "6"))

    async def test_another_reps_order_is_unknown_to_a_rep(self, shop, headers_for):
        order, [line] = await shop.order()
        liu = shop.company.other_rep
        problem = refused(await shop.plan(order.id, (line.id, "1"), headers=liu), 422,
                          "delivery.unknown_order")
        assert str(order.id) in problem["detail"]
        refused(await shop.plan(987654, (line.id, "1")), 422, "delivery.unknown_order")

    async def test_the_owner_and_the_department_head_plan(self, shop):
        order, [line] = await shop.order()
        ok(await shop.plan(order.id, (line.id, "1"), headers=shop.company.rep), 201)
        planned = ok(await shop.plan(order.id, (line.id, "1"), headers=shop.company.head), 201)
        assert planned["created_by"] == "head.wang"


class TestDefaults:
    async def test_ship_to_and_date_come_from_the_order(self, shop):
        order, [early, late] = await shop.order(
            Line(planned_delivery_date=date(2026, 4, 20)),
            Line(planned_delivery_date=date(2026, 4, 1)),
            delivery_address="宁波市北仑区新碶街道", requested_date=date(2026, 5, 1))
        both = await shop.planned(order.id, (early.id, "1"), (late.id, "1"))
        assert both["ship_to"] == "宁波市北仑区新碶街道" and both["planned_date"] == "2026-04-01"
        one = await shop.planned(order.id, (early.id, "1"))
        assert one["planned_date"] == "2026-04-20"

    async def test_without_line_dates_the_requested_date(self, shop):
        order, [line] = await shop.order(requested_date=date(2026, 5, 1))
        assert (await shop.planned(order.id, (line.id, "1")))["planned_date"] == "2026-05-01"

    async def test_without_an_order_address_the_customers(self, shop, client):
        ok(await client.patch(f"/api/v1/customers/{shop.company.customer_id}",
                              headers=shop.company.rep, json={"address": "杭州市滨江区"}))
        order, [line] = await shop.order(delivery_address=None)
        assert (await shop.planned(order.id, (line.id, "1")))["ship_to"] == "杭州市滨江区"

    async def test_given_values_win(self, shop):
        order, [line] = await shop.order(requested_date=date(2026, 5, 1))
        planned = await shop.planned(order.id, (line.id, "1"), planned_date="2026-03-20",
                                     ship_to="上海市浦东新区仓库")
        assert (planned["planned_date"], planned["ship_to"]) == ("2026-03-20", "上海市浦东新区仓库")
        assert planned["currency"] == "CNY" and planned["shipped_total"] == "0.00"
        assert planned["allowed_actions"] == ["update", "cancel", "ship"]
        assert planned["version"] == 1


class TestReschedule:
    async def test_a_planned_delivery_is_rescheduled(self, shop, client):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"))
        url = f"{DELIVERIES}/{planned['id']}"
        moved = ok(await client.patch(url, headers={**shop.company.rep, "If-Match": '"1"'},
                                      json={"planned_date": "2026-03-25", "ship_to": None}))
        assert (moved["planned_date"], moved["ship_to"], moved["version"]) == (
            "2026-03-25", None, 2)
        refused(await client.patch(url, headers={**shop.logistics, "If-Match": '"1"'},
                                   json={"planned_date": "2026-03-26"}), 412,
                "precondition_failed")
        await shop.shipped(moved)
        problem = refused(await client.patch(url, headers=shop.logistics,
                                             json={"planned_date": "2026-03-26"}), 409,
                          "state.invalid_transition")
        assert problem["current_status"] == "shipped"
