"""planned → shipped → delivered, cancel while planned, and the order following its
deliveries: first shipment partially delivered, all of it shipped delivered."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.events.models import Event
from app.orders import month_totals
from app.orders.models import OrderStatus
from tests.deliveries.conftest import SHIP, TODAY, ok, refused
from tests.factories.confirmed_orders import Line


async def _events(session, subject: str) -> list[Event]:
    return list((await session.execute(select(Event).where(Event.subject == subject)
                                       .order_by(Event.id))).scalars())


async def _audit(session, entity_type: str, entity_id: int) -> list[AuditEntry]:
    return list((await session.execute(select(AuditEntry).where(
        AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id))).scalars())


class TestShip:
    async def test_shipping_records_carrier_tracking_and_date(self, shop):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "4"))
        shipped = ok(await shop.act(planned, "ship", {**SHIP, "shipped_on": "2026-03-09"},
                                    if_match=1))
        assert (shipped["status"], shipped["carrier"], shipped["tracking_number"],
                shipped["shipped_on"], shipped["version"]) == (
            "shipped", "顺丰速运", "SF1234567890", "2026-03-09", 2)
        assert shipped["allowed_actions"] == ["deliver", "return"]

    async def test_the_date_defaults_to_today_and_the_tracking_number_is_optional(self, shop):
        order, [line] = await shop.order()
        shipped = ok(await shop.act(await shop.planned(order.id, (line.id, "1")), "ship",
                                    {"carrier": "客户自提"}))
        assert (shipped["shipped_on"], shipped["tracking_number"]) == (TODAY, None)

    async def test_a_shipping_date_after_today_is_refused(self, shop):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"))
        refused(await shop.act(planned, "ship", {**SHIP, "shipped_on": "2026-03-11"}), 422,
                "delivery.date_in_future")
        assert (await shop.get(planned["id"])).json()["status"] == "planned"

    async def test_a_carrier_is_required(self, shop):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"))
        refused(await shop.act(planned, "ship", {"tracking_number": "X1"}), 422,
                "validation_error")

    async def test_a_stale_version_is_refused(self, shop):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"))
        await shop.client.patch(f"/api/v1/deliveries/{planned['id']}", headers=shop.logistics,
                                json={"planned_date": "2026-03-12"})
        problem = refused(await shop.act(planned, "ship", SHIP, if_match=1), 412,
                          "precondition_failed")
        assert problem["current_version"] == 2
        _, [line] = await shop.state(order.id)
        assert line.shipped_quantity == 0

    async def test_shipping_twice_is_refused_with_the_allowed_next_states(self, shop):
        order, [line] = await shop.order()
        shipped = await shop.shipped(await shop.planned(order.id, (line.id, "1")))
        problem = refused(await shop.act(shipped, "ship", SHIP), 409, "state.invalid_transition")
        assert (problem["current_status"], problem["allowed_next"]) == ("shipped", ["delivered"])
        _, [line] = await shop.state(order.id)
        assert line.shipped_quantity == 1

    async def test_the_order_must_still_be_open(self, shop, session):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"))
        counted = month_totals.counted(order)
        order.status = OrderStatus.cancelled  # as the orders domain would cancel it
        month_totals.track_order(session, order, counted)
        await session.commit()
        problem = refused(await shop.act(planned, "ship", SHIP), 409,
                          "delivery.order_not_deliverable")
        assert problem["order_status"] == "cancelled"
        listed = ok(await shop.get(planned["id"]))
        assert listed["allowed_actions"] == ["update", "cancel"]


class TestOrderFollows:
    async def test_first_shipment_then_all_of_it(self, shop, session):
        order, [pumps, valves] = await shop.order(Line(quantity="10"), Line(quantity="2"))
        first = await shop.planned(order.id, (pumps.id, "6"), (valves.id, "2"))
        second = await shop.planned(order.id, (pumps.id, "4"))
        assert (await shop.state(order.id))[0].status == OrderStatus.confirmed

        await shop.shipped(first)
        order_now, [pumps, valves] = await shop.state(order.id)
        assert order_now.status == OrderStatus.partially_delivered
        assert (pumps.shipped_quantity, valves.shipped_quantity) == (6, 2)

        await shop.shipped(second)
        order_now, [pumps, _] = await shop.state(order.id)
        assert order_now.status == OrderStatus.delivered and pumps.shipped_quantity == 10

        moves = await _events(session, f"order:{order.id}")
        assert [e.type for e in moves] == ["order.partially_delivered", "order.delivered"]
        assert [(e.data["previous_status"], e.data["status"], e.data["delivery_id"])
                for e in moves] == [("confirmed", "partially_delivered", first["id"]),
                                    ("partially_delivered", "delivered", second["id"])]
        assert moves[1].data["lines"][0]["shipped_quantity"] == "10.000"
        audit = await _audit(session, "order", order.id)
        assert [(a.action, a.before["status"], a.after["status"]) for a in audit] == [
            ("order.partially_delivered", "confirmed", "partially_delivered"),
            ("order.delivered", "partially_delivered", "delivered")]
        assert all(a.actor_id == "wh.chen" for a in audit)

    async def test_one_shipment_of_everything_delivers_at_once(self, shop, session):
        order, [line] = await shop.order(Line(quantity="3"))
        await shop.shipped(await shop.planned(order.id, (line.id, "3")))
        assert (await shop.state(order.id))[0].status == OrderStatus.delivered
        assert [e.type for e in await _events(session, f"order:{order.id}")] == [
            "order.delivered"]

    async def test_delivered_follows_shipping_not_receipt(self, shop):
        order, [line] = await shop.order(Line(quantity="3"))
        shipped = await shop.shipped(await shop.planned(order.id, (line.id, "3")))
        assert (await shop.state(order.id))[0].status == OrderStatus.delivered
        received = await shop.received(shipped)
        assert received["status"] == "delivered"
        assert (await shop.state(order.id))[0].status == OrderStatus.delivered

    async def test_planned_but_unshipped_quantity_keeps_it_partial(self, shop):
        order, [line] = await shop.order(Line(quantity="3"))
        await shop.shipped(await shop.planned(order.id, (line.id, "2")))
        await shop.planned(order.id, (line.id, "1"))
        assert (await shop.state(order.id))[0].status == OrderStatus.partially_delivered


class TestReceipt:
    async def test_the_customers_receipt(self, shop, clock):
        order, [line] = await shop.order()
        shipped = await shop.shipped(await shop.planned(order.id, (line.id, "1")))
        received = ok(await shop.act(shipped, "deliver", {
            "received_by": "王经理", "received_at": "2026-03-10T09:30:00+08:00"}, if_match=2))
        assert (received["status"], received["received_by"], received["received_at"],
                received["version"]) == ("delivered", "王经理", "2026-03-10T01:30:00Z", 3)
        assert received["allowed_actions"] == ["return"]

    async def test_the_time_defaults_to_now(self, shop, clock):
        order, [line] = await shop.order()
        shipped = await shop.shipped(await shop.planned(order.id, (line.id, "1")))
        received = await shop.received(shipped)
        assert received["received_at"] == "2026-03-10T02:00:00Z"

    async def test_times_in_the_future_or_before_shipping_are_refused(self, shop, clock):
        order, [line] = await shop.order()
        shipped = await shop.shipped(await shop.planned(order.id, (line.id, "1")),
                                     shipped_on="2026-03-09")
        later = (clock.now + timedelta(hours=1)).isoformat()
        refused(await shop.act(shipped, "deliver", {"received_by": "王", "received_at": later}),
                422, "delivery.date_in_future")
        # 23:59 on the 8th in Shanghai is the day before the shipment.
        problem = refused(await shop.act(shipped, "deliver", {
            "received_by": "王", "received_at": "2026-03-08T15:59:00Z"}), 422,
            "delivery.date_before_shipment")
        assert problem["shipped_on"] == "2026-03-09"
        ok(await shop.act(shipped, "deliver", {"received_by": "王",
                                               "received_at": "2026-03-08T16:00:00Z"}))

    @pytest.mark.parametrize("received_at", ["2026-03-10T09:30:00", "0001-01-01T00:00:00+08:00"])
    async def test_a_time_needs_its_offset_and_a_sensible_year(self, shop, received_at):
        order, [line] = await shop.order()
        shipped = await shop.shipped(await shop.planned(order.id, (line.id, "1")))
        refused(await shop.act(shipped, "deliver", {"received_by": "王",
                                                    "received_at": received_at}),
                422, "validation_error")

    async def test_only_a_shipped_delivery_is_received(self, shop):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"))
        problem = refused(await shop.act(planned, "deliver", {"received_by": "王"}), 409,
                          "state.invalid_transition")
        assert problem["allowed_next"] == ["cancelled", "shipped"]
        received = await shop.received(await shop.shipped(planned))
        problem = refused(await shop.act(received, "deliver", {"received_by": "王"}), 409,
                          "state.invalid_transition")
        assert (problem["current_status"], problem["allowed_next"]) == ("delivered", [])


class TestCancel:
    async def test_cancelling_releases_the_quantity(self, shop, session):
        order, [line] = await shop.order(Line(quantity="10"))
        planned = await shop.planned(order.id, (line.id, "10"))
        refused(await shop.plan(order.id, (line.id, "1")), 409, "delivery.exceeds_undelivered")
        cancelled = ok(await shop.act(planned, "cancel", {"reason": "客户推迟"}, if_match=1))
        assert (cancelled["status"], cancelled["cancel_reason"], cancelled["allowed_actions"]) == (
            "cancelled", "客户推迟", [])
        _, [line] = await shop.state(order.id)
        assert line.scheduled_quantity == 0
        await shop.planned(order.id, (line.id, "10"))
        event = (await _events(session, f"delivery:{planned['id']}"))[-1]
        assert (event.type, event.data["reason"]) == ("delivery.cancelled", "客户推迟")

    async def test_a_reason_is_required(self, shop):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"))
        refused(await shop.act(planned, "cancel", {"reason": " "}), 422, "validation_error")

    async def test_only_planned_deliveries_are_cancelled(self, shop):
        order, [line] = await shop.order()
        shipped = await shop.shipped(await shop.planned(order.id, (line.id, "1")))
        problem = refused(await shop.act(shipped, "cancel", {"reason": "晚了"}), 409,
                          "state.invalid_transition")
        assert problem["allowed_next"] == ["delivered"]
        _, [line] = await shop.state(order.id)
        assert (line.scheduled_quantity, line.shipped_quantity) == (1, 1)

    async def test_a_cancelled_delivery_stays_cancelled(self, shop):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "1"))
        cancelled = ok(await shop.act(planned, "cancel", {"reason": "重复"}))
        for action, body in (("ship", SHIP), ("cancel", {"reason": "再次"})):
            problem = refused(await shop.act(cancelled, action, body), 409,
                              "state.invalid_transition")
            assert (problem["current_status"], problem["allowed_next"]) == ("cancelled", [])
        _, [line] = await shop.state(order.id)
        assert line.scheduled_quantity == 0


class TestAudit:
    async def test_every_step_has_its_audit_row_and_event(self, shop, session):
        order, [line] = await shop.order()
        planned = await shop.planned(order.id, (line.id, "2"))
        shipped = await shop.shipped(planned)
        received = await shop.received(shipped)
        await shop.returned(received, (received["lines"][0]["id"], "1"))
        subject = f"delivery:{planned['id']}"
        types = ["delivery.planned", "delivery.shipped", "delivery.delivered",
                 "delivery.returned"]
        assert [e.type for e in await _events(session, subject)] == types
        audit = await _audit(session, "delivery", planned["id"])
        assert [a.action for a in audit] == types
        assert [(a.before or {}).get("status") for a in audit] == [
            None, "planned", "shipped", "delivered"]
        assert audit[-1].after["lines"][0]["returned_quantity"] == "1.000"
