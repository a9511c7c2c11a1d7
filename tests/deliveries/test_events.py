"""Shipping tells finance and the ERP in the same transaction (SPEC §6): `delivery.shipped`
carries what an invoice needs, exists exactly when the shipment committed, and every
delivery event matches the published catalog."""

from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.events.models import Event
from tests.deliveries.conftest import SHIP, ok
from tests.factories.confirmed_orders import Line
from tests.webhooks.test_catalog import assert_events_match_catalog


async def _count(session, model, **where) -> int:
    statement = select(func.count()).select_from(model)
    for name, value in where.items():
        statement = statement.where(getattr(model, name) == value)
    return await session.scalar(statement)


async def test_shipped_event_carries_what_finance_invoices(shop, session):
    order, [pumps, valves] = await shop.order(
        Line(quantity="10", unit_price="1000.00", discount_percent="5", tax_rate="0.13"),
        Line(quantity="4", unit_price="25.50", tax_rate="0.09"),
        currency="USD", exchange_rate="7.1", payment_terms_days=60)
    shipped = await shop.shipped(await shop.planned(order.id, (pumps.id, "2"),
                                                    (valves.id, "4")))
    [event] = (await session.execute(select(Event).where(
        Event.subject == f"delivery:{shipped['id']}", Event.type == "delivery.shipped"))).scalars()
    data = event.data
    assert {key: data[key] for key in (
        "id", "order_id", "customer_id", "department_id", "owner_id", "status", "carrier",
        "tracking_number", "shipped_on", "currency", "exchange_rate", "payment_terms_days",
        "subtotal", "tax_total", "total", "total_base")} == {
        "id": shipped["id"], "order_id": order.id, "customer_id": shop.company.customer_id,
        "department_id": "east", "owner_id": "rep.zhang", "status": "shipped",
        "carrier": "顺丰速运", "tracking_number": "SF1234567890", "shipped_on": "2026-03-10",
        "currency": "USD", "exchange_rate": "7.100000", "payment_terms_days": 60,
        # 2 × 950.00 = 1900.00 + 247.00 tax; 4 × 25.50 = 102.00 + 9.18 tax.
        "subtotal": "2002.00", "tax_total": "256.18", "total": "2258.18",
        "total_base": "16033.08"}
    assert data["lines"][0] == {
        "id": shipped["lines"][0]["id"], "line_no": 1, "order_line_id": pumps.id,
        "product_id": pumps.product_id, "description": pumps.description,
        "quantity": "2.000", "returned_quantity": "0.000", "unit_price": "1000.0000",
        "discount_percent": "5.00", "tax_rate": "0.1300", "net_amount": "1900.00",
        "tax_amount": "247.00", "total_amount": "2147.00"}
    assert shipped["shipped_total"] == "2258.18" and shipped["shipped_total_base"] == "16033.08"


async def test_a_shipment_that_fails_at_commit_leaves_no_event_and_no_change(
        shop, session, engine):
    order, [line] = await shop.order()
    planned = await shop.planned(order.id, (line.id, "4"))
    events_before = await _count(session, Event)
    audit_before = await _count(session, AuditEntry)

    def fail_order_line_update(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE sales_order_line"):
            raise RuntimeError("disk full (injected)")

    sa_event.listen(engine.sync_engine, "before_cursor_execute", fail_order_line_update)
    try:
        response = await shop.act(planned, "ship", SHIP)
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", fail_order_line_update)
    assert response.status_code == 500
    assert await _count(session, Event) == events_before
    assert await _count(session, AuditEntry) == audit_before
    delivery = ok(await shop.get(planned["id"]))
    assert (delivery["status"], delivery["version"], delivery["shipped_total"]) == (
        "planned", 1, "0.00")
    order_now, [line] = await shop.state(order.id)
    assert order_now.status == "confirmed" and line.shipped_quantity == 0

    # The same shipment, now able to commit: its event and the order's, with their rows.
    await shop.shipped(planned)
    assert await _count(session, Event, type="delivery.shipped",
                        subject=f"delivery:{planned['id']}") == 1
    assert await _count(session, AuditEntry, action="order.partially_delivered",
                        entity_id=str(order.id)) == 1


async def test_every_delivery_event_matches_the_catalog(shop, session, client):
    since = await session.scalar(select(func.coalesce(func.max(Event.id), 0)))
    order, [pumps, valves] = await shop.order(Line(quantity="5"), Line(quantity="2"))
    first = await shop.planned(order.id, (pumps.id, "3"), (valves.id, "2"))
    ok(await client.patch(f"/api/v1/deliveries/{first['id']}", headers=shop.logistics,
                          json={"planned_date": "2026-03-20", "ship_to": None}))
    received = await shop.received(await shop.shipped(first))
    await shop.returned(received, (received["lines"][1]["id"], "1"))
    second = await shop.planned(order.id, (pumps.id, "2"), (valves.id, "1"))
    await shop.received(await shop.shipped(second))

    cancelled_order, [line] = await shop.order()
    ok(await shop.act(await shop.planned(cancelled_order.id, (line.id, "1")), "cancel",
                      {"reason": "客户取消"}))

    seen = await assert_events_match_catalog(session, since)
    assert {"delivery.planned", "delivery.updated", "delivery.shipped", "delivery.delivered",
            "delivery.returned", "delivery.cancelled", "order.partially_delivered",
            "order.delivered"} <= set(seen)
    order_moves = [t for t in seen if t.startswith("order.")]
    assert order_moves == ["order.partially_delivered", "order.delivered"]
