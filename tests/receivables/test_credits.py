"""Credit notes (红字冲销): a delivery return credits the delivery's receivable by the
value of the goods back, never below zero (the rest is to refund); finance credits by
hand within the balance; the exposure follows, and a contract still completes when all of
it is delivered and nothing is owed."""

from decimal import Decimal

import pytest

from tests.factories.orders import Shop as OrderShop
from tests.receivables.conftest import ok, refused
from tests.receivables.test_contracts import _confirmed, _contract_state, _ship


async def _shipped(desk) -> tuple[dict, dict]:
    """10 × 100.00 at 13 % shipped whole: the delivery and its receivable (1,130.00)."""
    order, [line] = await desk.shop.order()
    delivery = await desk.shop.planned(order.id, (line.id, "10"))
    delivery = await desk.shop.shipped(delivery)
    [receivable] = ok(await desk.client.get(
        "/api/v1/receivables", headers=desk.company.finance,
        params={"order_id": order.id}))["items"]
    return delivery, receivable


async def _return(desk, delivery: dict, quantity: str, **headers: str) -> dict:
    return ok(await desk.shop.act(delivery, "returns", {
        "lines": [{"delivery_line_id": delivery["lines"][0]["id"], "quantity": quantity}],
        "reason": "外壳破损"}, headers={**desk.shop.logistics, **headers}), 201)


class TestDeliveryReturns:
    async def test_a_return_credits_its_value_and_the_balance_follows(self, desk):
        delivery, receivable = await _shipped(desk)
        returned = await _return(desk, delivery, "2")
        [record] = returned["returns"]
        assert (record["total"], record["receivable_id"], record["credited"],
                record["to_refund"]) == ("226.00", receivable["id"], "226.00", "0.00")
        after = await desk.read(receivable["id"])
        assert (after["balance"], after["credited"], after["status"]) == (
            "904.00", "226.00", "partially_paid")
        [note] = after["credits"]
        assert (note["id"], note["source"], note["source_id"], note["amount"],
                note["amount_base"]) == (record["credit_note_id"], "delivery_return",
                                         record["id"], "226.00", "226.00")
        assert note["number"].startswith("HZ-")
        assert await desk.receivables_open() == "904.00"
        types = [e.type for e in await desk.events(f"receivable:{receivable['id']}")]
        assert types == ["receivable.issued", "receivable.credited"]
        [event] = [e for e in await desk.events(f"delivery:{delivery['id']}")
                   if e.type == "delivery.returned"]
        assert (event.data["credited"], event.data["to_refund"]) == ("226.00", "0.00")

    async def test_after_a_partial_payment_the_credit_is_capped_and_the_rest_refunded(
            self, desk):
        delivery, receivable = await _shipped(desk)
        ok(await desk.pay(receivable["id"], "1000.00"), 201)
        returned = await _return(desk, delivery, "5")
        [record] = returned["returns"]
        # 565.00 back, 130.00 still owed: that is credited, 435.00 is the customer's money.
        assert (record["total"], record["credited"], record["to_refund"]) == (
            "565.00", "130.00", "435.00")
        after = await desk.read(receivable["id"])
        assert (after["balance"], after["credited"], after["status"]) == (
            "0.00", "130.00", "paid")
        assert await desk.receivables_open() == "0.00"

    async def test_a_paid_receivable_is_not_credited_all_is_to_refund(self, desk):
        delivery, receivable = await _shipped(desk)
        ok(await desk.pay(receivable["id"], "1130.00"), 201)
        [record] = (await _return(desk, delivery, "1"))["returns"]
        assert (record["credited"], record["to_refund"], record["credit_note_id"]) == (
            "0.00", "113.00", None)
        assert (await desk.read(receivable["id"]))["credits"] == []

    async def test_a_retried_return_credits_once_and_the_next_return_again(self, desk):
        delivery, receivable = await _shipped(desk)
        first = await _return(desk, delivery, "1", **{"Idempotency-Key": "wms-return-1"})
        again = await _return(desk, delivery, "1", **{"Idempotency-Key": "wms-return-1"})
        assert again == first
        after = await desk.read(receivable["id"])
        assert (after["balance"], len(after["credits"])) == ("1017.00", 1)
        await _return(desk, delivery, "1")
        after = await desk.read(receivable["id"])
        assert (after["balance"], [c["amount"] for c in after["credits"]]) == (
            "904.00", ["113.00", "113.00"])


class TestManualCredit:
    async def test_the_whole_balance_is_creditable_a_cent_more_is_not(self, desk):
        _, receivable = await _shipped(desk)
        ok(await desk.pay(receivable["id"], "100.00"), 201)
        problem = refused(await desk.post(receivable["id"], "credits", {
            "amount": "1030.01", "reason": "发票开错"}), 409,
            "receivable.credit_exceeds_balance")
        assert problem["balance"] == "1030.00"
        credited = ok(await desk.post(receivable["id"], "credits", {
            "amount": "1030.00", "reason": "发票开错"}))
        assert (credited["balance"], credited["credited"], credited["status"]) == (
            "0.00", "1030.00", "paid")
        [note] = credited["credits"]
        assert (note["source"], note["source_id"], note["reason"], note["created_by"]) == (
            "adjustment", None, "发票开错", "fin.qian")
        assert await desk.receivables_open() == "0.00"
        refused(await desk.post(receivable["id"], "credits", {
            "amount": "0.01", "reason": "x"}), 409, "receivable.not_creditable")

    async def test_finance_only_with_a_reason_and_the_version_it_saw(self, desk):
        _, receivable = await _shipped(desk)
        refused(await desk.post(receivable["id"], "credits", {"amount": "1.00", "reason": "x"},
                                headers=desk.company.gm), 403, "forbidden")
        assert (await desk.post(receivable["id"], "credits", {"amount": "1.00"})
                ).status_code == 422
        stale = {**desk.company.finance, "If-Match": f'"{receivable["version"] + 1}"'}
        refused(await desk.post(receivable["id"], "credits", {"amount": "1.00", "reason": "x"},
                                headers=stale), 412, "precondition_failed")
        fresh = {**desk.company.finance, "If-Match": f'"{receivable["version"]}"',
                 "Idempotency-Key": "credit-1"}
        first = ok(await desk.post(receivable["id"], "credits",
                                   {"amount": "1.00", "reason": "x"}, headers=fresh))
        again = ok(await desk.post(receivable["id"], "credits",
                                   {"amount": "1.00", "reason": "x"}, headers=fresh))
        assert again == first and first["balance"] == "1129.00"
        assert "credit" in first["allowed_actions"]


@pytest.fixture
def orders(desk) -> OrderShop:
    company = desk.company
    deciders = {"finance": company.finance, "logistics": desk.shop.logistics,
                "legal": company.legal, "head": company.head, "vp": company.vp,
                "gm": company.gm, "board": company.board}
    return OrderShop(desk.client, company, desk.shop.logistics, deciders)


async def test_a_contract_with_credited_returns_completes_when_nothing_is_owed(desk, orders):
    contract = await orders.signed_contract(("10", "100.00"))
    order = await _confirmed(orders, contract, "10")
    shipped = await _ship(desk, order, "10")
    delivery = await desk.shop.get(shipped["delivery_id"])
    await _return(desk, delivery.json(), "1")
    assert await _contract_state(desk, contract) == "signed"  # one unit is back
    again = await _ship(desk, order, "1")
    first = await desk.read(shipped["id"])
    assert Decimal(first["balance"]) + Decimal(first["credited"]) == Decimal(first["amount"])
    ok(await desk.pay(first["id"], first["balance"], "SHIP-1"), 201)
    assert await _contract_state(desk, contract) == "signed"  # the replacement is owed
    ok(await desk.pay(again["id"], again["balance"], "SHIP-2"), 201)
    assert await _contract_state(desk, contract) == "completed"
