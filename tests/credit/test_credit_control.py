"""Credit control at an order's submission (SPEC §5): exposure (open receivables +
confirmed orders not invoiced + orders in review) plus the order against the limit, the D
rating, full prepayment, the GM's release, and the running counters behind it."""

from decimal import Decimal

from sqlalchemy import func, select

from app.credit import service as credit
from app.credit.models import CustomerCredit
from app.orders.models import Order
from app.orders.states import CONFIRMED, IN_REVIEW
from tests.factories.orders import ORDERS
from tests.orders.test_review import deliver


async def _held_order(shop, *, limit="1000.00", first="600", second="400.01") -> tuple:
    """Limit 1000: an order of `first` in review, then one of `second` submitted."""
    await shop.set_credit(limit)
    contract = await shop.signed_contract(("1", first), ("1", second))
    earlier = await shop.submit(await shop.place(contract, "1"))
    return earlier, await shop.submit(await shop.place(contract, None, "1"))


class TestTheCheck:
    async def test_exposure_plus_amount_equal_to_the_limit_passes(self, shop):
        earlier, order = await _held_order(shop, second="400.00")
        assert earlier["status"] == order["status"] == "pending_review"
        check = order["credit_check"]
        assert (check["outcome"], check["reasons"], check["orders_in_review"], check["exposure"],
                check["order_amount"], check["exposure_after"], check["amount_over"]) == (
            "passed", [], "600.00", "600.00", "400.00", "1000.00", "0.00")

    async def test_one_cent_over_holds_and_explains_itself(self, shop):
        _, order = await _held_order(shop)
        assert (order["status"], order["credit_held"]) == ("credit_hold", True)
        assert order["credit_check"] | {"checked_at": None} == {
            "outcome": "held", "reasons": ["over_limit"], "waived_by_prepayment": False,
            "credit_rating": "B", "credit_limit": "1000.00", "receivables_open": "0.00",
            "orders_uninvoiced": "0.00", "orders_in_review": "600.00", "exposure": "600.00",
            "order_amount": "400.01", "exposure_after": "1000.01", "amount_over": "0.01",
            "prepayment_percent": "0.00", "releasable_by": ["gm"], "checked_at": None}
        assert [(stage["name"], [s["role"] for s in stage["steps"]])
                for stage in order["approval"]["stages"]] == [
            ("review", ["finance", "logistics"]), ("credit_release", ["gm"])]
        assert (await shop.exposure())["orders_in_review"] == "1000.01"

    async def test_rating_d_holds_within_the_limit(self, shop):
        await shop.set_credit("1000000", rating="D")
        contract = await shop.signed_contract(("1", "10.00"))
        order = await shop.submit(await shop.place(contract, "1"))
        assert (order["status"], order["credit_check"]["reasons"],
                order["credit_check"]["amount_over"]) == ("credit_hold", ["rating_d"], "0.00")

    async def test_full_prepayment_never_holds(self, shop):
        await shop.set_credit("0", rating="D")
        contract = await shop.signed_contract(("2", "500.00"))
        prepaid = await shop.submit(await shop.place(contract, "1", prepayment_percent="100"))
        assert prepaid["status"] == "pending_review"
        check = prepaid["credit_check"]
        assert (check["outcome"], check["reasons"], check["waived_by_prepayment"]) == (
            "passed", ["over_limit", "rating_d"], True)
        almost = await shop.submit(await shop.place(contract, "1", prepayment_percent="99.99"))
        assert almost["status"] == "credit_hold"

    async def test_the_gm_releases_a_held_order(self, shop, client, company, logistics,
                                                session):
        from tests.webhooks.test_catalog import assert_events_match_catalog
        _, order = await _held_order(shop)
        request_id = order["approval"]["id"]
        for decider in (company.finance, logistics):
            await shop.ok(await client.post(f"/api/v1/approvals/{request_id}/approve",
                                            headers=decider, json={}))
        waiting = await shop.get(order, company.gm)
        assert waiting["status"] == "credit_hold"
        assert waiting["allowed_actions"] == ["approve", "reject", "cancel"]
        await shop.ok(await client.post(f"/api/v1/approvals/{request_id}/approve",
                                        headers=company.gm, json={"comment": "老客户, 放行"}))
        released = await shop.get(order)
        assert released["status"] == "confirmed" and released["credit_held"]
        exposure = await shop.exposure()
        assert (exposure["orders_in_review"], exposure["orders_uninvoiced"]) == (
            "600.00", "400.01")
        events = (await client.get(f"/api/v1/events?types=order.released,order.confirmed",
                                   headers=company.admin)).json()["items"]
        assert [e["type"] for e in events if e["subject"] == f"order:{order['id']}"] == [
            "order.released", "order.confirmed"]
        await assert_events_match_catalog(session, 0)

    async def test_rejecting_a_held_order_releases_its_reservation(self, shop, client, company):
        _, order = await _held_order(shop)
        await shop.ok(await client.post(f"/api/v1/approvals/{order['approval']['id']}/reject",
                                        headers=company.finance, json={"comment": "超额"}))
        assert (await shop.exposure())["orders_in_review"] == "600.00"
        assert (await shop.get(order))["status"] == "draft"


class TestExposure:
    async def test_the_figures_of_each_component(self, shop, client, company, session):
        await shop.set_credit("2000")
        contract = await shop.signed_contract(("1", "700.00"), ("1", "500.00"))
        confirmed = await shop.submit(await shop.place(contract, "1"))
        await shop.approve_all(confirmed["approval"]["id"])
        await shop.submit(await shop.place(contract, None, "1"))
        # What the receivables module will do when it invoices 300.00 of the confirmed order
        # and is paid 100.00 of it.
        await credit.invoice(session, company.customer_id, amount=Decimal("300.00"),
                             from_orders=Decimal("300.00"))
        await credit.settle(session, company.customer_id, Decimal("100.00"))
        await session.commit()
        exposure = await shop.exposure()
        assert exposure | {"updated_at": None} == {
            "customer_id": company.customer_id, "credit_rating": "B", "credit_limit": "2000.00",
            "receivables_open": "200.00", "orders_uninvoiced": "400.00",
            "orders_in_review": "500.00", "exposure": "1100.00", "available_credit": "900.00",
            "amount_over_limit": "0.00", "updated_at": None}
        await shop.set_credit("1000")
        over = await shop.exposure(company.rep)
        assert (over["available_credit"], over["amount_over_limit"]) == ("0.00", "100.00")

    async def test_invisible_customers_are_404_and_new_ones_are_zero(
            self, shop, client, company, headers_for):
        url = f"/api/v1/customers/{company.customer_id}/exposure"
        hidden = await client.get(url, headers=company.other_rep)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "customer.not_found")
        fresh = await shop.exposure(company.rep)
        assert (fresh["exposure"], fresh["updated_at"]) == ("0.00", None)
        assert (await client.get("/api/v1/customers/987654/exposure",
                                 headers=company.gm)).status_code == 404


async def test_the_counters_equal_a_from_scratch_aggregate(shop, client, company, session,
                                                          logistics):
    """After submissions, a release, a rejection, a recall, cancellations and a close, each
    running counter equals the sum over the customer's orders computed afresh."""
    await shop.set_credit("1500")
    contract = await shop.signed_contract(*[("1", f"{n}00.00") for n in range(1, 10)])
    orders = [await shop.place(contract, *([None] * n), "1") for n in range(9)]
    submitted = [await shop.submit(order) for order in orders[:8]]
    assert [o["status"] for o in submitted].count("credit_hold") == 3  # 600, 700, 800
    for order in submitted[:3]:
        await shop.approve_all(order["approval"]["id"])
    await shop.ok(await client.post(f"/api/v1/approvals/{submitted[3]['approval']['id']}/reject",
                                    headers=company.finance, json={"comment": "不行"}))
    await shop.ok(await client.post(f"{ORDERS}/{orders[4]['id']}/recall", headers=company.rep))
    await shop.ok(await client.post(f"{ORDERS}/{orders[5]['id']}/cancel", headers=company.head,
                                    json={"reason": "客户取消"}))
    await shop.ok(await client.post(f"{ORDERS}/{orders[0]['id']}/cancel", headers=company.rep,
                                    json={"reason": "客户取消"}))
    await deliver(session, submitted[1], "1")
    await shop.ok(await client.post(f"{ORDERS}/{orders[1]['id']}/close", headers=logistics,
                                    json={}))
    await shop.ok(await client.post(f"{ORDERS}/{orders[8]['id']}/cancel", headers=company.rep,
                                    json={"reason": "重复"}))

    def total(statuses, amount) -> object:
        return select(func.coalesce(func.sum(amount), 0)).where(
            Order.customer_id == company.customer_id, Order.status.in_(statuses))

    in_review = await session.scalar(total(IN_REVIEW, Order.total_base))
    uninvoiced = await session.scalar(total(CONFIRMED, Order.total_base - Order.invoiced_base))
    counters = (await session.execute(select(CustomerCredit).where(
        CustomerCredit.customer_id == company.customer_id))).scalar_one()
    await session.refresh(counters)
    assert (counters.orders_in_review, counters.orders_uninvoiced) == (
        Decimal(in_review), Decimal(uninvoiced))
    assert (counters.orders_in_review, counters.orders_uninvoiced) == (
        Decimal("1500.00"), Decimal("300.00"))  # 700 + 800 in review; the 300 confirmed
