"""Every order event, written by real flows, matches its published schema, and comes with
its audit row in the same transaction."""

from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.events.models import Event
from tests.factories.orders import ORDERS
from tests.orders.test_review import deliver
from tests.webhooks.test_catalog import assert_events_match_catalog

ORDER_TYPES = {"order.created", "order.updated", "order.submitted", "order.credit_hold",
               "order.released", "order.confirmed", "order.rejected", "order.recalled",
               "order.scheduled", "order.cancelled", "order.closed"}


async def test_order_payloads(shop, client, company, session, logistics):
    baseline = await session.scalar(select(func.coalesce(func.max(Event.id), 0)))
    await shop.set_credit("500")
    contract = await shop.signed_contract(("10", "100.00"))
    held = await shop.place(contract, "6", requested_date="2099-03-01")
    held = await shop.ok(await client.patch(f"{ORDERS}/{held['id']}", headers=company.rep,
                                            json={"notes": "分两批"}))
    held = await shop.submit(held)
    assert held["status"] == "credit_hold"
    await shop.ok(await client.post(f"{ORDERS}/{held['id']}/schedule", headers=logistics,
                                    json={"planned_delivery_date": "2099-02-20"}))
    await shop.approve_all(held["approval"]["id"])
    await deliver(session, held, "6")
    await shop.ok(await client.post(f"{ORDERS}/{held['id']}/close", headers=company.head,
                                    json={}))

    rejected = await shop.submit(await shop.place(contract, "1"))
    await shop.ok(await client.post(f"/api/v1/approvals/{rejected['approval']['id']}/reject",
                                    headers=logistics, json={"comment": "交期不可行"}))
    await shop.submit(rejected)
    await shop.ok(await client.post(f"{ORDERS}/{rejected['id']}/recall", headers=company.rep))
    await shop.ok(await client.post(f"{ORDERS}/{rejected['id']}/cancel", headers=company.rep,
                                    json={"reason": "客户取消"}))
    in_review = await shop.submit(await shop.place(contract, "1"))
    await shop.ok(await client.post(f"{ORDERS}/{in_review['id']}/cancel", headers=company.head,
                                    json={"reason": "客户取消"}))

    seen = await assert_events_match_catalog(session, baseline)
    assert ORDER_TYPES <= set(seen)
    held_types = (await session.execute(select(Event.type).where(
        Event.subject == f"order:{held['id']}").order_by(Event.id))).scalars().all()
    assert held_types == ["order.created", "order.updated", "order.submitted",
                          "order.credit_hold", "order.scheduled", "order.released",
                          "order.confirmed", "order.closed"]
    audited = (await session.execute(select(AuditEntry.action).where(
        AuditEntry.entity_type == "order",
        AuditEntry.entity_id == str(held["id"])).order_by(AuditEntry.id))).scalars().all()
    assert audited == held_types
