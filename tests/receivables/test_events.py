"""Every receivable event as receivers get it: validated strictly against the published
catalog (app/webhooks/catalog.py), with no field it does not document."""

from datetime import timedelta

from app import worker
from app.events.models import Event
from tests.receivables.conftest import RECEIVABLES, ok
from tests.receivables.test_contracts import _confirmed, _ship, orders  # noqa: F401
from tests.webhooks.test_catalog import assert_events_match_catalog


async def test_receivable_and_payment_payloads(desk, session, sessionmaker, orders):  # noqa: F811
    from sqlalchemy import func, select

    since = await session.scalar(select(func.coalesce(func.max(Event.id), 0)))
    contract = await orders.signed_contract(("2", "100.00"), payment_schedule=[
        {"kind": "prepayment", "percent": "50"}, {"kind": "on_delivery", "percent": "50"}])
    prepayment = ok(await desk.client.post(RECEIVABLES, headers=desk.company.finance, json={
        "contract_id": contract["id"], "milestone_index": 0, "invoice_number": "FP-1"}), 201)
    order = await _confirmed(orders, contract, "2")
    shipped = await _ship(desk, order, "2")
    ok(await desk.pay(prepayment["id"], prepayment["amount"], "P-1"), 201)
    ok(await desk.post(shipped["id"], "dunning", {"action": "reminder_letter"}))
    later = desk.clock.now + timedelta(days=90)
    assert (await worker.run_pass(sessionmaker, lambda: later))["receivables_overdue"] == 1
    request = ok(await desk.post(shipped["id"], "write-off", {"reason": "客户破产"}))
    ok(await desk.post(shipped["id"], "write-off/recall"))
    request = ok(await desk.post(shipped["id"], "write-off", {"reason": "客户破产"}))
    ok(await desk.client.post(f"/api/v1/approvals/{request['approval']['id']}/reject",
                              headers=desk.company.finance2, json={"comment": "继续催收"}))
    request = ok(await desk.post(shipped["id"], "write-off", {"reason": "客户破产"}))
    for headers in (desk.company.finance2, desk.company.gm):
        ok(await desk.client.post(f"/api/v1/approvals/{request['approval']['id']}/approve",
                                  headers=headers, json={}))
    ok(await desk.pay(prepayment["id"], prepayment["amount"], "P-1"))  # a replay: no event
    types = set(await assert_events_match_catalog(session, since))
    assert {"receivable.issued", "payment.received", "receivable.dunning_recorded",
            "receivable.overdue", "receivable.write_off_requested",
            "receivable.write_off_recalled", "receivable.write_off_rejected",
            "receivable.written_off"} <= types


async def test_contract_completed_payload(desk, session, orders):  # noqa: F811
    from sqlalchemy import func, select

    since = await session.scalar(select(func.coalesce(func.max(Event.id), 0)))
    contract = await orders.signed_contract(("1", "100.00"))
    order = await _confirmed(orders, contract, "1")
    shipped = await _ship(desk, order, "1")
    ok(await desk.pay(shipped["id"], shipped["amount"], "ALL-1"), 201)
    assert "contract.completed" in await assert_events_match_catalog(session, since)
