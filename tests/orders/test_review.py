"""An order's review (finance ∥ logistics), its planned dates, and how it ends: confirmed,
rejected, recalled, cancelled or closed, with what each caller may do at every step."""

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.orders.models import Order, OrderLine, OrderStatus
from app.orders.states import TRANSITIONS, ensure_transition
from app.core.errors import InvalidTransition
from tests.factories.orders import ORDERS


async def deliver(session, order: dict, *shipped: str, scheduled: list[str] | None = None,
                  status: OrderStatus = OrderStatus.partially_delivered) -> None:
    """What the deliveries service does to an order (it is built beside this one): per line
    the quantities scheduled and shipped, and the order's status."""
    lines = (await session.execute(select(OrderLine).where(
        OrderLine.order_id == order["id"]).order_by(OrderLine.line_no))).scalars().all()
    for line, quantity, planned in zip(lines, shipped, scheduled or shipped, strict=True):
        await session.execute(update(OrderLine).where(OrderLine.id == line.id).values(
            scheduled_quantity=Decimal(planned), shipped_quantity=Decimal(quantity)))
    await session.execute(update(Order).where(Order.id == order["id"]).values(
        status=status, version=Order.version + 1))
    await session.commit()


def test_the_state_table_is_exactly_the_one_deliveries_rely_on():
    S = OrderStatus
    assert {s: set(t) for s, t in TRANSITIONS.items()} == {
        S.draft: {S.pending_review, S.credit_hold, S.cancelled},
        S.pending_review: {S.draft, S.confirmed, S.cancelled},
        S.credit_hold: {S.draft, S.confirmed, S.cancelled},
        S.confirmed: {S.partially_delivered, S.delivered, S.cancelled},
        S.partially_delivered: {S.delivered, S.closed},
        S.delivered: {S.partially_delivered, S.closed},
        S.closed: set(), S.cancelled: set()}
    ensure_transition(S.delivered, S.partially_delivered)
    with pytest.raises(InvalidTransition) as refused:
        ensure_transition(S.closed, S.delivered)
    assert refused.value.extra == {"current_status": "closed", "allowed_next": []}


class TestReview:
    async def test_finance_and_logistics_confirm_it_with_planned_dates(
            self, shop, client, company, logistics):
        await shop.set_credit("100000")
        contract = await shop.signed_contract(("10", "100.00"), ("4", "50.00"))
        order = await shop.place(contract, "2", "4", requested_date="2099-06-01")
        assert order["allowed_actions"] == ["update", "submit", "cancel"]
        submitted = await shop.submit(order)
        assert submitted["status"] == "pending_review" and not submitted["credit_held"]
        assert [[s["role"] for s in stage["steps"]] for stage in
                submitted["approval"]["stages"]] == [["finance", "logistics"]]
        assert submitted["allowed_actions"] == ["recall", "cancel"]
        as_logistics = await shop.get(order, logistics)
        assert as_logistics["allowed_actions"] == ["approve", "reject", "schedule"]

        url = f"{ORDERS}/{order['id']}"
        scheduled = await shop.ok(await client.post(
            f"{url}/schedule", headers=logistics | {"If-Match": f'"{submitted["version"]}"'},
            json={"lines": [{"line_no": 1, "planned_delivery_date": "2099-05-20"}]}))
        assert [line["planned_delivery_date"] for line in scheduled["lines"]] == [
            "2099-05-20", None]
        request_id = submitted["approval"]["id"]
        for decider in (company.finance, logistics):
            await shop.ok(await client.post(f"/api/v1/approvals/{request_id}/approve",
                                            headers=decider, json={"comment": "同意"}))
        confirmed = await shop.get(order)
        assert confirmed["status"] == "confirmed" and confirmed["confirmed_at"]
        assert [line["planned_delivery_date"] for line in confirmed["lines"]] == [
            "2099-05-20", "2099-06-01"]
        assert confirmed["allowed_actions"] == ["cancel"]
        exposure = await shop.exposure()
        assert (exposure["orders_in_review"], exposure["orders_uninvoiced"]) == (
            "0.00", "400.00")

    async def test_only_logistics_plans_dates_and_not_in_the_past(self, shop, client, company,
                                                                  logistics):
        contract = await shop.signed_contract(("10", "100.00"))
        order = await shop.place(contract, "1")
        url = f"{ORDERS}/{order['id']}/schedule"
        body = {"planned_delivery_date": "2099-01-02"}
        draft = await client.post(url, headers=logistics, json=body)
        assert (draft.status_code, draft.json()["code"]) == (409, "order.locked")
        await shop.set_credit("100000")
        await shop.submit(order)
        rep = await client.post(url, headers=company.rep, json=body)
        assert (rep.status_code, rep.json()["code"]) == (403, "forbidden")
        past = await client.post(url, headers=logistics, json={"planned_delivery_date":
                                                               "2001-01-01"})
        assert past.json()["code"] == "order.date_in_past"
        unknown = await client.post(url, headers=logistics, json={"lines": [
            {"line_no": 2, "planned_delivery_date": "2099-01-02"}]})
        assert unknown.json()["code"] == "order.unknown_line"
        planned = await shop.ok(await client.post(url, headers=logistics, json=body))
        assert planned["lines"][0]["planned_delivery_date"] == "2099-01-02"

    async def test_rejection_returns_it_to_draft_and_releases_the_reservation(
            self, shop, client, company):
        await shop.set_credit("5000")
        contract = await shop.signed_contract(("10", "100.00"))
        order = await shop.submit(await shop.place(contract, "3"))
        assert (await shop.exposure())["orders_in_review"] == "300.00"
        await shop.ok(await client.post(f"/api/v1/approvals/{order['approval']['id']}/reject",
                                        headers=company.finance, json={"comment": "付款条件不清"}))
        rejected = await shop.get(order)
        assert (rejected["status"], rejected["rejection_reason"]) == ("draft", "付款条件不清")
        assert (await shop.exposure())["orders_in_review"] == "0.00"
        again = await shop.submit(rejected)
        assert again["status"] == "pending_review" and again["rejection_reason"] is None

    async def test_recall_by_the_submitter_releases_the_reservation(self, shop, client, company):
        await shop.set_credit("5000")
        contract = await shop.signed_contract(("10", "100.00"))
        order = await shop.submit(await shop.place(contract, "3"))
        url = f"{ORDERS}/{order['id']}/recall"
        other = await client.post(url, headers=company.head)
        assert other.json()["code"] == "approval.not_submitter"
        recalled = await shop.ok(await client.post(url, headers=company.rep))
        assert recalled["status"] == "draft" and recalled["approval"]["status"] == "recalled"
        assert (await shop.exposure())["orders_in_review"] == "0.00"


class TestCancel:
    async def test_a_draft(self, shop, client, company):
        contract = await shop.signed_contract(("10", "100.00"))
        order = await shop.place(contract, "3")
        url = f"{ORDERS}/{order['id']}/cancel"
        assert (await client.post(url, headers=company.rep, json={})).status_code == 422
        stale = await client.post(url, headers=company.rep | {"If-Match": '"7"'},
                                  json={"reason": "重复下单"})
        assert stale.status_code == 412
        cancelled = await shop.ok(await client.post(url, headers=company.rep,
                                                    json={"reason": "重复下单"}))
        assert (cancelled["status"], cancelled["cancel_reason"], cancelled["allowed_actions"]) == (
            "cancelled", "重复下单", [])
        again = await client.post(url, headers=company.rep, json={"reason": "x"})
        assert (again.status_code, again.json()["code"]) == (409, "state.invalid_transition")

    @pytest.mark.parametrize("limit", ["5000", "100"])  # pending review; credit hold
    async def test_in_review_by_the_head_withdraws_the_request(self, shop, client, company,
                                                               limit):
        await shop.set_credit(limit)
        contract = await shop.signed_contract(("10", "100.00"))
        order = await shop.submit(await shop.place(contract, "3"))
        assert order["status"] == ("pending_review" if limit == "5000" else "credit_hold")
        cancelled = await shop.ok(await client.post(
            f"{ORDERS}/{order['id']}/cancel", headers=company.head, json={"reason": "客户取消"}))
        assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "客户取消")
        assert cancelled["approval"]["status"] == "recalled"
        assert cancelled["rejection_reason"] is None
        assert (await shop.exposure())["orders_in_review"] == "0.00"
        late = await client.post(f"/api/v1/approvals/{order['approval']['id']}/approve",
                                 headers=company.finance, json={})
        assert late.json()["code"] == "approval.not_pending"

    async def test_confirmed_with_nothing_scheduled(self, shop, client, company, session):
        await shop.set_credit("100000")
        contract = await shop.signed_contract(("10", "100.00"))
        order = await shop.submit(await shop.place(contract, "3"))
        await shop.approve_all(order["approval"]["id"])
        assert (await shop.exposure())["orders_uninvoiced"] == "300.00"
        url = f"{ORDERS}/{order['id']}/cancel"
        await session.execute(update(OrderLine).where(OrderLine.order_id == order["id"])
                              .values(scheduled_quantity=Decimal("1")))
        await session.commit()
        scheduled = await client.post(url, headers=company.rep, json={"reason": "客户取消"})
        assert (scheduled.status_code, scheduled.json()["code"]) == (
            409, "order.deliveries_scheduled")
        assert "cancel" not in (await shop.get(order))["allowed_actions"]
        await session.execute(update(OrderLine).where(OrderLine.order_id == order["id"])
                              .values(scheduled_quantity=Decimal("0")))
        await session.commit()
        cancelled = await shop.ok(await client.post(url, headers=company.rep,
                                                    json={"reason": "客户取消"}))
        assert cancelled["status"] == "cancelled"
        assert (await shop.exposure())["orders_uninvoiced"] == "0.00"
        # Its units are free again on the contract.
        await shop.place(contract, "10")

    async def test_delivered_orders_are_not_cancelled(self, shop, client, company, session):
        await shop.set_credit("100000")
        contract = await shop.signed_contract(("10", "100.00"))
        order = await shop.submit(await shop.place(contract, "3"))
        await shop.approve_all(order["approval"]["id"])
        await deliver(session, order, "1")
        refused = await client.post(f"{ORDERS}/{order['id']}/cancel", headers=company.rep,
                                    json={"reason": "x"})
        assert refused.json()["code"] == "state.invalid_transition"


class TestClose:
    async def _confirmed(self, shop, quantity: str = "3") -> dict:
        await shop.set_credit("100000")
        contract = await shop.signed_contract(("10", "100.00"))
        order = await shop.submit(await shop.place(contract, quantity))
        await shop.approve_all(order["approval"]["id"])
        return order

    async def test_short_close_needs_a_reason_and_releases_the_rest(
            self, shop, client, company, session, logistics):
        order = await self._confirmed(shop)
        url = f"{ORDERS}/{order['id']}/close"
        confirmed = await client.post(url, headers=company.head, json={})
        assert confirmed.json()["code"] == "state.invalid_transition"
        await deliver(session, order, "1", scheduled=["2"])
        pending = await client.post(url, headers=company.head, json={"reason": "缺货"})
        assert pending.json()["code"] == "order.deliveries_pending"
        await deliver(session, order, "1")
        assert "close" in (await shop.get(order, company.head))["allowed_actions"]
        assert "close" not in (await shop.get(order))["allowed_actions"]
        rep = await client.post(url, headers=company.rep, json={"reason": "缺货"})
        assert (rep.status_code, rep.json()["code"]) == (403, "forbidden")
        no_reason = await client.post(url, headers=logistics, json={})
        assert no_reason.json()["code"] == "order.close_reason_required"
        closed = await shop.ok(await client.post(url, headers=logistics,
                                                 json={"reason": "停产, 余量不再发货"}))
        assert (closed["status"], closed["close_reason"]) == ("closed", "停产, 余量不再发货")
        assert closed["closed_at"] and closed["allowed_actions"] == []
        assert (await shop.exposure())["orders_uninvoiced"] == "0.00"

    async def test_a_delivered_order_closes_without_a_reason(self, shop, client, company,
                                                             session):
        order = await self._confirmed(shop)
        await deliver(session, order, "3", status=OrderStatus.delivered)
        closed = await shop.ok(await client.post(f"{ORDERS}/{order['id']}/close",
                                                 headers=company.gm, json={}))
        assert (closed["status"], closed["close_reason"]) == ("closed", None)


class TestVisibility:
    async def test_another_reps_order_is_404_and_managers_and_logistics_see_it(
            self, shop, client, company, logistics, headers_for):
        contract = await shop.signed_contract(("10", "100.00"))
        order = await shop.place(contract, "1")
        url = f"{ORDERS}/{order['id']}"
        hidden = await client.get(url, headers=company.other_rep)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "order.not_found")
        assert (await client.post(f"{url}/submit", headers=company.other_rep)).status_code == 404
        assert (await client.get(ORDERS, headers=company.other_rep)).json()["items"] == []
        west = headers_for("dept_head", sub="head.west", dept="west")
        assert (await client.get(url, headers=west)).status_code == 404
        integration = headers_for("integration", sub="erp")
        for reader in (company.head, company.vp, company.gm, company.finance, logistics,
                       integration):
            listed = (await client.get(f"{ORDERS}?customer_id={company.customer_id}",
                                       headers=reader)).json()["items"]
            assert [o["id"] for o in listed] == [order["id"]], reader
            read = await shop.get(order, reader)
            assert read["allowed_actions"] == (["update", "submit", "cancel"]
                                               if reader in (company.head, company.vp, company.gm)
                                               else [])

    async def test_list_filters_and_pages(self, shop, client, company):
        await shop.set_credit("100000")
        contract = await shop.signed_contract(("10", "100.00"))
        first = await shop.place(contract, "1")
        await shop.submit(await shop.place(contract, "1"))
        third = await shop.place(contract, "1")
        drafts = (await client.get(f"{ORDERS}?status=draft", headers=company.rep)).json()
        assert [o["id"] for o in drafts["items"]] == [third["id"], first["id"]]
        page = (await client.get(f"{ORDERS}?limit=2&owner_id=rep.zhang&department_id=east",
                                 headers=company.rep)).json()
        rest = (await client.get(f"{ORDERS}?limit=2&cursor={page['next_cursor']}",
                                 headers=company.rep)).json()
        assert [o["id"] for o in page["items"] + rest["items"]] == [
            third["id"], third["id"] - 1, first["id"]]
        assert rest["next_cursor"] is None
