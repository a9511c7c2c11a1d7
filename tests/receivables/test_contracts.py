"""A contract paid by milestones is invoiced once: its shipments bill the on-delivery
share, finance the prepayment; and the contract is completed when all of it is delivered
and all of it is paid."""

from decimal import Decimal

import pytest

from tests.factories.orders import Shop as OrderShop
from tests.receivables.conftest import RECEIVABLES, ok

CONTRACTS = "/api/v1/contracts"


@pytest.fixture
def orders(desk) -> OrderShop:
    company = desk.company
    deciders = {"finance": company.finance, "logistics": desk.shop.logistics,
                "legal": company.legal, "head": company.head, "vp": company.vp,
                "gm": company.gm, "board": company.board}
    return OrderShop(desk.client, company, desk.shop.logistics, deciders)


async def _confirmed(orders: OrderShop, contract: dict, *quantities: str) -> dict:
    await orders.set_credit("1000000.00")
    order = await orders.place(contract, *quantities)
    submitted = await orders.submit(order)
    await orders.approve_all(submitted["approval"]["id"])
    return await orders.get(order)


async def _ship(desk, order: dict, quantity: str) -> dict:
    delivery = await desk.shop.planned(order["id"], (order["lines"][0]["id"], quantity))
    await desk.shop.shipped(delivery)
    [receivable] = [r for r in ok(await desk.client.get(
        RECEIVABLES, headers=desk.company.finance, params={"order_id": order["id"]}))["items"]
        if r["delivery_id"] == delivery["id"]]
    return receivable


async def _contract_state(desk, contract: dict) -> str:
    return ok(await desk.client.get(f"{CONTRACTS}/{contract['id']}",
                                    headers=desk.company.rep))["status"]


async def test_prepayment_by_finance_the_rest_by_shipments_then_completed(desk, orders):
    contract = await orders.signed_contract(("10", "100.00"), payment_schedule=[
        {"kind": "prepayment", "percent": "30"}, {"kind": "on_delivery", "percent": "70"}])
    total = Decimal(contract["total"])
    prepayment = ok(await desk.client.post(RECEIVABLES, headers=desk.company.finance, json={
        "contract_id": contract["id"], "milestone_index": 0}), 201)
    assert prepayment["amount"] == f"{total * Decimal('0.30'):.2f}"
    order = await _confirmed(orders, contract, "10")
    first = await _ship(desk, order, "4")
    assert first["amount"] == f"{Decimal(order['total']) * 4 / 10 * Decimal('0.70'):.2f}"
    # The whole shipped value left the order's uninvoiced part: the milestone billed the rest.
    assert (await orders.get(order))["invoiced_base"] == f"{Decimal(order['total']) * 4 / 10:.2f}"
    exposure = await desk.exposure()
    order_total = Decimal(order["total_base"])
    assert Decimal(exposure["orders_uninvoiced"]) == order_total - order_total * 4 / 10
    assert Decimal(exposure["receivables_open"]) == Decimal(prepayment["amount"]) + Decimal(
        first["amount"])
    ok(await desk.pay(prepayment["id"], prepayment["amount"], "PRE-1"), 201)
    ok(await desk.pay(first["id"], first["amount"], "SHIP-1"), 201)
    assert Decimal((await desk.exposure())["receivables_open"]) == 0
    assert await _contract_state(desk, contract) == "signed"  # 6 still to deliver
    second = await _ship(desk, order, "6")
    assert Decimal(first["amount"]) + Decimal(second["amount"]) + Decimal(
        prepayment["amount"]) == total
    assert await _contract_state(desk, contract) == "signed"  # not all paid yet
    ok(await desk.pay(second["id"], second["amount"], "SHIP-2"), 201)
    assert await _contract_state(desk, contract) == "completed"
    events = [e.type for e in await desk.events(f"contract:{contract['id']}")]
    assert events[-1] == "contract.completed"


async def test_a_contract_paid_ahead_completes_on_its_last_shipment(desk, orders):
    contract = await orders.signed_contract(("2", "100.00"), payment_schedule=[
        {"kind": "prepayment", "percent": "100"}])
    prepayment = ok(await desk.client.post(RECEIVABLES, headers=desk.company.finance, json={
        "contract_id": contract["id"], "milestone_index": 0}), 201)
    ok(await desk.pay(prepayment["id"], prepayment["amount"], "PRE-ALL"), 201)
    assert await _contract_state(desk, contract) == "signed"
    order = await _confirmed(orders, contract, "2")
    delivery = await desk.shop.planned(order["id"], (order["lines"][0]["id"], "2"))
    await desk.shop.shipped(delivery)
    # Nothing billed on delivery: no receivable, and the contract is done.
    assert ok(await desk.client.get(RECEIVABLES, headers=desk.company.finance,
                                    params={"order_id": order["id"]}))["items"] == []
    assert await _contract_state(desk, contract) == "completed"


async def test_a_milestone_not_yet_invoiced_keeps_the_contract_open(desk, orders):
    contract = await orders.signed_contract(("1", "100.00"), payment_schedule=[
        {"kind": "on_delivery", "percent": "90"}, {"kind": "retention", "percent": "10"}])
    order = await _confirmed(orders, contract, "1")
    shipped = await _ship(desk, order, "1")
    ok(await desk.pay(shipped["id"], shipped["amount"], "S-1"), 201)
    assert await _contract_state(desk, contract) == "signed"  # retention not invoiced
    retention = ok(await desk.client.post(RECEIVABLES, headers=desk.company.finance, json={
        "contract_id": contract["id"], "milestone_index": 1}), 201)
    ok(await desk.pay(retention["id"], retention["amount"], "R-1"), 201)
    assert await _contract_state(desk, contract) == "completed"
